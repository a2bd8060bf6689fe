package annotate

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/syncwave/syncwave/argocd"
	"github.com/syncwave/syncwave/manifest"
	"github.com/syncwave/syncwave/order"
)

// Placement says why a resource got its ordering annotations.
type Placement struct {
	// Group is the name of the group that selected the resource ("" for none).
	Group string
	// Reason is a sentence for people, "" when the resource kept its own
	// annotations.
	Reason string
}

// Result is the annotated resource list.
type Result struct {
	Resources  []*manifest.Resource
	Placements []Placement // parallel to Resources
	Warnings   []string

	graph *order.Graph
	nodes []int          // resource -> the node that orders it, -1 for none
	after map[int][]bool // node -> the nodes that come after it (Reachable)
}

// After reports whether the ordering graph puts resource i (an index of
// Resources) after resource j, directly or not: through the groups' after
// and before entries, dependency annotations and inferred references. Two
// members of one group are not ordered against each other; a resource no
// group selects and no edge names is ordered against nothing (its own
// sync-wave is not an edge). Not safe for concurrent use.
func (r *Result) After(i, j int) bool {
	if r.graph == nil || i < 0 || j < 0 || i >= len(r.nodes) || j >= len(r.nodes) {
		return false
	}
	ni, nj := r.nodes[i], r.nodes[j]
	if ni < 0 || nj < 0 {
		return false
	}
	reach, ok := r.after[nj]
	if !ok {
		reach = r.graph.Reachable(nj)
		r.after[nj] = reach
	}
	return reach[ni]
}

// Apply is ApplyWith with zero Options.
func Apply(o *order.SyncOrder, res []*manifest.Resource) (*Result, error) {
	return ApplyWith(o, res, Options{})
}

