package cli

import (
	"bytes"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/syncwave/syncwave/argocd"
	"github.com/syncwave/syncwave/manifest"
	"github.com/syncwave/syncwave/pipeline"
	"github.com/syncwave/syncwave/plan"
)

func newPlan(stdout, stderr io.Writer) *cobra.Command {
	var f renderFlags
	var format string
	c := &cobra.Command{
		Use:   "plan [PATH]",
		Short: "Print the order Argo CD's sync engine will apply PATH in, and why",
		Long: `Render PATH exactly as "syncwave render" does and print the order in which
Argo CD's sync engine will apply the result: phase, wave, kind, namespace/name
and the reason for each step (its group and that group's edges, a pinned wave,
an annotation the resource already had, a Helm hook mapping, a Namespace or
CRD moved in front of the resource that needs it). Resources Argo CD never
applies in a sync (Skip, unknown hook types, Helm test hooks, PreDelete and
PostDelete hooks) are listed as excluded, with the reason.

Steps the engine cannot tell apart (same phase, wave, kind and name) are
applied in an unspecified order; the plan prints them by namespace, then API
group, and marks them.

Output formats: table (default), json, mermaid (a flowchart to paste into a
pull request), dot (Graphviz).`,
		Example: `  syncwave plan examples/sync-hook-wave
  syncwave plan -o json . | jq '.steps[] | [.phase, .wave, .kind, .name]'
  syncwave plan -o mermaid . > plan.mmd`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			var write func(*plan.Plan, io.Writer) error
			switch format {
			case "table":
				write = (*plan.Plan).WriteTable
			case "json":
				write = (*plan.Plan).WriteJSON
			case "mermaid":
				write = (*plan.Plan).WriteMermaid
			case "dot":
				write = (*plan.Plan).WriteDot
			default:
				return usageError{fmt.Errorf("--output %q: expected table, json, mermaid or dot", format)}
			}
			opts := f.options(args)
			out, err := pipeline.Run(c.Context(), opts)
			printWarnings(stderr, out.Warnings)
			if err != nil {
				return err
			}
			argo, err := argocd.Parse(opts.ArgoCDVersion)
			if err != nil {
				return err
			}
			p, err := planOf(out, plan.Options{Namespace: opts.Namespace, ArgoCD: argo})
			if err != nil {
				return err
			}
			return write(p, stdout)
		},
	}
	f.register(c)
	c.Flags().StringVarP(&format, "output", "o", "table", "output format: table, json, mermaid or dot")
	return c
}

// planOf computes the plan from exactly the bytes render prints: the stream
// is written, read back, and only then modelled, so plan and render cannot
// disagree. Source locations are carried over from the rendered resources.
func planOf(out *pipeline.Output, opt plan.Options) (*plan.Plan, error) {
	var buf bytes.Buffer
	if err := out.Write(&buf); err != nil {
		return nil, err
	}
	printed, err := manifest.Decode("rendered output", buf.Bytes())
	if err != nil {
		return nil, fmt.Errorf("read back the rendered stream: %w", err)
	}
	if len(printed) != len(out.Resources) {
		return nil, fmt.Errorf("read back %d resources from the rendered stream, expected %d", len(printed), len(out.Resources))
	}
	origins := make([]plan.Origin, len(printed))
	for i, r := range printed {
		r.Source, r.Line = out.Resources[i].Source, out.Resources[i].Line
		origins[i] = plan.Origin{Group: out.Placements[i].Group, Reason: out.Placements[i].Reason}
	}
	return plan.ComputeWith(printed, origins, opt), nil
}
