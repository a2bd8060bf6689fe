package order

import (
	"fmt"
	"strings"

	"github.com/syncwave/syncwave/argocd"
)

// Ordering is a graph (graph.go): groups, and resources or sets of
// resources that dependency annotations name, are nodes; "b after a" (or "a
// before b", or "b depends on a") is an edge a -> b. Waves are computed per phase with only the edges inside
// that phase; an edge from an earlier phase (PreSync < Sync < PostSync) is
// already satisfied by the phase order.
//
// Within a phase, a pinned group keeps its pin; an unpinned group g gets
//
//	lo(g)   = max(wave(d) + 1) over its predecessors d      (none: no bound)
//	hi(g)   = min(bound(s) - 1) over its successors s,
//	          where bound(s) = pin(s) or hi(s)              (none: no bound)
//	wave(g) = max(lo(g), min(defaults.wave, hi(g)))
//
// so without pins this is the longest-path layering (the fewest waves), and
// a group that must precede a pin lands just before it. For example
//
//	webhook  wave: -1
//	database
//	schema   after: [database]
//	backend  after: [schema]
//	check    before: [webhook]
//
// gives webhook -1, database 0, schema 1, backend 2, check -2. hi is
// computed in reverse topological order, then waves in topological order:
// O(groups + edges).

// Bound says what decided a group's wave.
type Bound string

const (
	BoundPinned  Bound = "pinned"  // the group's own wave
	BoundDefault Bound = "default" // defaults.wave
	BoundAfter   Bound = "after"   // one wave after its latest predecessor
	BoundBefore  Bound = "before"  // as late as a pinned successor allows
)

// GroupRef names a node (a group, a resource, a set of resources) and its
// computed wave. Via is the origin of the edge when it is not an after or
// before entry of syncwave.yaml (e.g. "config.kubernetes.io/depends-on"),
// "" for those.
type GroupRef struct {
	Name string
	Wave int
	Via  string
}

// GroupWave is the computed phase and wave of one group.
type GroupWave struct {
	Name   string
	Phase  argocd.Phase
	Wave   int
	Pinned bool
	Bound  Bound
	// After and Before are the groups in the same phase this group directly
	// follows and precedes, in the order the edges are written.
	After  []GroupRef
	Before []GroupRef
	// Limit is the pinned group that bounds this group from above (set when
	// Bound is "before").
	Limit *GroupRef
}

// Waves holds one GroupWave per group, at the group's index in
// SyncOrder.Groups.
type Waves struct {
	Groups []GroupWave
}

// Get returns the GroupWave of the named group.
func (w *Waves) Get(name string) (GroupWave, bool) {
	for _, g := range w.Groups {
		if g.Name == name {
			return g, true
		}
	}
	return GroupWave{}, false
}

// String prints one line per group: "name phase wave (bound)".
func (w *Waves) String() string {
	var b strings.Builder
	for _, g := range w.Groups {
		fmt.Fprintf(&b, "%s %s %d (%s", g.Name, g.Phase, g.Wave, g.Bound)
		if g.Limit != nil {
			fmt.Fprintf(&b, " %s %d", g.Limit.Name, g.Limit.Wave)
		}
		b.WriteString(")")
		for _, r := range g.After {
			fmt.Fprintf(&b, " after %s %d", r.Name, r.Wave)
		}
		for _, r := range g.Before {
			fmt.Fprintf(&b, " before %s %d", r.Name, r.Wave)
		}
		b.WriteString("\n")
	}
	return b.String()
}

// ComputeWaves computes every group's phase and wave from syncwave.yaml
// alone (Graph adds resources and annotation edges). It reports, all at
// once, after/before entries naming no group, edges across phases that
// cannot hold, cycles (with their path, "a -> b -> a" meaning a comes after
// b, which comes after a), and pins that contradict the edges. It does not
// need Validate to have run, and Validate reports the same problems.
func (o *SyncOrder) ComputeWaves() (*Waves, error) {
	w, errs := o.computeWaves()
	if err := errorList(errs).join(); err != nil {
		return nil, err
	}
	return w, nil
}

func (o *SyncOrder) computeWaves() (*Waves, []*FieldError) {
	w, errs := NewGraph(o).solve()
	return &Waves{Groups: w[:len(o.Groups)]}, errs
}