// ApplyWith assigns every resource its ordering annotations from the
// ordering file (nil: no groups, default settings) and the dependency
// annotations the resources carry. It changes annotations only and returns
// every problem it finds in one error.
func ApplyWith(o *order.SyncOrder, res []*manifest.Resource, opts Options) (*Result, error) {
	if o == nil {
		o = &order.SyncOrder{}
	}
	out := &Result{Resources: res, Placements: make([]Placement, len(res))}
	deps := o.Dependencies
	if opts.Dependencies != nil {
		// The flag or parameter names annotation syntaxes only: references
		// stay as the ordering file says.
		deps = *opts.Dependencies
		if deps.References == nil {
			deps.References = o.Dependencies.References
		}
	}

	// Selection: each resource joins at most one group. The same pass
	// checks the Argo CD annotations and finds the dependency annotations.
	var errs []error
	idx := order.NewIndex(o.Groups)
	member := make([]int, len(res))
	count := make([]int, len(o.Groups))
	d := newDepGraph(o, res, member, opts, deps)
	for i, r := range res {
		d.scan(i, r)
		if d.flags[i]&flagArgo != 0 {
			out.Warnings = append(out.Warnings, checkAnnotations(r)...)
		}
		member[i] = -1
		gs := idx.Match(r)
		for _, g := range gs {
			count[g]++
		}
		switch len(gs) {
		case 0:
			continue
		case 1:
		default:
			names := make([]string, len(gs))
			for j, g := range gs {
				names[j] = fmt.Sprintf("%q (groups[%d])", o.Groups[g].Name, g)
			}
			errs = append(errs, fmt.Errorf("%s (%s): selected by more than one group: %s; a resource belongs to one group: make the selectors exclusive", r, r.Where(), strings.Join(names, " and ")))
			continue
		}
		member[i] = gs[0]
	}
	for g := range o.Groups {
		if count[g] == 0 && !o.Groups[g].Optional {
			errs = append(errs, o.Errorf(fmt.Sprintf("groups[%d]", g), "group %q selects no resource; fix its selectors or mark it optional: true", o.Groups[g].Name))
		}
	}
	d.addDependencies()
	out.Warnings = append(out.Warnings, d.warn...)
	errs = append(errs, d.errs...)
	nodes, werr := d.g.Solve()
	if werr != nil {
		errs = append(errs, werr)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	waves := &order.Waves{Groups: nodes[:len(o.Groups)]}
	out.graph, out.nodes, out.after = d.g, make([]int, len(res)), map[int][]bool{}
	for i := range res {
		out.nodes[i] = member[i]
		if member[i] < 0 {
			out.nodes[i] = d.node[i]
		}
	}

	crds := customResourceDefinitions(res)
	def := o.Defaults.DefaultWave()
	reasons := make([]string, len(o.Groups)) // a group's reason, built once
	// The reasons of resources ordered on their own are written into one
	// buffer and cut from one string: ends[k] closes own[k]'s reason.
	free := d.g.Len() - len(o.Groups) // nodes of resources (and sets)
	buf := make([]byte, 0, 160*free)  // a reason names one or two nodes
	own, ends := make([]int, 0, free), make([]int, 0, free)
	for i, r := range res {
		if d.flags[i]&flagStrip != 0 {
			// Kubernetes rejects these keys (e.g. two slashes): Helm strips
			// its own too.
			for _, syn := range syntaxes {
				for _, k := range syn.Strip {
					r.DeleteAnnotation(k)
				}
			}
		}
		if g := member[i]; g >= 0 {
			out.Placements[i] = applyGroup(o, g, waves, r, reasons)
		} else {
			applyDefaults(o, def, r)
			if n := d.node[i]; n >= 0 {
				w := nodes[n]
				if !w.Pinned {
					r.SetAnnotation(argocd.AnnotationSyncWave, strconv.Itoa(w.Wave))
				}
				buf = appendReason(buf, w, "its own wave")
				own, ends = append(own, i), append(ends, len(buf))
			}
		}
		if len(crds) > 0 && crds[r.Group()+"/"+r.Kind] && !argocd.IsCRD(r) {
			addSyncOptions(r, []string{argocd.SkipDryRunOnMissingResource})
		}
	}
	all, start := string(buf), 0
	for k, i := range own {
		out.Placements[i] = Placement{Reason: all[start:ends[k]]}
		start = ends[k]
	}
	return out, nil
}

func applyGroup(o *order.SyncOrder, g int, waves *order.Waves, r *manifest.Resource, reasons []string) Placement {
	grp := &o.Groups[g]
	w := waves.Groups[g]
	r.SetAnnotation(argocd.AnnotationSyncWave, strconv.Itoa(w.Wave))
	if grp.Hook != argocd.HookNone {
		r.SetAnnotation(argocd.AnnotationHook, string(grp.Hook))
		pol := grp.HookDeletePolicy
		if len(pol) == 0 {
			pol = o.Defaults.HookDeletePolicy
		}
		if len(pol) > 0 {
			r.SetAnnotation(argocd.AnnotationHookDeletePolicy, pol.String())
		}
	}
	if len(grp.SyncOptions) > 0 {
		opts := make([]string, len(grp.SyncOptions))
		for i, s := range grp.SyncOptions {
			opts[i] = string(s)
		}
		addSyncOptions(r, opts)
	}
	if reasons[g] == "" {
		reasons[g] = reason(w, "pinned wave")
	}
	return Placement{Group: grp.Name, Reason: reasons[g]}
}

// applyDefaults handles a resource no group selects: it keeps its own
// annotations, except that a non-zero default wave is written when it has
// none, and existingAnnotations: override replaces them by the defaults.
func applyDefaults(o *order.SyncOrder, def int, r *manifest.Resource) {
	if o.Defaults.ExistingAnnotations == order.OverrideExisting {
		r.DeleteAnnotation(argocd.AnnotationHook)
		r.DeleteAnnotation(argocd.AnnotationHookDeletePolicy)
		if _, ok := r.Annotation(argocd.AnnotationSyncWave); ok || def != 0 {
			r.SetAnnotation(argocd.AnnotationSyncWave, strconv.Itoa(def))
		} else if _, ok := r.Annotation(argocd.AnnotationHelmHookWeight); ok {
			r.SetAnnotation(argocd.AnnotationSyncWave, strconv.Itoa(def))
		}
		return
	}
	if def == 0 {
		return
	}
	_, hasWave := r.Annotation(argocd.AnnotationSyncWave)
	_, hasWeight := r.Annotation(argocd.AnnotationHelmHookWeight)
	if !hasWave && !hasWeight {
		r.SetAnnotation(argocd.AnnotationSyncWave, strconv.Itoa(def))
	}
}

// addSyncOptions merges options into argocd.argoproj.io/sync-options: the
// existing ones keep their order, new ones are appended, none repeated.
func addSyncOptions(r *manifest.Resource, add []string) {
	cur, _ := r.Annotation(argocd.AnnotationSyncOptions)
	var list []string
	for _, s := range strings.Split(cur, ",") {
		if s = strings.TrimSpace(s); s != "" && !slices.Contains(list, s) {
			list = append(list, s)
		}
	}
	n := len(list)
	for _, s := range add {
		if !slices.Contains(list, s) {
			list = append(list, s)
		}
	}
	if len(list) != n || strings.Join(list, ",") != cur {
		r.SetAnnotation(argocd.AnnotationSyncOptions, strings.Join(list, ","))
	}
}

// customResourceDefinitions returns the "group/Kind" keys of the CRDs in res.
func customResourceDefinitions(res []*manifest.Resource) map[string]bool {
	m := map[string]bool{}
	for _, r := range res {
		if c, ok := argocd.ReadCRD(r); ok && c.Group != "" && c.Kind != "" {
			m[c.Key()] = true
		}
	}
	return m
}

// checkAnnotations warns about ordering annotations Argo CD would silently
// ignore or fall back from.
func checkAnnotations(r *manifest.Resource) []string {
	var w []string
	if v, ok := r.Annotation(argocd.AnnotationSyncWave); ok {
		if _, err := strconv.Atoi(v); err != nil {
			fb := "0"
			if hw, ok := r.Annotation(argocd.AnnotationHelmHookWeight); ok {
				if _, err := strconv.Atoi(hw); err == nil {
					fb = hw + " (from " + argocd.AnnotationHelmHookWeight + ")"
				}
			}
			w = append(w, fmt.Sprintf("%s (%s): %s %q is not an integer; Argo CD uses wave %s instead", r, r.Where(), argocd.AnnotationSyncWave, v, fb))
		}
	}
	if v, ok := r.Annotation(argocd.AnnotationHook); ok {
		for _, h := range strings.Split(v, ",") {
			if h = strings.TrimSpace(h); argocd.Hook(h).Validate() != nil || h == "" {
				w = append(w, fmt.Sprintf("%s (%s): %s %q is not a hook Argo CD knows (%s); Argo CD never applies it in a sync", r, r.Where(), argocd.AnnotationHook, h, joinStrings(argocd.HookTypes)))
			}
		}
	}
	if v, ok := r.Annotation(argocd.AnnotationHookDeletePolicy); ok {
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); argocd.DeletePolicy(p).Validate() != nil {
				w = append(w, fmt.Sprintf("%s (%s): %s %q is not a delete policy Argo CD knows (%s)", r, r.Where(), argocd.AnnotationHookDeletePolicy, p, joinStrings(argocd.DeletePolicyValues)))
			}
		}
	}
	if v, ok := r.Annotation(argocd.AnnotationSyncOptions); ok {
		for _, s := range strings.Split(v, ",") {
			if s = strings.TrimSpace(s); s != "" && order.SyncOption(s).Validate() != nil {
				w = append(w, fmt.Sprintf("%s (%s): %s %q is not a resource sync option Argo CD knows", r, r.Where(), argocd.AnnotationSyncOptions, s))
			}
		}
	}
	return w
}

