package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/syncwave/syncwave/argocd"
	"github.com/syncwave/syncwave/health"
	"github.com/syncwave/syncwave/internal/redact"
	"github.com/syncwave/syncwave/internal/sandbox"
	"github.com/syncwave/syncwave/internal/sandbox/seal"
	"github.com/syncwave/syncwave/lint"
	"github.com/syncwave/syncwave/pipeline"
	"github.com/syncwave/syncwave/plan"
	"github.com/syncwave/syncwave/plugin"
	"github.com/syncwave/syncwave/render"
)

// host is what the plugin commands read from the process: the environment
// and the working directory. Main passes the real ones; tests pass fakes.
// Nothing below this edge reads either.
type host struct {
	environ func() []string
	getwd   func() (string, error)
	// dir is the working directory the paths of a command line (PATH,
	// --repo-root, --order, --argocd-cm, migrate's files) are taken from
	// when they are relative; "" means the process's. Tests set it (with a
	// getwd returning it) so that commands can run side by side.
	dir string
	// program is the name the binary was run as (argv[0]); "" in tests.
	program string
	// secrets are the values no message may print (mainWith registers
	// them; fetchDependencies too, as it loads them).
	secrets *redact.Secrets
	// seal seals the process by the kernel (seal.Seal); in-process tests
	// pass a fake, since a sealed test binary could not go on testing.
	seal func(seal.Config) seal.Report
}

func processHost() host {
	h := host{environ: os.Environ, getwd: os.Getwd, seal: seal.Seal}
	if len(os.Args) > 0 {
		h.program = os.Args[0]
	}
	return h
}

// path is p taken from h.dir when p is relative and h.dir is set, else p
// itself (the process's working directory resolves it).
func (h host) path(p string) string {
	return inDir(h.dir, p)
}

// inDir is filepath.Join(dir, p) for a relative p and a dir, else p.
func inDir(dir, p string) string {
	if dir == "" || p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(dir, p)
}

// inputs reads the plugin inputs from the host.
func (h host) inputs() (plugin.Inputs, error) {
	wd, err := h.getwd()
	if err != nil {
		return plugin.Inputs{}, fmt.Errorf("working directory: %w", err)
	}
	return plugin.FromEnv(h.environ(), wd)
}

