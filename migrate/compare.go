package migrate

import (
	"fmt"
	"github.com/syncwave/syncwave/argocd"
	"sort"
	"strings"

	"github.com/syncwave/syncwave/plan"
)

// place is where a step stands in a plan, as far as Argo CD's order goes:
// its phase, whether it is a hook, the rank of its wave among the waves of
// its phase (waves are only an order: -5, 0, 7 sync like 0, 1, 2) and its
// hook delete policy.
type place struct {
	phase  argocd.Phase
	hook   bool
	rank   int
	wave   int
	policy string
}

func (p place) String() string {
	h := ""
	if p.hook {
		h = " hook"
	}
	pol := ""
	if p.policy != "" {
		pol = ", delete policy " + p.policy
	}
	return fmt.Sprintf("%s%s wave %d (rank %d)%s", p.phase, h, p.wave, p.rank, pol)
}

func stepID(s plan.Step) string {
	return s.APIVersion + " " + s.Kind + " " + s.Namespace + "/" + s.Name
}

// places maps every step of p to its place; a resource with several steps
// (a hook of several types) gets "#2", "#3" on its later ones.
func places(p *plan.Plan) map[string]place {
	waves := map[argocd.Phase]map[int]bool{}
	for _, s := range p.Steps {
		if waves[s.Phase] == nil {
			waves[s.Phase] = map[int]bool{}
		}
		waves[s.Phase][s.Wave] = true
	}
	rank := map[argocd.Phase]map[int]int{}
	for ph, ws := range waves {
		var list []int
		for w := range ws {
			list = append(list, w)
		}
		sort.Ints(list)
		rank[ph] = map[int]int{}
		for i, w := range list {
			rank[ph][w] = i
		}
	}
	out := map[string]place{}
	for _, s := range p.Steps {
		id := stepID(s)
		for n := 2; ; n++ {
			if _, ok := out[id]; !ok {
				break
			}
			id = fmt.Sprintf("%s #%d", stepID(s), n)
		}
		out[id] = place{phase: s.Phase, hook: s.Hook, rank: rank[s.Phase][s.Wave], wave: s.Wave, policy: s.HookDeletePolicy}
	}
	return out
}

// Compare says where the two plans differ for Argo CD: a step in one plan
// only, or in a different phase, hook-ness, wave order or delete policy; a
// resource excluded in one plan only. Nil when they sync the same.
func Compare(before, after *plan.Plan) []string {
	var diffs []string
	b, a := places(before), places(after)
	for id, pb := range b {
		pa, ok := a[id]
		switch {
		case !ok:
			diffs = append(diffs, fmt.Sprintf("%s: %s before, not applied after", id, pb))
		case pa.phase != pb.phase || pa.hook != pb.hook || pa.rank != pb.rank || pa.policy != pb.policy:
			diffs = append(diffs, fmt.Sprintf("%s: %s before, %s after", id, pb, pa))
		}
	}
	for id, pa := range a {
		if _, ok := b[id]; !ok {
			diffs = append(diffs, fmt.Sprintf("%s: not applied before, %s after", id, pa))
		}
	}
	ex := func(p *plan.Plan) map[string]bool {
		m := map[string]bool{}
		for _, x := range p.Excluded {
			m[x.APIVersion+" "+x.Kind+" "+x.Namespace+"/"+x.Name] = true
		}
		return m
	}
	eb, ea := ex(before), ex(after)
	for id := range eb {
		if !ea[id] {
			diffs = append(diffs, fmt.Sprintf("%s: excluded before, not after", id))
		}
	}
	for id := range ea {
		if !eb[id] {
			diffs = append(diffs, fmt.Sprintf("%s: excluded after, not before", id))
		}
	}
	sort.Strings(diffs)
	return diffs
}

// CompareError is Compare's result as an error (nil when the plans agree).
func CompareError(before, after *plan.Plan) error {
	d := Compare(before, after)
	if len(d) == 0 {
		return nil
	}
	return fmt.Errorf("the ordering file does not reproduce the sync for %d step(s):\n  %s", len(d), strings.Join(d, "\n  "))
}