// reason explains a node's wave: "after schema (wave 1)", "pinned wave -1",
// "before api (wave 1)", "default wave 0"; an edge from an annotation names
// it: "after Service shop/db (wave 0, config.kubernetes.io/depends-on)".
func reason(w order.GroupWave, pinned string) string {
	return string(appendReason(nil, w, pinned))
}

// appendReason appends reason(w, pinned) to b.
func appendReason(b []byte, w order.GroupWave, pinned string) []byte {
	switch w.Bound {
	case order.BoundPinned:
		b = append(b, pinned...)
		b = append(b, ' ')
		b = strconv.AppendInt(b, int64(w.Wave), 10)
		if len(w.After) > 0 {
			b = append(b, ", after "...)
			b = appendRefs(b, w.After)
		}
	case order.BoundAfter:
		b = append(b, "after "...)
		b = appendRefs(b, w.After)
	case order.BoundBefore:
		b = append(b, "before "...)
		b = appendRefs(b, w.Before)
		if w.Limit != nil && !slices.ContainsFunc(w.Before, func(r order.GroupRef) bool { return r.Name == w.Limit.Name }) {
			b = append(b, ", which leads to "...)
			b = append(b, w.Limit.Name...)
			b = append(b, " (pinned wave "...)
			b = strconv.AppendInt(b, int64(w.Limit.Wave), 10)
			b = append(b, ')')
		}
		if len(w.After) > 0 {
			b = append(b, ", after "...)
			b = appendRefs(b, w.After)
		}
	default:
		b = append(b, "default wave "...)
		b = strconv.AppendInt(b, int64(w.Wave), 10)
		if len(w.After) > 0 {
			b = append(b, ", after "...)
			b = appendRefs(b, w.After)
		}
	}
	if w.Bound != order.BoundBefore && len(w.Before) > 0 {
		b = append(b, ", before "...)
		b = appendRefs(b, w.Before)
	}
	return b
}

// joinStrings joins a typed vocabulary with ", ".
func joinStrings[S ~string](xs []S) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = string(x)
	}
	return strings.Join(s, ", ")
}
