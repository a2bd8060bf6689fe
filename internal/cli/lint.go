package cli

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"
	"go.yaml.in/yaml/v3"

	"github.com/syncwave/syncwave/health"
	"github.com/syncwave/syncwave/lint"
	"github.com/syncwave/syncwave/manifest"
	"github.com/syncwave/syncwave/pipeline"
	"github.com/syncwave/syncwave/plan"
)

// findingsError fails a command whose output (the findings) must still be
// printed.
type findingsError struct{ msg string }

func (e findingsError) Error() string { return e.msg }

// healthTable is the Argo CD line whose health checks plan and lint use.
// Seam for the Argo CD version setting (issue 14): select it with
// health.ForVersion(version) here.
func healthTable() *health.Table { return health.Default }

// readArgoCDCM reads --argocd-cm ("" for none).
func readArgoCDCM(file string) (*health.ConfigMap, error) {
	if file == "" {
		return nil, nil
	}
	return health.ReadConfigMap(file)
}

func newLint(stdout, stderr io.Writer) *cobra.Command {
	var f renderFlags
	var format, cmFile string
	var strict bool
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

Health checks are Argo CD 2.14's (the version syncwave is tested against)
plus the user-defined checks of --argocd-cm. Custom resources count as served
by the cluster when --api-versions lists them.`,
		Example: `  syncwave lint examples/chart-with-hooks
  syncwave lint --argocd-cm argocd-cm.yaml -o json apps/root`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			if format != "table" && format != "json" {
				return usageError{fmt.Errorf("--output %q: expected table or json", format)}
			}
			cm, err := readArgoCDCM(cmFile)
			if err != nil {
				return err
			}
			opts := f.options(args)
			out, err := pipeline.Run(c.Context(), opts)
			printWarnings(stderr, out.Warnings)
			if err != nil {
				return err
			}
			fs, err := lintOf(out, opts, cm)
			if err != nil {
				return err
			}
			if format == "json" {
				err = lint.WriteJSON(stdout, fs)
			} else {
				err = lint.WriteTable(stdout, fs)
			}
			if err != nil {
				return err
			}
			e, w, _ := lint.Count(fs)
			switch {
			case e > 0:
				return findingsError{fmt.Sprintf("lint: %d %s", e, plural(e, "error", "errors"))}
			case strict && w > 0:
				return findingsError{fmt.Sprintf("lint: %d %s (--strict)", w, plural(w, "warning", "warnings"))}
			}
			return nil
		},
	}
	f.register(c)
	c.Flags().StringVarP(&format, "output", "o", "table", "output format: table or json")
	c.Flags().BoolVar(&strict, "strict", false, "exit 1 on warnings too")
	c.Flags().StringVar(&cmFile, "argocd-cm", "", "Argo CD's argocd-cm ConfigMap (YAML file): its resource.customizations health checks count")
	return c
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// lintOf lints a rendering: the plan of exactly what render prints, with the
// full objects read back from the same stream.
func lintOf(out *pipeline.Output, opts pipeline.Options, cm *health.ConfigMap) ([]lint.Finding, error) {
	p, err := planOf(out, plan.Options{Namespace: opts.Namespace})
	if err != nil {
		return nil, err
	}
	objs, err := fullObjects(p)
	if err != nil {
		return nil, err
	}
	t := healthTable()
	p.ComputeWaits(t, cm)
	return lint.Run(lint.Input{
		Plan: p, Objects: objs, Health: t, ConfigMap: cm,
		APIVersions: opts.APIVersions, Namespace: opts.Namespace,
		After: lint.GroupsAfter(out.Order),
	}), nil
}

// fullObjects decodes every resource of the plan (steps and excluded) as a
// whole object.
func fullObjects(p *plan.Plan) (map[*manifest.Resource]map[string]any, error) {
	objs := map[*manifest.Resource]map[string]any{}
	add := func(r *manifest.Resource) error {
		if r == nil || objs[r] != nil {
			return nil
		}
		var buf bytes.Buffer
		if err := manifest.Write(&buf, []*manifest.Resource{r}); err != nil {
			return err
		}
		var m map[string]any
		if err := yaml.Unmarshal(buf.Bytes(), &m); err != nil {
			return fmt.Errorf("%s: read back %s: %w", r.Where(), r, err)
		}
		if m == nil {
			return errors.New(r.Where() + ": read back an empty document")
		}
		objs[r] = m
		return nil
	}
	for _, s := range p.Steps {
		if err := add(s.Resource); err != nil {
			return nil, err
		}
	}
	return objs, nil
}
