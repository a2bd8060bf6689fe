package order

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/syncwave/syncwave/argocd"
)

// Node is one node of an ordering graph: a group of syncwave.yaml, a
// resource that a dependency annotation names or carries, or a set of
// resources another deployer defines (a Helm resource group, a kapp change
// group, a subchart).
type Node struct {
	// Name is how reasons name the node: "db", "Deployment shop/api".
	Name string
	// Label is how messages name it: `"db"` for a group, else Name.
	Label string
	// Noun is Label with what it is: `group "db"`, `Helm resource group
	// "db"`.
	Noun  string
	Phase argocd.Phase
	// Pin fixes the node's wave; nil lets the graph choose it.
	Pin *int
	// Set marks a node that stands for a set of resources: it is never
	// written on anything, takes the wave of its latest member (edges from
	// its members have weight 0) and passes it on to what comes after it.
	Set bool
	// Where is the place that defines the node.
	Where Origin
}

// Origin is where an edge (or a node) is written: a syncwave.yaml line and
// field path, or a resource's file, line and annotation.
type Origin struct {
	File string
	Line int
	// Path is a field path: groups[3].after[0], or
	// metadata.annotations["config.kubernetes.io/depends-on"].
	Path string
	// Via names the syntax of an edge that is not an after or before entry
	// of syncwave.yaml: "config.kubernetes.io/depends-on", ...; "" for those.
	Via string
}

// String is "file:line path", leaving out what is unknown.
func (o Origin) String() string {
	var b strings.Builder
	if o.File != "" {
		b.WriteString(o.File)
		if o.Line > 0 {
			b.WriteString(":" + strconv.Itoa(o.Line))
		}
	} else if o.Line > 0 {
		b.WriteString("line " + strconv.Itoa(o.Line))
	}
	if o.Path != "" {
		if b.Len() > 0 {
			b.WriteString(" ")
		}
		b.WriteString(o.Path)
	}
	return b.String()
}

func (o Origin) errorf(format string, args ...any) *FieldError {
	return NewFieldError(o.File, o.Line, o.Path, format, args...)
}

// Edge is "To comes after From": To's wave is at least From's plus Weight
// (1, or 0 from a member to its Set node).
type Edge struct {
	From, To int
	Weight   int
	Origin   Origin
	// Before says the edge is written on From (a before entry), which
	// words messages from From's side.
	Before bool
}

// Graph is an ordering graph under construction. NewGraph starts it with
// the groups of a SyncOrder (nodes 0..len(Groups)-1) and their after and
// before edges; callers add resources, sets and edges, then Solve.
type Graph struct {
	errs  []*FieldError // found while building
	o     *SyncOrder
	nodes []Node
	edges []Edge
	// unique is how many edges at the start of edges are known to join
	// distinct node pairs; AddEdge appends, dedupe merges the rest.
	unique int
	// out is the adjacency by From that dedupe built, while it is still
	// that of edges (nil otherwise).
	out *adjacency
}

// NewGraph returns the graph of o's groups and edges. After/before entries
// that name no group are reported by Solve.
func NewGraph(o *SyncOrder) *Graph {
	g := &Graph{o: o}
	index := make(map[string]int, len(o.Groups))
	var names []string
	for i := range o.Groups {
		name := o.Groups[i].Name
		g.nodes = append(g.nodes, Node{
			Name: name, Label: strconv.Quote(name), Noun: "group " + strconv.Quote(name),
			Phase: o.Groups[i].Phase(), Pin: o.Groups[i].Wave,
			Where: Origin{File: o.file, Line: o.GroupLine(i), Path: groupPath(i)},
		})
		if _, dup := index[name]; !dup {
			index[name] = i
			names = append(names, name)
		}
	}
	for i := range o.Groups {
		for k, name := range o.Groups[i].After {
			p := fmt.Sprintf("%s.after[%d]", groupPath(i), k)
			if j, ok := index[name]; ok {
				g.AddEdge(Edge{From: j, To: i, Weight: 1, Origin: Origin{File: o.file, Line: o.Line(p), Path: p}})
			} else {
				g.errs = append(g.errs, o.Errorf(p, "no group named %q%s", name, didYouMean(name, names)))
			}
		}
		for k, name := range o.Groups[i].Before {
			p := fmt.Sprintf("%s.before[%d]", groupPath(i), k)
			if j, ok := index[name]; ok {
				g.AddEdge(Edge{From: i, To: j, Weight: 1, Before: true, Origin: Origin{File: o.file, Line: o.Line(p), Path: p}})
			} else {
				g.errs = append(g.errs, o.Errorf(p, "no group named %q%s", name, didYouMean(name, names)))
			}
		}
	}
	return g
}