func newGenerate(stdout, stderr io.Writer, h host) *cobra.Command {
	return &cobra.Command{
		Use:   "generate",
		Short: "Argo CD plugin mode: render the application in the working directory from Argo CD's environment",
		Long: `Render the application in the working directory, taking every input from the
environment Argo CD's cmp-server gives a Config Management Plugin command, and
print the annotated stream: the same code path and output contract as render.

Inputs, highest precedence first: the Application's plugin parameters
(ARGOCD_APP_PARAMETERS, else PARAM_*), its plugin.env (ARGOCD_ENV_SYNCWAVE_*),
the sidecar's SYNCWAVE_* variables, the ordering file, the defaults. Argo CD's
ARGOCD_APP_NAME, ARGOCD_APP_NAMESPACE, KUBE_VERSION and KUBE_API_VERSIONS are
defaults for Helm sources. The repository root is the working directory less
ARGOCD_APP_SOURCE_PATH.

SYNCWAVE_TIMEOUT (default 45s) bounds the rendering, so that it fails with a
clear message before the repo-server's 60 s deadline kills it.

The rendering is linted as "syncwave lint" does: findings of severity error
are printed as warnings (they reach the repo-server's log) and fail the
rendering only when the ordering file says lint: {failOn: error} (or
warning). SYNCWAVE_ARGOCD_CM names an argocd-cm file, or the directory a
configMap volume of argocd-cm is mounted at, whose health checks count.

SYNCWAVE_MAX_MEMORY and SYNCWAVE_MAX_OUTPUT (default 128Mi) are its memory
budget and output limit. The budget's default is derived from the container:
(memory limit - 64Mi) / SYNCWAVE_PARALLELISM (the repo-server's parallelism
limit, default 1), from 64Mi to 1Gi; 1Gi without a limit. The network is
refused while rendering.

When a chart declares a dependency that is not vendored under charts/, generate
first runs init's download (plugin.yaml has no init command, so a generation
with nothing to fetch is one process start), with the sidecar's credentials,
under the same memory budget and the same deadline as the rendering, then
renders with the network refused. The download may reach public addresses by
https only; SYNCWAVE_ALLOW_HOSTS (host or host:port: any address, http too)
and SYNCWAVE_ALLOW_NETWORKS (CIDRs) open more.`,
		Example: `  # what the sidecar runs (plugin.yaml), in the application directory:
  ARGOCD_APP_NAME=shop ARGOCD_APP_SOURCE_PATH=apps/shop syncwave generate`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			in, err := h.inputs()
			if err != nil {
				return err
			}
			printWarnings(stderr, in.Warnings)
			lim := limits{}
			if err := lim.resolve(h.environ()); err != nil {
				return err
			}
			lim.timeout = in.Timeout
			opts := in.PipelineOptions()
			what := "generate " + appLabel(in)
			gen := func(ctx context.Context) error {
				out, err := pipeline.Run(ctx, opts)
				if out != nil {
					printWarnings(stderr, out.Warnings)
				}
				if err != nil {
					return err
				}
				if err := lintInPlugin(stderr, out, opts, in.ArgoCDCM); err != nil {
					return err
				}
				var record []byte
				if in.PlanRecord {
					if record, err = planRecord(stderr, out, opts, in); err != nil {
						return fmt.Errorf("%s: plan record: %w", what, err)
					}
				}
				return writeWithRecord(&sandbox.LimitWriter{W: stdout, Limit: lim.output}, out, record)
			}
			// One deadline for the whole generation: the download and the
			// rendering after it share it. Argo CD's init step comes first,
			// before sealing: plugin.yaml runs no init command, so an
			// application with nothing to download costs one process start
			// (and no request). The download is bounded (the same budget and
			// deadline, the sidecar's connect policy); the rendering that
			// follows runs sealed by the kernel.
			ctx := c.Context()
			if lim.timeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, lim.timeout)
				defer cancel()
			}
			getenv := envLookup(h.environ())
			policy, err := connectPolicy(getenv, true)
			if err != nil {
				return err
			}
			ferr := downloading(ctx, lim, what, func(ctx context.Context) error {
				return fetchDependencies(ctx, stderr, getenv, h.secrets, opts, policy, lim)
			})
			var me *sandbox.MemoryError
			if ferr != nil && (ctx.Err() != nil || errors.As(ferr, &me)) {
				return ferr // the deadline or the budget is spent
			}
			root, err := pipeline.RootDir(opts)
			if err != nil {
				return fmt.Errorf("%s: %w", what, err)
			}
			report := reportOnce(h)
			r, err := sealProcess(h, lim, stderr, seal.Config{Read: []string{root, in.ArgoCDCM}})
			if err != nil {
				return err
			}
			if report {
				fmt.Fprintf(stderr, "syncwave %s: sandbox: %s\n", version, r)
			}
			err = contained(ctx, lim, what, gen)
			if ferr != nil && errors.Is(err, render.ErrMissingDependency) {
				// a chart that does not load fails the rendering with
				// render's own message; a failed download is said here
				return ferr
			}
			return err
		},
	}
}

// reportMarker is the file, in the sidecar's TMPDIR, whose creation says
// that the sandbox line was printed: the sidecar prints it once, with its
// first generation, not with every one.
const reportMarker = "syncwave-sandbox-reported"

// reportOnce reports whether this generation prints the sandbox line: the
// first one in a container whose environment names a TMPDIR (the image
// sets TMPDIR=/tmp, its own emptyDir). Called before sealing, which
// forbids creating the marker.
func reportOnce(h host) bool {
	dir := envLookup(h.environ())("TMPDIR")
	if dir == "" {
		return false
	}
	f, err := os.OpenFile(filepath.Join(dir, reportMarker), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err != nil {
		return false
	}
	_ = f.Close()
	return true
}

// envLookup is os.Getenv over an environment list (the last value wins).
func envLookup(environ []string) func(string) string {
	env := map[string]string{}
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok {
			env[k] = v
		}
	}
	return func(k string) string { return env[k] }
}

// lintInPlugin prints the lint findings of severity error (and warning,
// when the ordering file fails on warnings) as warnings: they reach the
// repo-server's log. It fails only when the ordering file's lint.failOn
// asks for it; a failure of lint itself is only a warning.
func lintInPlugin(stderr io.Writer, out *pipeline.Output, opts pipeline.Options, cmFile string) error {
	failOn := ""
	if out.Order != nil {
		failOn = out.Order.Lint.FailOn
	}
	cm, err := readArgoCDCM(cmFile)
	if err != nil {
		printWarnings(stderr, []string{fmt.Sprintf("lint skipped: %s: %v", plugin.EnvArgoCDCM, err)})
		return nil
	}
	fs, err := lintRendered(out, opts, cm)
	if err != nil {
		printWarnings(stderr, []string{"lint skipped: " + err.Error()})
		return nil
	}
	failing := 0
	for _, f := range fs {
		if f.Severity != lint.Error && (f.Severity != lint.Warning || failOn != "warning") {
			continue
		}
		if failOn != "" {
			failing++
		}
		printWarnings(stderr, []string{fmt.Sprintf("lint %s %s %s (%s): %s; fix: %s", f.Severity, f.Rule, f.Resource, f.Source, f.Reason, f.Fix)})
	}
	if failing > 0 {
		return fmt.Errorf("lint: %d %s at or above lint.failOn %q in the ordering file", failing, plural(failing, "finding", "findings"), failOn)
	}
	return nil
}

