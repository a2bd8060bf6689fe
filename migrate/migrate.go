package migrate

import (
	"bytes"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/syncwave/syncwave/argocd"
	"github.com/syncwave/syncwave/manifest"
	"github.com/syncwave/syncwave/order"
	"github.com/syncwave/syncwave/plan"
)

// StripKeys are the annotations a group carries over and Strip removes:
// the ones that only order the sync. sync-options stay on the resource
// (they are not ordering), and so do Helm's hook annotations (the chart
// needs them for helm install; Argo CD reads a group's hook over them).
var StripKeys = []string{argocd.AnnotationSyncWave, argocd.AnnotationHook, argocd.AnnotationHookDeletePolicy}

// Group is one group of the ordering file and what it holds.
type Group struct {
	order.Group
	// FromWave is the wave its members had (the pin, when Pinned).
	FromWave int
	// Pinned says why the group keeps its wave as a pin ("" when an edge
	// places it).
	Pinned string
	// Members are the resources it selects.
	Members []*manifest.Resource
}

// Result is a migration: the ordering file, its groups, the resources whose
// ordering annotations the groups now carry, and what was left as it was.
type Result struct {
	Groups []*Group
	// Carried are the resources whose ordering the groups now carry (a
	// group selects them, or they sync in wave 0 as if unannotated):
	// StripKeys may be removed from them.
	Carried []*manifest.Resource
	// Notes say what could not be carried over and stays in the manifests.
	Notes []string
}

// member is a resource whose ordering moves into a group.
type member struct {
	r      *manifest.Resource
	phase  argocd.Phase
	hook   argocd.Hook
	wave   int
	policy string
}

// key is what the members of one group share.
func (m member) key() string {
	return fmt.Sprintf("%s/%s/%d/%s", m.phase, m.hook, m.wave, m.policy)
}

// hasOrdering reports whether r carries any of StripKeys.
func hasOrdering(r *manifest.Resource) bool {
	for _, k := range StripKeys {
		if _, ok := r.Annotations[k]; ok {
			return true
		}
	}
	return false
}

