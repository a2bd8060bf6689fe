package cli

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"path"
	"runtime"
	"strconv"
	"strings"
	"sync"

	"github.com/spf13/cobra"

	"github.com/syncwave/syncwave/argocd"
	"github.com/syncwave/syncwave/health"
	"github.com/syncwave/syncwave/internal/sandbox"
	"github.com/syncwave/syncwave/lint"
	"github.com/syncwave/syncwave/manifest"
	"github.com/syncwave/syncwave/pipeline"
	"github.com/syncwave/syncwave/plan"
	"github.com/syncwave/syncwave/refs"
)

// findingsError fails a command whose output (the findings) must still be
// printed.
type findingsError struct{ msg string }

func (e findingsError) Error() string { return e.msg }

// healthTable is Argo CD's health knowledge for the line v models.
func healthTable(v argocd.Version) *health.Table { return health.For(v) }

// readArgoCDCM reads --argocd-cm ("" for none).
func readArgoCDCM(file string) (*health.ConfigMap, error) {
	if file == "" {
		return nil, nil
	}
	return health.ReadConfigMap(file)
}

func newLint(stdout, stderr io.Writer, h host) *cobra.Command {
	var f renderFlags
	var format, cmFile string
	var strict bool
	var a appFlags
	c := &cobra.Command{
		Use:   "lint [PATH]",
		Short: "Find ordering traps in PATH before Argo CD meets them",
		Long: `Render PATH exactly as "syncwave render" does, compute the plan and report
ordering traps: a wave that gates the next without a health check, a workload
or hook whose ServiceAccount, ConfigMaps, Secrets, claims or RBAC come later,
a named hook that runs only once, custom resources whose CRD comes later or
nowhere, and what the waves cost in time.

Each finding has a rule id, a severity (error, warning, info), the resource,
the reason and a fix. The exit code is 1 when there are errors (with
--strict: errors or warnings); the findings are printed either way.

With --app NAME, lint reads the target manifests of the Argo CD Application
NAME from a running Argo CD instead of rendering PATH (as plan --app does).

Health checks are those of the Argo CD line --argocd-version selects
(default: the current 3.x) plus the user-defined checks of --argocd-cm. Custom resources count as served
by the cluster when --api-versions lists them.`,
		Example: `  syncwave lint examples/chart-with-hooks
  syncwave lint --argocd-cm argocd-cm.yaml -o json apps/root`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			if format != "table" && format != "json" && format != "sarif" {
				return usageError{fmt.Errorf("--output %q: expected table, json or sarif", format)}
			}
			cm, err := readArgoCDCM(h.path(cmFile))
			if err != nil {
				return err
			}
			if err := a.check(c.Flags(), args); err != nil {
				return err
			}
			report := func(fs []lint.Finding, loc func(string) (lint.Location, bool)) error {
				w := &sandbox.LimitWriter{W: stdout, Limit: f.limits.output}
				var err error
				switch format {
				case "json":
					err = lint.WriteJSON(w, fs)
				case "sarif":
					err = lint.WriteSARIF(w, fs, version, loc)
				default:
					err = lint.WriteTable(w, fs)
				}
				if err != nil {
					return err
				}
				e, nw, _ := lint.Count(fs)
				switch {
				case e > 0:
					return findingsError{fmt.Sprintf("lint: %d %s", e, plural(e, "error", "errors"))}
				case strict && nw > 0:
					return findingsError{fmt.Sprintf("lint: %d %s (--strict)", nw, plural(nw, "warning", "warnings"))}
				}
				return nil
			}
			if a.app != "" {
				fs, err := lintApp(c.Context(), &a, &f, h, cm)
				if err != nil {
					return err
				}
				return report(fs, nil)
			}
			opts, err := f.prepare(h, args)
			if err != nil {
				return err
			}
			if err := f.seal(h, stderr, opts); err != nil {
				return err
			}
			return contained(c.Context(), f.limits, "lint "+opts.Path, func(ctx context.Context) error {
				out, err := pipeline.Run(ctx, opts)
				printWarnings(stderr, out.Warnings)
				if err != nil {
					return err
				}
				fs, err := lintOf(out, opts, cm)
				if err != nil {
					return err
				}
				var loc func(string) (lint.Location, bool)
				if format == "sarif" {
					if loc, err = locator(opts); err != nil {
						return err
					}
				}
				return report(fs, loc)
			})
		},
	}
	f.register(c)
	c.Flags().StringVarP(&format, "output", "o", "table", "output format: table, json or sarif (SARIF 2.1.0, for code scanning)")
	c.Flags().BoolVar(&strict, "strict", false, "exit 1 on warnings too")
	a.register(c)
	c.Flags().StringVar(&cmFile, "argocd-cm", "", "Argo CD's argocd-cm ConfigMap (YAML file): its resource.customizations health checks count")
	return c
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// lintOf lints a rendering: the plan of exactly the stream render prints
// (as planOf computes it), with the full objects the rules need read back
// from the same stream's documents.
func lintOf(out *pipeline.Output, opts pipeline.Options, cm *health.ConfigMap) ([]lint.Finding, error) {
	rb, err := readBack(out)
	if err != nil {
		return nil, err
	}
	printed, origins := rb.printed, rb.origins
	var docs []manifest.Document
	for _, d := range manifest.SplitYAML(rb.text) {
		if len(bytes.TrimSpace(d.Text)) > 0 {
			docs = append(docs, d)
		}
	}
	if len(docs) != len(printed) {
		return nil, fmt.Errorf("read back %d documents from the rendered stream, expected %d", len(docs), len(printed))
	}
	text := make(map[*manifest.Resource][]byte, len(printed))
	for i, r := range printed {
		text[r] = docs[i].Text
	}
	return lintResources(out, opts, cm, printed, origins, func(r *manifest.Resource) ([]byte, error) { return text[r], nil })
}