// AddNode adds a node and returns its index.
func (g *Graph) AddNode(n Node) int {
	if n.Label == "" {
		n.Label = n.Name
	}
	if n.Noun == "" {
		n.Noun = n.Label
	}
	g.nodes = append(g.nodes, n)
	g.out = nil
	return len(g.nodes) - 1
}

// Grow makes room for about nodes more nodes and edges more edges.
func (g *Graph) Grow(nodes, edges int) {
	g.nodes = slices.Grow(g.nodes, nodes)
	g.edges = slices.Grow(g.edges, edges)
}

// Node returns node i.
func (g *Graph) Node(i int) Node { return g.nodes[i] }

// Len is the number of nodes.
func (g *Graph) Len() int { return len(g.nodes) }

// AddEdge adds e unless an edge between the same nodes exists; then the
// first one written stays, with the larger weight. (Duplicates are merged
// when the graph is next read, in one linear pass without a map.)
func (g *Graph) AddEdge(e Edge) {
	g.edges = append(g.edges, e)
	g.out = nil
}

// dedupe merges the edges that join the same pair of nodes into the first
// one written, which takes the largest weight, keeping the order of the
// rest. Linear: edges are bucketed by From (a counting sort, stable), and
// a mark per To finds repeats inside a bucket.
func (g *Graph) dedupe() {
	if g.unique == len(g.edges) && g.out != nil && len(g.out.start) == len(g.nodes)+1 {
		return
	}
	n := len(g.nodes)
	out := newAdjacency(n, g.edges, func(e Edge) int { return e.From })
	g.out = nil
	last := make([]int32, n)  // To -> 1 + the From whose bucket saw it last
	first := make([]int32, n) // To -> the edge that bucket kept
	dup := make([]bool, len(g.edges))
	ndup := 0
	for v := range n {
		for _, ei := range out.of(v) {
			t := g.edges[ei].To
			if last[t] == int32(v)+1 {
				k := first[t]
				g.edges[k].Weight = max(g.edges[k].Weight, g.edges[ei].Weight)
				dup[ei] = true
				ndup++
				continue
			}
			last[t], first[t] = int32(v)+1, ei
		}
	}
	if ndup > 0 {
		kept := g.edges[:0]
		for ei, e := range g.edges {
			if !dup[ei] {
				kept = append(kept, e)
			}
		}
		clear(g.edges[len(kept):])
		g.edges = kept
	} else {
		g.out = &out
	}
	g.unique = len(g.edges)
}

// Solve computes every node's phase and wave (one GroupWave per node, at
// its index) and reports every cycle, contradicting pin and phase, each at
// the origin of an edge that causes it.
func (g *Graph) Solve() ([]GroupWave, error) {
	w, errs := g.solve()
	if err := errorList(errs).join(); err != nil {
		return nil, err
	}
	return w, nil
}

// adjacency is a compressed edge list per node.
type adjacency struct {
	start []int32 // node -> first position in list; len n+1
	list  []int32 // edge indices
}

func (a *adjacency) of(v int) []int32 { return a.list[a.start[v]:a.start[v+1]] }

func newAdjacency(n int, edges []Edge, key func(Edge) int) adjacency {
	a := adjacency{start: make([]int32, n+1), list: make([]int32, len(edges))}
	for _, e := range edges {
		a.start[key(e)+1]++
	}
	for i := 1; i <= n; i++ {
		a.start[i] += a.start[i-1]
	}
	pos := make([]int32, n)
	copy(pos, a.start[:n])
	for ei, e := range edges {
		k := key(e)
		a.list[pos[k]] = int32(ei)
		pos[k]++
	}
	return a
}

type solver struct {
	*Graph
	out, in adjacency
	same    []bool // edge is inside one phase (it constrains waves)
	errs    []*FieldError

	// upperBounds' results, per node.
	hasHi, bottom []bool
	hi, limit     []int

	w      []GroupWave // the result, per node
	failed []bool      // node's wave is not trustworthy: a conflict at or before it
}