// Migrate reads the plan of an application whose resources carry their
// own ordering annotations and returns the groups that reproduce it.
// all is every rendered resource (selectors are checked against them, so a
// selector never picks a resource outside its group).
func Migrate(p *plan.Plan, all []*manifest.Resource) (*Result, error) {
	res := &Result{}
	steps := map[*manifest.Resource][]plan.Step{}
	for _, s := range p.Steps {
		steps[s.Resource] = append(steps[s.Resource], s)
	}
	// free[phase] are the waves of the steps no group will hold: they are
	// fixed, and the groups must keep their places around them.
	free := map[argocd.Phase]map[int]bool{}
	addFree := func(ph argocd.Phase, w int) {
		if free[ph] == nil {
			free[ph] = map[int]bool{}
		}
		free[ph][w] = true
	}
	var members []member
	seen := map[*manifest.Resource]bool{}
	for _, s := range p.Steps {
		r := s.Resource
		if seen[r] {
			continue
		}
		seen[r] = true
		ss := steps[r]
		if !hasOrdering(r) {
			for _, s := range ss {
				addFree(phaseOf(s), s.Wave)
			}
			continue
		}
		if len(ss) > 1 {
			res.Notes = append(res.Notes, fmt.Sprintf("%s (%s): hook %q runs in %d phases; a group has one hook type, so its annotations stay", r, r.Where(), r.Annotations[argocd.AnnotationHook], len(ss)))
			for _, s := range ss {
				addFree(phaseOf(s), s.Wave)
			}
			continue
		}
		m := member{r: r, phase: phaseOf(s), wave: s.Wave}
		if s.Hook {
			m.hook = argocd.Hook(s.Phase)
			if s.HookDeletePolicy != string(argocd.BeforeHookCreation) {
				m.policy = s.HookDeletePolicy
			}
		} else if v, ok := r.Annotations[argocd.AnnotationHookDeletePolicy]; ok {
			res.Notes = append(res.Notes, fmt.Sprintf("%s (%s): %s %q on a resource that is not a hook means nothing to Argo CD; dropped", r, r.Where(), argocd.AnnotationHookDeletePolicy, v))
		}
		if v, ok := r.Annotations[argocd.AnnotationSyncWave]; ok {
			if _, err := strconv.Atoi(v); err != nil {
				res.Notes = append(res.Notes, fmt.Sprintf("%s (%s): %s %q is not an integer, Argo CD ignores it (wave %d); dropped", r, r.Where(), argocd.AnnotationSyncWave, v, s.Wave))
			}
		}
		members = append(members, m)
	}
	if free[argocd.PhaseSync][0] {
		// Unannotated resources sync in wave 0 already, and the groups
		// around them are pinned anyway: a resource whose annotations
		// only say "Sync, wave 0" needs no group, only its annotation goes.
		// (Without such resources, a group at wave 0 keeps the others
		// ordered by edges alone.)
		kept := members[:0]
		for _, m := range members {
			if m.hook == argocd.HookNone && m.phase == argocd.PhaseSync && m.wave == 0 && !hasKey(m.r, argocd.AnnotationHelmHookWeight) {
				res.Carried = append(res.Carried, m.r)
				continue
			}
			kept = append(kept, m)
		}
		members = kept
	}
	for _, x := range p.Excluded {
		r := x.Resource
		if r == nil || !hasOrdering(r) || seen[r] {
			continue
		}
		seen[r] = true
		if types := argocd.CSV(r.Annotations[argocd.AnnotationHook]); len(types) == 1 && types[0] == string(argocd.HookSkip) {
			// never applied: its wave means nothing
			members = append(members, member{r: r, phase: argocd.PhaseSkip, hook: argocd.HookSkip})
			continue
		}
		res.Notes = append(res.Notes, fmt.Sprintf("%s (%s): excluded from the sync (%s); its annotations stay", r, r.Where(), x.Reason))
	}

	byKey := map[string]*Group{}
	var groups []*Group
	phases := map[*Group]argocd.Phase{}
	for _, m := range members {
		g, ok := byKey[m.key()]
		if !ok {
			g = &Group{FromWave: m.wave}
			g.Hook = m.hook
			if m.policy != "" {
				g.HookDeletePolicy = argocd.ParseDeletePolicies(m.policy)
			}
			byKey[m.key()] = g
			groups = append(groups, g)
			phases[g] = m.phase
		}
		g.Members = append(g.Members, m.r)
		res.Carried = append(res.Carried, m.r)
	}
	name(groups, all)
	kept := groups[:0]
	lost := map[*manifest.Resource]bool{}
	for _, g := range groups {
		var out []*manifest.Resource
		g.Select, out = selectors(g.Members, all)
		for _, r := range out {
			lost[r] = true
			res.Notes = append(res.Notes, fmt.Sprintf("%s (%s): no selector picks it alone (an unnamed resource with a twin in its file, or the same object twice); its annotations stay", r, r.Where()))
			for _, s := range steps[r] {
				addFree(phaseOf(s), s.Wave)
			}
		}
		if len(out) > 0 {
			var ms []*manifest.Resource
			for _, r := range g.Members {
				if !lost[r] {
					ms = append(ms, r)
				}
			}
			g.Members = ms
		}
		if len(g.Members) > 0 {
			kept = append(kept, g)
		}
	}
	groups = kept
	if len(lost) > 0 {
		carried := res.Carried[:0]
		for _, r := range res.Carried {
			if !lost[r] {
				carried = append(carried, r)
			}
		}
		res.Carried = carried
	}
	// edges and pins, phase by phase
	byPhase := map[argocd.Phase][]*Group{}
	var phaseList []argocd.Phase
	for _, g := range groups {
		ph := phases[g]
		if _, ok := byPhase[ph]; !ok {
			phaseList = append(phaseList, ph)
		}
		byPhase[ph] = append(byPhase[ph], g)
	}
	for _, ph := range phaseList {
		if ph == argocd.PhaseSkip {
			continue
		}
		link(byPhase[ph], free[ph])
	}
	// the file lists the groups in the order of the sync
	sort.SliceStable(groups, func(i, j int) bool {
		pi, pj := phases[groups[i]], phases[groups[j]]
		if pi != pj {
			return pi.Order() < pj.Order()
		}
		return groups[i].FromWave < groups[j].FromWave
	})
	res.Groups = groups
	return res, nil
}