// planRecord computes the plan of the rendered output, as "syncwave plan -o
// json" does for the same inputs (the argocd-cm health checks of
// SYNCWAVE_ARGOCD_CM included), and returns the record document that carries
// it (plan.Record).
func planRecord(stderr io.Writer, out *pipeline.Output, opts pipeline.Options, in plugin.Inputs) ([]byte, error) {
	if in.Namespace == "" {
		// The record is namespaced and carries no namespace of its own:
		// without a destination namespace Argo CD could not apply it.
		printWarnings(stderr, []string{"plan record skipped: the Application has no destination namespace (ARGOCD_APP_NAMESPACE)"})
		return nil, nil
	}
	cm, err := readArgoCDCM(in.ArgoCDCM)
	if err != nil {
		printWarnings(stderr, []string{fmt.Sprintf("plan record without the checks of %s: %v", plugin.EnvArgoCDCM, err)})
		cm = nil
	}
	return recordOf(stderr, out, opts, cm, in.AppName, in.Namespace)
}

// recordOf is the plan record of a rendered output for the Application
// app in namespace, with the health checks of cm (nil: built-in only).
func recordOf(stderr io.Writer, out *pipeline.Output, opts pipeline.Options, cm *health.ConfigMap, app, namespace string) ([]byte, error) {
	argo, err := argocd.Parse(opts.ArgoCDVersion)
	if err != nil {
		return nil, err
	}
	p, err := planOf(out, plan.Options{Namespace: opts.Namespace, ArgoCD: argo})
	if err != nil {
		return nil, err
	}
	p.ComputeWaits(healthTable(argo), cm)
	b, note, err := p.Record(app, namespace)
	if note != "" {
		printWarnings(stderr, []string{"plan record: " + note})
	}
	return b, err
}

// writeWithRecord writes out, then the plan record (when there is one) as
// the stream's last document.
func writeWithRecord(w io.Writer, out *pipeline.Output, record []byte) error {
	if err := out.Write(w); err != nil {
		return err
	}
	if record == nil {
		return nil
	}
	if len(out.Resources) > 0 {
		if _, err := io.WriteString(w, "---\n"); err != nil {
			return err
		}
	}
	_, err := w.Write(record)
	return err
}

// appLabel names the application of a plugin command in messages: its
// source path in the repository, else its directory.
func appLabel(in plugin.Inputs) string {
	if in.SourcePath != "" {
		return in.SourcePath
	}
	return in.AppDir
}

func newParameters(stdout, stderr io.Writer, h host) *cobra.Command {
	return &cobra.Command{
		Use:   "parameters",
		Short: "Argo CD plugin mode: print the dynamic parameter announcement (JSON)",
		Long: `Print the dynamic parameter announcement of the application in the working
directory as JSON, for Argo CD's UI (plugin.yaml: parameters.dynamic). For a
Helm source (Chart.yaml in the application directory, or helm entries in the
ordering file) it is a helm-parameters map with the chart's values.yaml and
value files flattened as Argo CD's own Helm parameter view shows them; for
other sources an empty list. The static announcement is in plugin.yaml.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			in, err := h.inputs()
			if err != nil {
				return err
			}
			lim := limits{}
			if err := lim.resolve(h.environ()); err != nil {
				return err
			}
			lim.timeout = in.Timeout
			root, err := pipeline.RootDir(in.PipelineOptions())
			if err != nil {
				return err
			}
			if _, err := sealProcess(h, lim, stderr, seal.Config{Read: []string{root}}); err != nil {
				return err
			}
			return contained(c.Context(), lim, "parameters "+appLabel(in), func(context.Context) error {
				ann, warnings, err := plugin.Dynamic(in)
				printWarnings(stderr, append(in.Warnings, warnings...))
				if err != nil {
					return err
				}
				b, err := json.MarshalIndent(ann, "", "  ")
				if err != nil {
					return err
				}
				_, err = fmt.Fprintf(&sandbox.LimitWriter{W: stdout, Limit: lim.output}, "%s\n", b)
				return err
			})
		},
	}
}
