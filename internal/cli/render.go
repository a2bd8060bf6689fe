package cli

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/syncwave/syncwave/annotate"
	"github.com/syncwave/syncwave/argocd"
	"github.com/syncwave/syncwave/internal/sandbox"
	"github.com/syncwave/syncwave/internal/sandbox/seal"
	"github.com/syncwave/syncwave/order"
	"github.com/syncwave/syncwave/pipeline"
	"github.com/syncwave/syncwave/render"
)

// renderFlags are the inputs shared by render and plan.
type renderFlags struct {
	order      string
	repoRoot   string
	allowEmpty bool
	deps       string
	flags      *pflag.FlagSet // to tell a flag given as false from one not given

	// Helm inputs, mirroring Argo CD's parameters and environment.
	valueFiles  []string
	values      string
	set         []string
	setString   []string
	releaseName string
	namespace   string
	kubeVersion string
	apiVersions []string
	appName     string

	limits      limits
	helmVersion string
	argoCD      string
}

func (f *renderFlags) register(c *cobra.Command) {
	fl := c.Flags()
	c.PreRunE = f.validate
	fl.StringVar(&f.order, "order", "", "ordering file (default: PATH/syncwave.yaml when present)")
	fl.StringVar(&f.repoRoot, "repo-root", "", "repository root no path may leave (default: the git work tree holding PATH, else PATH)")
	f.flags = fl
	fl.BoolVar(&f.allowEmpty, "allow-empty", false, "accept a rendering with no resources (Argo CD then prunes everything)")
	fl.StringVar(&f.deps, "dependency-annotations", "", "dependency annotations read as ordering edges: a comma list of "+strings.Join(annotate.SyntaxNames(), ", ")+", or none (default: all, unless the ordering file's dependencies block switches some off)")
	fl.StringArrayVarP(&f.valueFiles, "values", "f", nil, "Helm value file, read after the source's valueFiles (repeatable; relative to the chart, an absolute path is relative to the repository root)")
	fl.StringArrayVar(&f.set, "set", nil, "Helm value key=value, as helm --set (repeatable)")
	fl.StringArrayVar(&f.setString, "set-string", nil, "Helm string value key=value, as helm --set-string (repeatable)")
	fl.StringVar(&f.releaseName, "release-name", "", "Helm release name (default: the app name without its <namespace>_ prefix, else the chart name)")
	fl.StringVar(&f.namespace, "namespace", "", "Helm release namespace when the source sets none, as Argo CD's destination namespace (default \"default\")")
	fl.StringVar(&f.kubeVersion, "kube-version", "", "Kubernetes version for .Capabilities.KubeVersion when the source sets none: 1.29, 1.29.3 or v1.29.3 (default "+render.DefaultKubeVersion4+" with Helm 4, "+render.DefaultKubeVersion+" with Helm 3, as each pinned helm CLI)")
	fl.StringSliceVar(&f.apiVersions, "api-versions", nil, "API versions for .Capabilities.APIVersions when the source sets none: group/version or group/version/Kind (repeatable or comma list)")
	fl.StringVar(&f.appName, "app-name", "", "Argo CD application name, as ARGOCD_APP_NAME (may be <namespace>_<name>)")
	f.limits.register(c)
	fl.StringVar(&f.argoCD, "argocd-version", "", "Argo CD line to match where its behaviour changed: 2.14, 3.0 ... 3.5 (sync-option vocabulary; delete hooks in plan; the health table of plan and lint); another line is modelled as the nearest of these, with a warning (default: "+argocd.Default.String()+")")
	fl.StringVar(&f.helmVersion, "helm-version", "", "render charts with Helm 3 or Helm 4 semantics (3, 4, v3, v4): Argo CD up to 3.4 runs Helm 3, 3.5+ Helm 4; wins over a helm source's version (default 4)")
}

// validate checks the flag values that are versions, as usage errors.
func (f *renderFlags) validate(*cobra.Command, []string) error {
	if _, err := render.ParseHelmVersion(f.helmVersion); err != nil {
		return usageError{fmt.Errorf("--helm-version: %w", err)}
	}
	if _, err := argocd.Parse(f.argoCD); err != nil {
		return usageError{fmt.Errorf("--argocd-version: %w", err)}
	}
	return nil
}

func (f *renderFlags) options(args []string) pipeline.Options {
	p := "."
	if len(args) > 0 {
		p = args[0]
	}
	var allowEmpty *bool
	if f.flags != nil && f.flags.Changed("allow-empty") {
		allowEmpty = &f.allowEmpty
	}
	return pipeline.Options{
		Path: p, RepoRoot: f.repoRoot, OrderFile: f.order, AllowEmpty: allowEmpty,
		HelmInputs: render.HelmInputs{
			ValueFiles: f.valueFiles, Values: f.values, Set: f.set, SetString: f.setString,
			ReleaseName: f.releaseName, AppName: f.appName, Namespace: f.namespace,
			KubeVersion: f.kubeVersion, APIVersions: f.apiVersions, HelmVersion: f.helmVersion,
		},
		ArgoCDVersion: f.argoCD,
	}
}