// checkPhases reports an edge that the phases contradict.
func (s *solver) checkPhases(e Edge) *FieldError {
	pf, pt := s.nodes[e.From].Phase, s.nodes[e.To].Phase
	if pf == pt || (pf.Ordered() && pt.Ordered() && pf.Order() < pt.Order()) {
		return nil
	}
	from, to := s.nodes[e.From].Label, s.nodes[e.To].Label
	if !pf.Ordered() || !pt.Ordered() {
		// Name the declaring node first when it is the special one.
		special, sp, other, op := to, pt, from, pf
		if pt.Ordered() || (e.Before && !pf.Ordered()) {
			special, sp, other, op = from, pf, to, pt
		}
		what := "group"
		if e.Origin.Via != "" {
			what = "resource"
		}
		return e.Origin.errorf("%s is a %s %s, which can be ordered only among %s %ss, but %s is in phase %s", special, sp, what, sp, what, other, op)
	}
	if e.Before {
		return e.Origin.errorf("%s (phase %s) cannot come before %s (phase %s): the %s phase runs after the %s phase", from, pf, to, pt, pf, pt)
	}
	return e.Origin.errorf("%s (phase %s) cannot come after %s (phase %s): the %s phase runs after the %s phase", to, pt, from, pf, pf, pt)
}

// topo returns the nodes in topological order (Kahn, lowest index first
// among the ready ones) over all edges. Nodes on or behind a cycle are
// missing from it.
func (s *solver) topo() []int {
	n := len(s.nodes)
	indeg := make([]int32, n)
	for _, e := range s.edges {
		indeg[e.To]++
	}
	order := make([]int, 0, n)
	for i := range n {
		if indeg[i] == 0 {
			order = append(order, i)
		}
	}
	for k := 0; k < len(order); k++ {
		for _, ei := range s.out.of(order[k]) {
			t := s.edges[ei].To
			if indeg[t]--; indeg[t] == 0 {
				order = append(order, t)
			}
		}
	}
	return order
}