// lintRendered is lintOf without writing the stream and reading it back:
// the plan is computed from the resources the pipeline holds, and the
// objects the rules need are decoded from each resource's text as Write
// prints it (Resource.Bytes). generate lints this way; the findings are
// lintOf's (TestLintRenderedParity).
func lintRendered(out *pipeline.Output, opts pipeline.Options, cm *health.ConfigMap) ([]lint.Finding, error) {
	origins := make([]plan.Origin, len(out.Resources))
	for i := range out.Resources {
		origins[i] = plan.Origin{Group: out.Placements[i].Group, Reason: out.Placements[i].Reason}
	}
	return lintResources(out, opts, cm, out.Resources, origins, (*manifest.Resource).Bytes)
}

// lintResources lints the plan of printed (the rendered resources in
// output order) with the full objects the rules need decoded from text.
func lintResources(out *pipeline.Output, opts pipeline.Options, cm *health.ConfigMap, printed []*manifest.Resource, origins []plan.Origin, text func(*manifest.Resource) ([]byte, error)) ([]lint.Finding, error) {
	argo, err := argocd.Parse(opts.ArgoCDVersion)
	if err != nil {
		return nil, err
	}
	p := plan.ComputeWith(printed, origins, plan.Options{Namespace: opts.Namespace, ArgoCD: argo})
	objs, err := readObjects(lint.ObjectsNeeded(p), text)
	if err != nil {
		return nil, err
	}
	t := healthTable(argo)
	p.ComputeWaits(t, cm)
	return lint.Run(lint.Input{
		Plan: p, Objects: objs, Health: t, ConfigMap: cm,
		APIVersions: opts.APIVersions, Namespace: opts.Namespace,
		After: lint.GroupsAfter(out.Order), OrderedAfter: orderedAfter(printed, out.After),
	}), nil
}

// readObjects decodes the documents of the resources the rules can read
// (lint.ObjectsNeeded) with refs.Decode, in parallel.
func readObjects(need []*manifest.Resource, text func(*manifest.Resource) ([]byte, error)) (map[*manifest.Resource]map[string]any, error) {
	decoded := make([]map[string]any, len(need))
	errs := make([]error, len(need))
	var wg sync.WaitGroup
	workers := min(runtime.GOMAXPROCS(0), len(need))
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := w; i < len(need); i += workers {
				b, err := text(need[i])
				if err == nil {
					decoded[i], err = refs.Decode(b)
				}
				if err != nil || decoded[i] == nil {
					errs[i] = fmt.Errorf("%s: read back %s: %v", need[i].Where(), need[i], err)
				}
			}
		}(w)
	}
	wg.Wait()
	objs := make(map[*manifest.Resource]map[string]any, len(need))
	for i, r := range need {
		if errs[i] != nil {
			return nil, errs[i]
		}
		objs[r] = decoded[i]
	}
	return objs, nil
}

// orderedAfter asks the ordering graph (pipeline.Output.After, by index)
// about the resources read back from the rendered stream.
func orderedAfter(printed []*manifest.Resource, after func(i, j int) bool) func(later, earlier *manifest.Resource) bool {
	if after == nil {
		return nil
	}
	index := make(map[*manifest.Resource]int, len(printed))
	for i, r := range printed {
		index[r] = i
	}
	return func(later, earlier *manifest.Resource) bool {
		i, ok1 := index[later]
		j, ok2 := index[earlier]
		return ok1 && ok2 && after(i, j)
	}
}

// locator maps a finding's source (a file relative to the application
// path, with ":line", or a Helm template path "<chart>/templates/x.yaml")
// to a file relative to the repository root, for SARIF. A source that
// names no file of the application has no location.
func locator(opts pipeline.Options) (func(string) (lint.Location, bool), error) {
	app, err := pipeline.Resolve(opts)
	if err != nil {
		return nil, err
	}
	return func(source string) (lint.Location, bool) {
		file, line := source, 0
		if i := strings.LastIndexByte(source, ':'); i > 0 {
			if n, err := strconv.Atoi(source[i+1:]); err == nil {
				file, line = source[:i], n
			}
		}
		for _, cand := range []string{file, dropFirst(file)} {
			if cand == "" {
				continue
			}
			rel := path.Join(app.Rel, cand)
			if fi, err := app.Root.Stat(rel); err == nil && !fi.IsDir() {
				return lint.Location{URI: rel, Line: line}, true
			}
		}
		return lint.Location{}, false
	}, nil
}

// dropFirst is a slash path without its first element ("" for one element):
// a Helm template path names the chart, not its directory.
func dropFirst(p string) string {
	_, rest, ok := strings.Cut(p, "/")
	if !ok {
		return ""
	}
	return rest
}