// prepare resolves the limits of a rendering command (flags, else the
// sidecar's SYNCWAVE_* variables, else the defaults) and its options.
func (f *renderFlags) prepare(h host, args []string) (pipeline.Options, error) {
	if err := f.limits.resolve(h.environ()); err != nil {
		return pipeline.Options{}, err
	}
	o, err := f.runOptions(args)
	o.Dir = h.dir
	return o, err
}

// seal seals the process (sealProcess) with the repository root of opts
// readable, and scratch (a temporary directory of the command) emptied
// when done.
func (f *renderFlags) seal(h host, stderr io.Writer, opts pipeline.Options, scratch ...string) error {
	root, err := pipeline.RootDir(opts)
	if err != nil {
		return fmt.Errorf("application path %s: %w", opts.Path, err)
	}
	_, err = sealProcess(h, f.limits, stderr, seal.Config{Read: []string{root}, Scratch: scratch})
	return err
}

// runOptions is options with --dependency-annotations checked and applied.
func (f *renderFlags) runOptions(args []string) (pipeline.Options, error) {
	o := f.options(args)
	if f.flags != nil && f.flags.Changed("dependency-annotations") {
		d, err := order.ParseSyntaxList(f.deps, annotate.SyntaxNames())
		if err != nil {
			return o, usageError{fmt.Errorf("--dependency-annotations: %w", err)}
		}
		o.Dependencies = &d
	}
	return o, nil
}

func newRender(stdout, stderr io.Writer, h host) *cobra.Command {
	var f renderFlags
	var record bool
	var cmFile string
	c := &cobra.Command{
		Use:   "render [PATH]",
		Short: "Render PATH, apply the ordering and print the annotated YAML stream",
		Long: `Render the application at PATH (default .), assign every resource its Argo CD
sync phase, wave, hook, delete policy and sync options from the ordering file
(when there is one) and the resources' dependency annotations (see
--dependency-annotations), and print the YAML stream to stdout.

Output is all or nothing: on any error nothing is printed on stdout, the
error goes to stderr and the exit code is 1 (2 for a usage error).

The rendering never uses the network and runs under a deadline (--timeout),
a memory budget (--max-memory) and an output limit (--max-output); each
defaults to its SYNCWAVE_* variable, else 45s, 1Gi and 128Mi.

With --plan-record, the stream ends with the plan record that the plugin's
plan-record parameter adds (the ConfigMap the Sync plan UI extension reads),
for the Application named by --app-name in the --namespace it deploys to.`,
		Example: `  syncwave render examples/sync-hook-wave
  syncwave render --order ordering/prod.yaml apps/shop
  syncwave render --plan-record --app-name shop --namespace demo examples/sync-hook-wave`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			if cmFile != "" && !record {
				return usageError{fmt.Errorf("--argocd-cm goes with --plan-record")}
			}
			if record && (f.appName == "" || f.namespace == "") {
				return usageError{fmt.Errorf("--plan-record needs --app-name and --namespace: the Application's name and the namespace it deploys to, where the record goes")}
			}
			cm, err := readArgoCDCM(cmFile)
			if err != nil {
				return err
			}
			opts, err := f.prepare(h, args)
			if err != nil {
				return err
			}
			if err := f.seal(h, stderr, opts); err != nil {
				return err
			}
			return contained(c.Context(), f.limits, "render "+opts.Path, func(ctx context.Context) error {
				out, err := pipeline.Run(ctx, opts)
				printWarnings(stderr, out.Warnings)
				if err != nil {
					return err
				}
				var doc []byte
				if record {
					if doc, err = recordOf(stderr, out, opts, cm, f.appName, f.namespace); err != nil {
						return fmt.Errorf("render %s: plan record: %w", opts.Path, err)
					}
				}
				return writeWithRecord(&sandbox.LimitWriter{W: stdout, Limit: f.limits.output}, out, doc)
			})
		},
	}
	f.register(c)
	c.Flags().BoolVar(&record, "plan-record", false, "end the stream with the plan record, as the plugin's plan-record parameter does (needs --app-name and --namespace)")
	c.Flags().StringVar(&cmFile, "argocd-cm", "", "with --plan-record: Argo CD's argocd-cm ConfigMap (YAML file), whose health checks count in the record's waits, as SYNCWAVE_ARGOCD_CM does in the sidecar")
	return c
}

func printWarnings(w io.Writer, warnings []string) {
	for _, s := range warnings {
		fmt.Fprintf(w, "Warning: %s\n", s)
	}
}