// cycles reports one cycle per strongly connected component that has one,
// as the shortest cycle through its lowest-index node, with the origin of
// each edge.
func (s *solver) cycles(done []bool) []*FieldError {
	n := len(s.nodes)
	comp := s.sccs(done)
	var errs []*FieldError
	reported := make([]bool, n+1)
	for src := range n {
		c := comp[src]
		if done[src] || c < 0 || reported[c] {
			continue
		}
		// BFS from src along "comes after" (edges backwards) inside the
		// component until an edge leads back to src.
		prev := make(map[int]int32) // node -> edge index used to reach it
		queue := []int{src}
		closing := int32(-1)
	bfs:
		for k := 0; k < len(queue); k++ {
			u := queue[k]
			for _, ei := range s.in.of(u) {
				v := s.edges[ei].From
				if comp[v] != c {
					continue
				}
				if v == src {
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
		rev := []int32{closing} // edges from the end of the cycle back to src
		for u := s.edges[closing].To; u != src; {
			ei := prev[u]
			rev = append(rev, ei)
			u = s.edges[ei].To
		}
		// Read as "comes after": src, then the From of each edge in
		// reverse, each followed by the origin of the edge that says so.
		var b strings.Builder
		b.WriteString(s.nodes[src].Name)
		for k := len(rev) - 1; k >= 0; k-- {
			e := s.edges[rev[k]]
			fmt.Fprintf(&b, " -> %s (%s)", s.nodes[e.From].Name, describeOrigin(e.Origin))
		}
		first := s.edges[rev[len(rev)-1]]
		errs = append(errs, first.Origin.errorf("cycle: %s", b.String()))
	}
	return errs
}

// describeOrigin is the field path for syncwave.yaml (whose file the error
// already names) and "app.yaml:3 metadata.annotations[...]" for the rest.
func describeOrigin(o Origin) string {
	if o.Via == "" {
		return o.Path
	}
	return o.String()
}

// sccs labels the strongly connected components of the nodes not in done
// (Tarjan, iterative). Components of one node without a self-edge get -1.
func (s *solver) sccs(done []bool) []int {
	n := len(s.nodes)
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
			if out := s.out.of(v); f.k < len(out) {
				w := s.edges[out[f.k]].To
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
					for _, ei := range s.out.of(v) {
						if s.edges[ei].To == v {
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

// solve is Solve's steps: the edges checked against the phases, cycles,
// the upper bounds pins set, each node's wave in topological order, then
// the neighbour lists reasons print.
func (g *Graph) solve() ([]GroupWave, []*FieldError) {
	g.dedupe()
	s := newSolver(g)
	order := s.topo()
	if len(order) < len(g.nodes) {
		done := make([]bool, len(g.nodes))
		for _, v := range order {
			done[v] = true
		}
		s.errs = append(s.errs, s.cycles(done)...)
	}
	s.upperBounds(order)
	s.w = make([]GroupWave, len(g.nodes))
	def := g.o.Defaults.DefaultWave()
	for i := range g.nodes {
		s.w[i] = GroupWave{Name: g.nodes[i].Name, Phase: g.nodes[i].Phase, Wave: def, Bound: BoundDefault}
	}
	s.failed = make([]bool, len(g.nodes))
	for _, v := range order {
		if g.nodes[v].Pin != nil {
			s.pinnedWave(v)
		} else {
			s.freeWave(v, def)
		}
	}
	s.neighbours()
	return s.w, s.errs
}

// newSolver indexes the graph's edges both ways and checks each against
// the phases of its ends (the errors start with the graph's own).
func newSolver(g *Graph) *solver {
	n := len(g.nodes)
	s := &solver{Graph: g}
	if g.out != nil {
		s.out = *g.out
	} else {
		s.out = newAdjacency(n, g.edges, func(e Edge) int { return e.From })
	}
	s.in = newAdjacency(n, g.edges, func(e Edge) int { return e.To })
	s.errs = g.errs
	s.same = make([]bool, len(g.edges))
	for ei, e := range g.edges {
		if err := s.checkPhases(e); err != nil {
			s.errs = append(s.errs, err)
			continue
		}
		s.same[ei] = g.nodes[e.From].Phase == g.nodes[e.To].Phase
	}
	return s
}

// upperBounds computes, in reverse topological order, the latest wave each
// unpinned node may take (hi) because of the pinned nodes after it, and
// the pinned node at the end of that tightest path (limit). bottom marks
// the nodes that must come before a node at the lowest wave Argo CD reads
// (strconv.Atoi: the int range): no wave fits them.
func (s *solver) upperBounds(order []int) {
	n := len(s.nodes)
	s.hasHi, s.hi, s.limit, s.bottom = make([]bool, n), make([]int, n), make([]int, n), make([]bool, n)
	for k := len(order) - 1; k >= 0; k-- {
		v := order[k]
		if p := s.nodes[v].Pin; p != nil {
			s.hasHi[v], s.hi[v], s.limit[v] = true, *p, v
			continue
		}
		for _, ei := range s.out.of(v) {
			e := s.edges[ei]
			if !s.same[ei] || !s.hasHi[e.To] {
				continue
			}
			if s.bottom[e.To] || (e.Weight > 0 && s.hi[e.To] == math.MinInt) {
				s.bottom[v], s.limit[v] = true, s.limit[e.To]
				continue
			}
			if b := s.hi[e.To] - e.Weight; !s.hasHi[v] || b < s.hi[v] {
				s.hasHi[v], s.hi[v], s.limit[v] = true, b, s.limit[e.To]
			}
		}
	}
}

// pinnedWave gives pinned node v its pin and reports every edge from a
// pinned node that the two pins contradict.
func (s *solver) pinnedWave(v int) {
	gw, nv := &s.w[v], &s.nodes[v]
	gw.Wave, gw.Pinned, gw.Bound = *nv.Pin, true, BoundPinned
	for _, ei := range s.in.of(v) {
		e := s.edges[ei]
		d := e.From
		pd := s.nodes[d].Pin
		if !s.same[ei] || s.failed[d] || pd == nil || *pd+e.Weight <= gw.Wave {
			continue
		}
		if e.Before {
			s.errs = append(s.errs, e.Origin.errorf("pinned waves contradict this edge: %s (wave %d) must come before %s (wave %d)",
				s.nodes[d].Label, *pd, nv.Label, gw.Wave))
		} else {
			s.errs = append(s.errs, e.Origin.errorf("pinned waves contradict this edge: %s (wave %d) must come after %s (wave %d)",
				nv.Label, gw.Wave, s.nodes[d].Label, *pd))
		}
	}
}

// freeWave gives unpinned node v the wave its neighbours allow: after
// every node before it (lo) and before every pinned node after it (hi),
// def when that range holds it, else the bound nearest def. A set (of
// resources another deployer groups) goes right after what it follows,
// else right before what it precedes. A node with no wave left is reported
// once: not again when a node before it failed already (failed marks
// those).
func (s *solver) freeWave(v, def int) {
	gw, nv := &s.w[v], &s.nodes[v]
	hasLo, lo, loFrom, tainted, top := false, 0, -1, false, -1
	for _, ei := range s.in.of(v) {
		e := s.edges[ei]
		if !s.same[ei] {
			continue
		}
		tainted = tainted || s.failed[e.From]
		if e.Weight > 0 && s.w[e.From].Wave == math.MaxInt {
			top = e.From
			continue
		}
		if b := s.w[e.From].Wave + e.Weight; !hasLo || b > lo {
			hasLo, lo, loFrom = true, b, e.From
		}
	}
	if top >= 0 || s.bottom[v] {
		s.failed[v] = true
		if tainted {
			return
		}
		if top >= 0 {
			s.errs = append(s.errs, nv.Where.errorf("no wave fits %s: it comes after %s (wave %d), the highest wave Argo CD reads (a 64-bit integer)",
				nv.Noun, s.nodes[top].Label, s.w[top].Wave))
		} else {
			l := s.limit[v]
			s.errs = append(s.errs, nv.Where.errorf("no wave fits %s: it comes before %s (pinned at wave %d), the lowest wave Argo CD reads (a 64-bit integer)",
				nv.Noun, s.nodes[l].Label, *s.nodes[l].Pin))
		}
		return
	}
	hasHi, hi := s.hasHi[v], s.hi[v]
	wave, bound := def, BoundDefault
	switch {
	case nv.Set && hasLo:
		wave, bound = lo, BoundAfter
	case nv.Set && hasHi:
		wave, bound = hi, BoundBefore
	default:
		if hasHi && hi < def {
			wave, bound = hi, BoundBefore
		}
		if hasLo && lo > wave {
			wave, bound = lo, BoundAfter
		}
	}
	gw.Wave, gw.Bound = wave, bound
	if bound == BoundBefore {
		gw.Limit = &GroupRef{Name: s.nodes[s.limit[v]].Name, Wave: s.hi[s.limit[v]]}
	}
	switch {
	case hasLo && hasHi && lo > hi:
		s.failed[v] = true
		if !tainted {
			l := s.limit[v]
			s.errs = append(s.errs, nv.Where.errorf("no wave fits %s: it comes after %s (wave %d), so it needs wave %d or later, and it comes before %s (pinned at wave %d), so it needs wave %d or earlier",
				nv.Noun, s.nodes[loFrom].Label, s.w[loFrom].Wave, lo, s.nodes[l].Label, *s.nodes[l].Pin, hi))
		}
	case tainted:
		s.failed[v] = true
	}
}

// neighbours fills every node's After and Before lists from the edges
// that order waves. The lists share one backing array (each capped at its
// length, so appending to one copies it).
func (s *solver) neighbours() {
	n, w := len(s.nodes), s.w
	nafter, nbefore := make([]int32, n), make([]int32, n)
	total := 0
	for ei, e := range s.edges {
		if s.same[ei] && e.Weight != 0 {
			nafter[e.To]++
			nbefore[e.From]++
			total += 2
		}
	}
	refs := make([]GroupRef, total)
	for v := range n {
		if k := int(nafter[v]); k > 0 {
			w[v].After, refs = refs[:0:k], refs[k:]
		}
		if k := int(nbefore[v]); k > 0 {
			w[v].Before, refs = refs[:0:k], refs[k:]
		}
	}
	for ei, e := range s.edges {
		if !s.same[ei] || e.Weight == 0 {
			continue
		}
		w[e.To].After = append(w[e.To].After, GroupRef{Name: s.nodes[e.From].Name, Wave: w[e.From].Wave, Via: e.Origin.Via})
		w[e.From].Before = append(w[e.From].Before, GroupRef{Name: s.nodes[e.To].Name, Wave: w[e.To].Wave, Via: e.Origin.Via})
	}
}

// Reachable marks the nodes that come after node from, directly or through
// other nodes (along every edge, whatever its phase or weight); from itself
// only on a cycle. Cost: linear in the graph.
func (g *Graph) Reachable(from int) []bool {
	g.dedupe()
	out := g.out
	if out == nil {
		a := newAdjacency(len(g.nodes), g.edges, func(e Edge) int { return e.From })
		out = &a
	}
	seen := make([]bool, len(g.nodes))
	stack := []int{from}
	for len(stack) > 0 {
		v := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, ei := range out.of(v) {
			if t := g.edges[ei].To; !seen[t] {
				seen[t] = true
				stack = append(stack, t)
			}
		}
	}
	return seen
}
