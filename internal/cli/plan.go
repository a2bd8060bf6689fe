package cli

import (
	"bytes"
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/syncwave/syncwave/argocd"
	"github.com/syncwave/syncwave/internal/sandbox"
	"github.com/syncwave/syncwave/manifest"
	"github.com/syncwave/syncwave/pipeline"
	"github.com/syncwave/syncwave/plan"
)

func newPlan(stdout, stderr io.Writer, h host) *cobra.Command {
	var f renderFlags
	var format, cmFile, diffRev string
	var reasons bool
	var a appFlags
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

With --app NAME, the manifests are not rendered from PATH: they are the
target manifests a running Argo CD renders for its Application NAME, read
through Argo CD's REST API with the argocd CLI's environment
(ARGOCD_SERVER=host[:port], ARGOCD_AUTH_TOKEN; --insecure, --plaintext, and
ARGOCD_OPTS holding them). Any Application works, rendered by syncwave or
not; Argo CD masks Secret data in that answer.

Steps the engine cannot tell apart (same phase, wave, kind and name) are
applied in an unspecified order; the plan prints them by namespace, then API
group, and marks them.

After the steps, the plan shows what each wave waits for: at every wave
boundary, the resources of the wave before it and how Argo CD judges their
health (a check built into Argo CD, a Lua check Argo CD ships, a check of
--argocd-cm, or none: ready once applied). The next wave starts only when
every resource with a check is healthy.

Output formats: table (default), json, mermaid (a flowchart to paste into a
pull request), dot (Graphviz).

With --diff REV, print how the plan changed between the git revision REV
(a commit, branch or tag of the repository holding PATH) and the working
tree: steps that moved (phase, wave or hook), appeared, disappeared, or whose
hook delete policy or sync options changed. Steps whose group or reason
changed while their place in the sync did not are counted in the summary
line; --reasons lists them too. The tree of REV is read from git's objects
(no filter or other program the repository names runs) into a private
temporary directory and rendered with the same flags; files git does not
track (vendored chart archives that are git-ignored, say) are not part of
REV. Only regular files and symlinks that stay inside the tree are written;
submodules are skipped. The tree may hold at most 256Mi of files and 100000
entries (SYNCWAVE_DIFF_MAX_SIZE, SYNCWAVE_DIFF_MAX_FILES).
Formats: table, json, mermaid.`,
		Example: `  syncwave plan examples/sync-hook-wave
  syncwave plan -o json . | jq '.steps[] | [.phase, .wave, .kind, .name]'
  syncwave plan -o mermaid . > plan.mmd
  syncwave plan --diff origin/main examples/sync-hook-wave
  syncwave plan --diff HEAD~1 -o mermaid .
  ARGOCD_SERVER=argocd.example.com ARGOCD_AUTH_TOKEN=... syncwave plan --app guestbook
  argocd syncwave plan --app apps/guestbook     # installed as argocd-syncwave`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			if err := a.check(c.Flags(), args); err != nil {
				return err
			}
			if diffRev != "" {
				opts, err := f.prepare(h, args)
				if err != nil {
					return err
				}
				lim, err := diffLimits(envLookup(h.environ()))
				if err != nil {
					return err
				}
				return contained(c.Context(), f.limits, "plan --diff "+diffRev+" "+opts.Path, func(ctx context.Context) error {
					// sealed once the revision is extracted, with its
					// temporary directory readable
					seal := func(tmp string) error { return f.seal(h, stderr, opts, tmp) }
					return runPlanDiff(ctx, opts, diffRev, format, reasons, lim, seal, stdout, stderr)
				})
			}
			if reasons {
				return usageError{fmt.Errorf("--reasons goes with --diff")}
			}
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
			cm, err := readArgoCDCM(h.path(cmFile))
			if err != nil {
				return err
			}
			if a.app != "" {
				return planApp(c.Context(), &a, &f, h, cm, write, stdout)
			}
			opts, err := f.prepare(h, args)
			if err != nil {
				return err
			}
			argo, err := argocd.Parse(opts.ArgoCDVersion)
			if err != nil {
				return err
			}
			if err := f.seal(h, stderr, opts); err != nil {
				return err
			}
			return contained(c.Context(), f.limits, "plan "+opts.Path, func(ctx context.Context) error {
				out, err := pipeline.Run(ctx, opts)
				printWarnings(stderr, out.Warnings)
				if err != nil {
					return err
				}
				p, err := planOf(out, plan.Options{Namespace: opts.Namespace, ArgoCD: argo})
				if err != nil {
					return err
				}
				p.ComputeWaits(healthTable(argo), cm)
				return write(p, &sandbox.LimitWriter{W: stdout, Limit: f.limits.output})
			})
		},
	}
	f.register(c)
	c.Flags().StringVarP(&format, "output", "o", "table", "output format: table, json, mermaid or dot")
	c.Flags().StringVar(&cmFile, "argocd-cm", "", "Argo CD's argocd-cm ConfigMap (YAML file): its resource.customizations health checks count in what each wave waits for")
	c.Flags().StringVar(&diffRev, "diff", "", "compare with the plan at this git revision (table, json or mermaid)")
	a.register(c)
	c.Flags().BoolVar(&reasons, "reasons", false, "with --diff: also list the steps whose group or reason changed but whose place in the sync did not")
	return c
}

// planOf computes the plan from exactly the bytes render prints: the stream
// is written, read back, and only then modelled, so plan and render cannot
// disagree. Source locations are carried over from the rendered resources.
func planOf(out *pipeline.Output, opt plan.Options) (*plan.Plan, error) {
	rb, err := readBack(out)
	if err != nil {
		return nil, err
	}
	return plan.ComputeWith(rb.printed, rb.origins, opt), nil
}

// readBackStream is the rendered stream as written, read back.
type readBackStream struct {
	text    []byte
	printed []*manifest.Resource // in output order, with their sources
	origins []plan.Origin        // the group and reason of each
}

// readBack writes the rendered stream and reads it back with render's own
// reader (the fast metadata reader, which falls back to the full one on
// anything it cannot prove), carrying over each resource's source and the
// ordering's placement.
func readBack(out *pipeline.Output) (*readBackStream, error) {
	var buf bytes.Buffer
	if err := out.Write(&buf); err != nil {
		return nil, err
	}
	printed, err := manifest.Decode("rendered output", buf.Bytes(), manifest.Options{Reader: manifest.Fast})
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
	return &readBackStream{text: buf.Bytes(), printed: printed, origins: origins}, nil
}