// phaseOf is the ordering file's phase of a step.
func phaseOf(s plan.Step) argocd.Phase {
	return s.Phase
}

// link orders the groups of one phase: each distinct wave comes after the
// one before it. Waves are only an order to Argo CD (gaps mean nothing), so
// edges alone reproduce the groups' order among themselves. Steps no group
// holds keep their waves (fixed); a group next to such a wave is pinned,
// since an edge cannot name a resource no group selects:
//
//	free {0}, groups at -3 -1 2 5  ->  -3 after nothing, -1 pinned (before 0),
//	2 pinned (after 0), 5 after 2.
func link(gs []*Group, free map[int]bool) {
	waves := map[int][]*Group{}
	var ws []int
	for _, g := range gs {
		if _, ok := waves[g.FromWave]; !ok {
			ws = append(ws, g.FromWave)
		}
		waves[g.FromWave] = append(waves[g.FromWave], g)
	}
	sort.Ints(ws)
	for i := 1; i < len(ws); i++ {
		var before []string
		for _, g := range waves[ws[i-1]] {
			before = append(before, g.Name)
		}
		for _, g := range waves[ws[i]] {
			g.After = slices.Clone(before)
		}
	}
	var fs []int
	for f := range free {
		fs = append(fs, f)
	}
	sort.Ints(fs)
	pin := func(w int, why string) {
		for _, g := range waves[w] {
			if g.Pinned == "" {
				v := w
				g.Order().Wave = &v
				g.Pinned = why
			}
		}
	}
	for _, f := range fs {
		below, above, same := 0, 0, false
		hasBelow, hasAbove := false, false
		for _, w := range ws {
			switch {
			case w < f:
				below, hasBelow = w, true
			case w == f:
				same = true
			case !hasAbove:
				above, hasAbove = w, true
			}
		}
		if same {
			pin(f, fmt.Sprintf("in wave %d with resources it does not select", f))
		}
		if hasBelow {
			pin(below, fmt.Sprintf("before the resources it does not select in wave %d", f))
		}
		if hasAbove {
			pin(above, fmt.Sprintf("after the resources it does not select in wave %d", f))
		}
	}
}

// Order is the group as the ordering file holds it.
func (g *Group) Order() *order.Group { return &g.Group }

// SyncOrder is the ordering file of the result.
func (r *Result) SyncOrder() *order.SyncOrder {
	so := &order.SyncOrder{APIVersion: order.APIVersion, Kind: order.Kind}
	for _, g := range r.Groups {
		so.Groups = append(so.Groups, g.Group)
	}
	return so
}

// YAML writes the ordering file: a comment on where it came from, and the groups with a comment on each pin.
func (r *Result) YAML(from string) ([]byte, error) {
	var b bytes.Buffer
	fmt.Fprintf(&b, "# Written by syncwave migrate from the ordering annotations of %s.\n", from)
	fmt.Fprintf(&b, "apiVersion: %s\nkind: %s\n", order.APIVersion, order.Kind)
	if len(r.Groups) == 0 {
		b.WriteString("groups: []\n")
		return b.Bytes(), nil
	}
	b.WriteString("groups:\n")
	for _, g := range r.Groups {
		node := &yaml.Node{}
		if err := node.Encode([]order.Group{g.Group}); err != nil {
			return nil, fmt.Errorf("encode group %s: %w", g.Name, err)
		}
		if g.Pinned != "" {
			// the comment goes on the wave entry
			item := node.Content[0]
			for i := 0; i+1 < len(item.Content); i += 2 {
				if item.Content[i].Value == "wave" {
					item.Content[i+1].LineComment = "# pinned: " + g.Pinned
				}
			}
		}
		var gb bytes.Buffer
		enc := yaml.NewEncoder(&gb)
		enc.SetIndent(2)
		if err := enc.Encode(node); err != nil {
			return nil, fmt.Errorf("encode group %s: %w", g.Name, err)
		}
		_ = enc.Close()
		for _, l := range strings.SplitAfter(gb.String(), "\n") {
			if l != "" {
				b.WriteString("  " + l)
			}
		}
	}
	return b.Bytes(), nil
}

func hasKey(r *manifest.Resource, key string) bool {
	_, ok := r.Annotations[key]
	return ok
}
