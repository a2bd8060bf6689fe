package order

import (
	"fmt"
	"math"
	"strings"
)

// Ordering is a graph: groups are nodes, and "b after a" (or "a before b")
// is an edge a -> b. Waves are computed per phase with only the edges inside
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

// GroupRef names a group and its computed wave.
type GroupRef struct {
	Name string
	Wave int
}

// GroupWave is the computed phase and wave of one group.
type GroupWave struct {
	Name   string
	Phase  Phase
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

// ComputeWaves computes every group's phase and wave. It reports, all at
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

// edge is "to comes after from", declared as to.after[k] or from.before[k].
type edge struct {
	from, to int
	k        int
	before   bool
}

// path is where the edge is written, e.g. groups[3].after[0].
func (e edge) path() string {
	if e.before {
		return fmt.Sprintf("%s.before[%d]", groupPath(e.from), e.k)
	}
	return fmt.Sprintf("%s.after[%d]", groupPath(e.to), e.k)
}

type graph struct {
	o     *SyncOrder
	edges []edge
	out   [][]int // node -> edge indices leaving it
	in    [][]int // node -> edge indices entering it
	same  []bool  // edge is inside one phase (it constrains waves)
	phase []Phase
}

func (o *SyncOrder) newGraph() (*graph, []*FieldError) {
	n := len(o.Groups)
	g := &graph{o: o, out: make([][]int, n), in: make([][]int, n), phase: make([]Phase, n)}
	var errs []*FieldError
	index := make(map[string]int, n)
	var names []string
	for i := range o.Groups {
		g.phase[i] = o.Groups[i].Phase()
		if _, dup := index[o.Groups[i].Name]; !dup {
			index[o.Groups[i].Name] = i
			names = append(names, o.Groups[i].Name)
		}
	}
	type pair struct{ from, to int }
	seen := map[pair]bool{}
	resolveName := func(e edge, name string) (int, bool) {
		j, ok := index[name]
		if !ok {
			errs = append(errs, o.Errorf(e.path(), "no group named %q%s", name, didYouMean(name, names)))
		}
		return j, ok
	}
	add := func(e edge) {
		if seen[pair{e.from, e.to}] {
			return
		}
		seen[pair{e.from, e.to}] = true
		g.out[e.from] = append(g.out[e.from], len(g.edges))
		g.in[e.to] = append(g.in[e.to], len(g.edges))
		g.edges = append(g.edges, e)
	}
	for i := range o.Groups {
		for k, name := range o.Groups[i].After {
			e := edge{from: -1, to: i, k: k}
			if j, ok := resolveName(e, name); ok {
				e.from = j
				add(e)
			}
		}
		for k, name := range o.Groups[i].Before {
			e := edge{from: i, to: -1, k: k, before: true}
			if j, ok := resolveName(e, name); ok {
				e.to = j
				add(e)
			}
		}
	}
	g.same = make([]bool, len(g.edges))
	for ei, e := range g.edges {
		if err := g.checkPhases(e); err != nil {
			errs = append(errs, err)
			continue
		}
		g.same[ei] = g.phase[e.from] == g.phase[e.to]
	}
	return g, errs
}

// checkPhases reports an edge that the phases contradict.
func (g *graph) checkPhases(e edge) *FieldError {
	pf, pt := g.phase[e.from], g.phase[e.to]
	if pf == pt || (pf.Ordered() && pt.Ordered() && pf < pt) {
		return nil
	}
	from, to := g.o.Groups[e.from].Name, g.o.Groups[e.to].Name
	if !pf.Ordered() || !pt.Ordered() {
		// Name the declaring group first when it is the special one.
		special, sp, other, op := to, pt, from, pf
		if pt.Ordered() || (e.before && !pf.Ordered()) {
			special, sp, other, op = from, pf, to, pt
		}
		return g.o.Errorf(e.path(), "%q is a %s group, which can be ordered only among %s groups, but %q is in phase %s", special, sp, sp, other, op)
	}
	if e.before {
		return g.o.Errorf(e.path(), "%q (phase %s) cannot come before %q (phase %s): the %s phase runs after the %s phase", from, pf, to, pt, pf, pt)
	}
	return g.o.Errorf(e.path(), "%q (phase %s) cannot come after %q (phase %s): the %s phase runs after the %s phase", to, pt, from, pf, pf, pt)
}

// topo returns the nodes in topological order (Kahn, lowest index first
// among the ready ones) over all edges. Nodes on or behind a cycle are
// missing from it.
func (g *graph) topo() []int {
	n := len(g.o.Groups)
	indeg := make([]int, n)
	for _, e := range g.edges {
		indeg[e.to]++
	}
	order := make([]int, 0, n)
	for i := range n {
		if indeg[i] == 0 {
			order = append(order, i)
		}
	}
	for k := 0; k < len(order); k++ {
		for _, ei := range g.out[order[k]] {
			t := g.edges[ei].to
			if indeg[t]--; indeg[t] == 0 {
				order = append(order, t)
			}
		}
	}
	return order
}

// cycles reports one cycle per strongly connected component that has one,
// as the shortest cycle through its lowest-index group.
func (g *graph) cycles(done []bool) []*FieldError {
	n := len(g.o.Groups)
	comp := g.sccs(done)
	var errs []*FieldError
	reported := make([]bool, n+1)
	for s := range n {
		c := comp[s]
		if done[s] || c < 0 || reported[c] {
			continue
		}
		// BFS from s along "comes after" (edges backwards) inside the
		// component until an edge leads back to s.
		prev := make(map[int]int) // node -> edge index used to reach it
		queue := []int{s}
		closing := -1
	bfs:
		for k := 0; k < len(queue); k++ {
			u := queue[k]
			for _, ei := range g.in[u] {
				v := g.edges[ei].from
				if comp[v] != c {
					continue
				}
				if v == s {
					closing = ei
					break bfs
				}
				if _, ok := prev[v]; !ok {
					prev[v] = ei
					queue = append(queue, v)
				}
			}
		}
		if closing < 0 {
			continue // a single node without a self-edge
		}
		reported[c] = true
		// Walk back from the closing edge's target to s.
		var rev []int // edge indices from the end of the cycle to s
		u := g.edges[closing].to
		rev = append(rev, closing)
		for u != s {
			ei := prev[u]
			rev = append(rev, ei)
			u = g.edges[ei].to
		}
		// rev holds edges from the last back to s; the cycle read as
		// "comes after" starts at s and follows them in reverse.
		names := []string{g.o.Groups[s].Name}
		for k := len(rev) - 1; k >= 0; k-- {
			names = append(names, g.o.Groups[g.edges[rev[k]].from].Name)
		}
		first := g.edges[rev[len(rev)-1]]
		errs = append(errs, g.o.Errorf(first.path(), "cycle: %s", strings.Join(names, " -> ")))
	}
	return errs
}

// sccs labels the strongly connected components of the nodes not in done
// (Tarjan, iterative). Components of one node without a self-edge get -1.
func (g *graph) sccs(done []bool) []int {
	n := len(g.o.Groups)
	index := make([]int, n)
	low := make([]int, n)
	onStack := make([]bool, n)
	comp := make([]int, n)
	for i := range comp {
		index[i] = -1
		comp[i] = -1
	}
	var stack []int
	next, ncomp := 0, 0
	type frame struct{ v, k int }
	for root := range n {
		if done[root] || index[root] >= 0 {
			continue
		}
		call := []frame{{root, 0}}
		index[root], low[root] = next, next
		next++
		stack = append(stack, root)
		onStack[root] = true
		for len(call) > 0 {
			f := &call[len(call)-1]
			v := f.v
			if f.k < len(g.out[v]) {
				w := g.edges[g.out[v][f.k]].to
				f.k++
				if done[w] {
					continue
				}
				if index[w] < 0 {
					index[w], low[w] = next, next
					next++
					stack = append(stack, w)
					onStack[w] = true
					call = append(call, frame{w, 0})
				} else if onStack[w] {
					low[v] = min(low[v], index[w])
				}
				continue
			}
			call = call[:len(call)-1]
			if len(call) > 0 {
				p := call[len(call)-1].v
				low[p] = min(low[p], low[v])
			}
			if low[v] == index[v] {
				var members []int
				for {
					w := stack[len(stack)-1]
					stack = stack[:len(stack)-1]
					onStack[w] = false
					members = append(members, w)
					if w == v {
						break
					}
				}
				selfLoop := false
				if len(members) == 1 {
					for _, ei := range g.out[v] {
						if g.edges[ei].to == v {
							selfLoop = true
						}
					}
				}
				if len(members) > 1 || selfLoop {
					for _, w := range members {
						comp[w] = ncomp
					}
					ncomp++
				}
			}
		}
	}
	return comp
}

func (o *SyncOrder) computeWaves() (*Waves, []*FieldError) {
	g, errs := o.newGraph()
	n := len(o.Groups)
	order := g.topo()
	if len(order) < n {
		done := make([]bool, n)
		for _, v := range order {
			done[v] = true
		}
		errs = append(errs, g.cycles(done)...)
	}

	def := o.Defaults.DefaultWave()
	pinned := func(i int) bool { return o.Groups[i].Wave != nil }

	// Upper bounds, in reverse topological order.
	hasHi := make([]bool, n)
	hi := make([]int, n)
	limit := make([]int, n) // the pinned group at the end of the tightest path
	// bottom marks groups that must come before a group at the lowest wave
	// Argo CD reads (strconv.Atoi: the int range): no wave fits them.
	bottom := make([]bool, n)
	for k := len(order) - 1; k >= 0; k-- {
		v := order[k]
		if pinned(v) {
			hasHi[v], hi[v], limit[v] = true, *o.Groups[v].Wave, v
			continue
		}
		for _, ei := range g.out[v] {
			s := g.edges[ei].to
			if !g.same[ei] || !hasHi[s] {
				continue
			}
			if hi[s] == math.MinInt || bottom[s] {
				bottom[v], limit[v] = true, limit[s]
				continue
			}
			if b := hi[s] - 1; !hasHi[v] || b < hi[v] {
				hasHi[v], hi[v], limit[v] = true, b, limit[s]
			}
		}
	}

	// Waves, in topological order.
	w := &Waves{Groups: make([]GroupWave, n)}
	for i := range o.Groups {
		w.Groups[i] = GroupWave{Name: o.Groups[i].Name, Phase: g.phase[i], Wave: def, Bound: BoundDefault}
	}
	// failed marks groups whose wave is not trustworthy (a conflict at or
	// before them), so that one conflict is reported once.
	failed := make([]bool, n)
	for _, v := range order {
		gw := &w.Groups[v]
		if pinned(v) {
			gw.Wave, gw.Pinned, gw.Bound = *o.Groups[v].Wave, true, BoundPinned
			for _, ei := range g.in[v] {
				d := g.edges[ei].from
				if !g.same[ei] || failed[d] || !pinned(d) || *o.Groups[d].Wave < gw.Wave {
					continue
				}
				e := g.edges[ei]
				if e.before {
					errs = append(errs, o.Errorf(e.path(), "pinned waves contradict this edge: %q (wave %d) must come before %q (wave %d)",
						o.Groups[d].Name, *o.Groups[d].Wave, o.Groups[v].Name, gw.Wave))
				} else {
					errs = append(errs, o.Errorf(e.path(), "pinned waves contradict this edge: %q (wave %d) must come after %q (wave %d)",
						o.Groups[v].Name, gw.Wave, o.Groups[d].Name, *o.Groups[d].Wave))
				}
			}
			continue
		}
		hasLo, lo, loFrom, tainted, top := false, 0, -1, false, -1
		for _, ei := range g.in[v] {
			d := g.edges[ei].from
			if !g.same[ei] {
				continue
			}
			tainted = tainted || failed[d]
			if w.Groups[d].Wave == math.MaxInt {
				top = d
				continue
			}
			if b := w.Groups[d].Wave + 1; !hasLo || b > lo {
				hasLo, lo, loFrom = true, b, d
			}
		}
		if top >= 0 || bottom[v] {
			failed[v] = true
			if !tainted {
				if top >= 0 {
					errs = append(errs, o.Errorf(groupPath(v), "no wave fits group %q: it comes after %q (wave %d), the highest wave Argo CD reads (a 64-bit integer)",
						o.Groups[v].Name, o.Groups[top].Name, w.Groups[top].Wave))
				} else {
					l := limit[v]
					errs = append(errs, o.Errorf(groupPath(v), "no wave fits group %q: it comes before %q (pinned at wave %d), the lowest wave Argo CD reads (a 64-bit integer)",
						o.Groups[v].Name, o.Groups[l].Name, *o.Groups[l].Wave))
				}
			}
			continue
		}
		wave, bound := def, BoundDefault
		if hasHi[v] && hi[v] < def {
			wave, bound = hi[v], BoundBefore
		}
		if hasLo && lo > wave {
			wave, bound = lo, BoundAfter
		}
		gw.Wave, gw.Bound = wave, bound
		if bound == BoundBefore {
			gw.Limit = &GroupRef{o.Groups[limit[v]].Name, hi[limit[v]]}
		}
		if hasLo && hasHi[v] && lo > hi[v] {
			failed[v] = true
			if !tainted {
				l := limit[v]
				errs = append(errs, o.Errorf(groupPath(v), "no wave fits group %q: it comes after %q (wave %d), so it needs wave %d or later, and it comes before %q (pinned at wave %d), so it needs wave %d or earlier",
					o.Groups[v].Name, o.Groups[loFrom].Name, w.Groups[loFrom].Wave, lo, o.Groups[l].Name, *o.Groups[l].Wave, hi[v]))
			}
		} else if tainted {
			failed[v] = true
		}
	}
	for ei, e := range g.edges {
		if !g.same[ei] {
			continue
		}
		w.Groups[e.to].After = append(w.Groups[e.to].After, GroupRef{o.Groups[e.from].Name, w.Groups[e.from].Wave})
		w.Groups[e.from].Before = append(w.Groups[e.from].Before, GroupRef{o.Groups[e.to].Name, w.Groups[e.to].Wave})
	}
	return w, errs
}
