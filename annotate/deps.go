package annotate

import (
	"encoding/json"
	"fmt"
	"hash/maphash"
	"slices"
	"strconv"
	"strings"

	"github.com/syncwave/syncwave/argocd"
	"github.com/syncwave/syncwave/manifest"
	"github.com/syncwave/syncwave/order"
)

// The dependency annotations syncwave reads as edges.
const (
	// DependsOn is kpt's and cli-utils' dependency list:
	// "<group>/namespaces/<namespace>/<Kind>/<name>" or "<group>/<Kind>/<name>",
	// comma-separated, the core group empty.
	DependsOn = "config.kubernetes.io/depends-on"
	// HelmResourceGroup puts a resource in a Helm resource group (HIP-0025).
	HelmResourceGroup = "helm.sh/resource-group"
	// HelmDependsOnGroups lists, as a JSON array, the resource groups of the
	// same chart a resource comes after. Kubernetes rejects the key (two
	// slashes), so it never reaches the output.
	HelmDependsOnGroups = "helm.sh/depends-on/resource-groups"
	// HelmLayer and HelmDependsOnLayers are the spelling of an earlier
	// HIP-0025 draft for HelmResourceGroup and HelmDependsOnGroups. They
	// are read the same way, with a warning naming the current spelling;
	// the list may also be a comma-separated string, as the draft's own
	// examples wrote it.
	HelmLayer           = "helm.sh/layer"
	HelmDependsOnLayers = "helm.sh/depends-on/layers"
	// HelmDependsOnSubcharts is the Chart.yaml annotation that orders a
	// chart's own resources after some of its subcharts (a JSON array).
	HelmDependsOnSubcharts = "helm.sh/depends-on/subcharts"
	// KappChangeGroup (and KappChangeGroup + ".<suffix>") put a resource in
	// a kapp change group.
	KappChangeGroup = "kapp.k14s.io/change-group"
	// KappChangeRule (and KappChangeRule + ".<suffix>") order a resource
	// against a change group: "upsert after upserting <group>".
	KappChangeRule = "kapp.k14s.io/change-rule"
)

// Options are the inputs of ApplyWith beyond the ordering file.
type Options struct {
	// Namespace is the Application's destination namespace: a resource
	// without metadata.namespace is in it. "" matches any namespace.
	Namespace string
	// Dependencies, when set, replaces the ordering file's dependencies
	// block (a flag or plugin parameter).
	Dependencies *order.Dependencies
	// Charts is the subchart ordering of the Helm charts rendered (HIP-0025),
	// read from their Chart.yaml files by the caller.
	Charts []ChartOrder
}

// ChartOrder is the subchart ordering one Chart.yaml declares.
type ChartOrder struct {
	// File is the Chart.yaml, for messages.
	File string
	// Scope is the chart's prefix in the source paths of its rendered
	// resources ("shop", "shop/charts/db").
	Scope string
	// Subcharts maps each dependency's name (its alias when it has one) to
	// its scope.
	Subcharts map[string]string
	// DependsOn are the depends-on entries of the dependencies.
	DependsOn []ChartEdge
	// ParentDependsOn is helm.sh/depends-on/subcharts: the subcharts the
	// chart's own resources come after.
	ParentDependsOn []string
}

// ChartEdge is "subchart To comes after subchart From", written at Path
// (dependencies[i].depends-on[j]) of the Chart.yaml.
type ChartEdge struct {
	From, To, Path string
}

// depGraph builds the resource-level graph on top of the groups' one.
type depGraph struct {
	o        *order.SyncOrder
	g        *order.Graph
	res      []*manifest.Resource
	member   []int // resource -> group, -1 for none
	node     []int // resource -> its own node, -1 until needed
	override bool
	opts     Options
	sets     map[string]int // "helm\x00scope\x00name" or "kapp\x00name" -> set node
	setMem   map[string][]int
	warn     []string
	errs     []error

	// What scan found, for the syntaxes switched on: the resources that
	// carry each one's keys, in order, the depends-on values, and every
	// resource's name hash (for the depends-on name index).
	syntax                       order.Dependencies
	onDeps, onHelm, onKapp       bool
	withDeps, withHelm, withKapp []int
	depVals                      []string
	nameHash                     []uint64
	seed                         maphash.Seed
	// flags are what scan saw on each resource (the keys other passes
	// look up, so that they skip the resources without them).
	flags []uint8
}

// Bits of depGraph.flags.
const (
	// flagArgo: an Argo CD or Helm ordering annotation (sync-wave, hook,
	// hook-delete-policy, sync-options, helm.sh/hook, helm.sh/hook-weight).
	flagArgo uint8 = 1 << iota
	// flagHelmDeps: helm.sh/depends-on/resource-groups, which the output
	// must not keep.
	flagHelmDeps
)

// newDepGraph prepares the resource graph; scan must then see every
// resource, in order, before addDependencies.
func newDepGraph(o *order.SyncOrder, res []*manifest.Resource, member []int, opts Options, deps order.Dependencies) *depGraph {
	d := &depGraph{
		o: o, g: order.NewGraph(o), res: res, member: member, node: make([]int, len(res)),
		override: o.Defaults.ExistingAnnotations == order.OverrideExisting, opts: opts,
		sets: map[string]int{}, setMem: map[string][]int{}, syntax: deps,
		onDeps: deps.Enabled(order.SyntaxDependsOn), onHelm: deps.Enabled(order.SyntaxHelm), onKapp: deps.Enabled(order.SyntaxKapp),
	}
	for i := range d.node {
		d.node[i] = -1
	}
	d.flags = make([]uint8, len(res))
	if d.onDeps {
		d.nameHash = make([]uint64, len(res))
		d.seed = maphash.MakeSeed()
	}
	return d
}

// scan reads what the dependency syntaxes need from resource i, in the
// same pass as the selection, so that each resource is visited once here
// and the syntaxes then visit only the resources that carry their keys.
func (d *depGraph) scan(i int, r *manifest.Resource) {
	if d.onDeps {
		d.nameHash[i] = maphash.String(d.seed, r.Name)
	}
	if len(r.Annotations) == 0 {
		return
	}
	var isDeps, isHelm, isKapp bool
	var depVal string
	var f uint8
	for k, v := range r.Annotations {
		switch {
		case k == argocd.AnnotationSyncWave || k == argocd.AnnotationHook || k == argocd.AnnotationHookDeletePolicy || k == argocd.AnnotationSyncOptions || k == argocd.AnnotationHelmHookWeight || k == argocd.AnnotationHelmHook:
			f |= flagArgo
		case k == DependsOn:
			isDeps, depVal = true, v
		case k == HelmDependsOnGroups || k == HelmDependsOnLayers:
			f |= flagHelmDeps
			isHelm = true
		case k == HelmResourceGroup || k == HelmLayer:
			isHelm = true
		case isKappKey(k, KappChangeGroup) || isKappKey(k, KappChangeRule):
			isKapp = true
		}
	}
	d.flags[i] = f
	if isDeps && d.onDeps {
		d.withDeps, d.depVals = append(d.withDeps, i), append(d.depVals, depVal)
	}
	if isHelm && d.onHelm {
		d.withHelm = append(d.withHelm, i)
	}
	if isKapp && d.onKapp {
		d.withKapp = append(d.withKapp, i)
	}
}

// nodeOf returns the node that orders resource i: its group's, else its
// own (created on first use).
func (d *depGraph) nodeOf(i int) int {
	if g := d.member[i]; g >= 0 {
		return g
	}
	if d.node[i] >= 0 {
		return d.node[i]
	}
	r := d.res[i]
	n := order.Node{Name: r.String(), Phase: argocd.PhaseSync, Where: order.Origin{File: r.Source, Line: r.Line}}
	if d.flags[i]&flagArgo == 0 {
		// No hook, sync-wave or hook-weight: phase Sync, no pin.
		d.node[i] = d.g.AddNode(n)
		return d.node[i]
	}
	n.Phase = d.phaseOf(r)
	if !d.override {
		if w, src := argocd.Wave(r.Annotations); src != argocd.WaveDefault {
			n.Pin = &w
		}
	}
	d.node[i] = d.g.AddNode(n)
	return d.node[i]
}

// phaseOf is the phase Argo CD runs an unselected resource in (its first
// one, for a hook of several types).
func (d *depGraph) phaseOf(r *manifest.Resource) argocd.Phase {
	if d.override {
		return argocd.PhaseSync
	}
	h := argocd.Read(r.Annotations, argocd.Default)
	switch {
	case h.Skip || h.Ignored:
		return argocd.PhaseSkip
	case !h.Hook:
		return argocd.PhaseSync
	}
	return h.Types[0].Phase()
}

func origin(r *manifest.Resource, key string) order.Origin {
	return order.Origin{File: r.Source, Line: r.Line, Path: annotationPath(key), Via: key}
}

// annotationPath is the field path of an annotation; the fixed keys are
// built once.
func annotationPath(key string) string {
	switch key {
	case DependsOn:
		return dependsOnPath
	case HelmResourceGroup:
		return helmGroupPath
	case HelmDependsOnGroups:
		return helmDepsPath
	}
	return "metadata.annotations[" + strconv.Quote(key) + "]"
}

var (
	dependsOnPath = "metadata.annotations[" + strconv.Quote(DependsOn) + "]"
	helmGroupPath = "metadata.annotations[" + strconv.Quote(HelmResourceGroup) + "]"
	helmDepsPath  = "metadata.annotations[" + strconv.Quote(HelmDependsOnGroups) + "]"
)

func (d *depGraph) errorf(r *manifest.Resource, key, format string, args ...any) {
	d.errs = append(d.errs, fmt.Errorf("%s (%s): %s: %s", r, r.Where(), key, fmt.Sprintf(format, args...)))
}

func (d *depGraph) warnf(r *manifest.Resource, key, format string, args ...any) {
	d.warn = append(d.warn, fmt.Sprintf("%s (%s): %s: %s", r, r.Where(), key, fmt.Sprintf(format, args...)))
}

// set returns the node of a set of resources, creating it.
func (d *depGraph) set(key, noun string, phase argocd.Phase, where order.Origin) int {
	if n, ok := d.sets[key]; ok {
		return n
	}
	n := d.g.AddNode(order.Node{Name: noun, Label: noun, Noun: noun, Phase: phase, Set: true, Where: where})
	d.sets[key] = n
	return n
}

// addDependencies adds the edges of every enabled dependency annotation.
func (d *depGraph) addDependencies() {
	if d.onDeps {
		d.dependsOn(d.withDeps, d.depVals)
	}
	if d.onHelm {
		d.helm(d.withHelm)
		d.subcharts()
	}
	if d.onKapp {
		d.kapp(d.withKapp)
	}
	if d.syntax.InferReferences() {
		d.references()
	}
}

// objRef is one config.kubernetes.io/depends-on entry.
type objRef struct {
	group, ns, kind, name string
	namespaced            bool
}

func (o objRef) String() string {
	if o.namespaced {
		return o.group + "/namespaces/" + o.ns + "/" + o.kind + "/" + o.name
	}
	return o.group + "/" + o.kind + "/" + o.name
}

// parseObjRef reads "<group>/namespaces/<ns>/<Kind>/<name>" or
// "<group>/<Kind>/<name>" (cli-utils' ObjMetadata string form).
func parseObjRef(s string) (objRef, error) {
	var p [5]string
	n := 0
	for rest := s; ; n++ {
		if n == len(p) {
			n = -1 // too many parts
			break
		}
		part, tail, more := strings.Cut(rest, "/")
		p[n] = part
		if !more {
			n++
			break
		}
		rest = tail
	}
	switch {
	case n == 3 && p[1] != "" && p[2] != "":
		return objRef{group: p[0], kind: p[1], name: p[2]}, nil
	case n == 5 && p[1] == "namespaces" && p[2] != "" && p[3] != "" && p[4] != "":
		return objRef{group: p[0], ns: p[2], kind: p[3], name: p[4], namespaced: true}, nil
	}
	return objRef{}, fmt.Errorf("%q is not <group>/namespaces/<namespace>/<Kind>/<name> or <group>/<Kind>/<name> (the core group is empty: /namespaces/shop/Secret/db)", s)
}

// dependsOn reads config.kubernetes.io/depends-on on the resources with
// (the indices of) with, in order: vals[k] on with[k].
func (d *depGraph) dependsOn(with []int, vals []string) {
	// First the references, so that only the names they use are indexed.
	type entry struct {
		i   int
		ref objRef
	}
	n := 0
	for _, v := range vals {
		n += strings.Count(v, ",") + 1
	}
	entries := make([]entry, 0, n)
	for k, i := range with {
		r, v := d.res[i], vals[k]
		for item := range strings.SplitSeq(v, ",") {
			item = strings.TrimSpace(item)
			if item == "" {
				continue
			}
			ref, err := parseObjRef(item)
			if err != nil {
				d.errorf(r, DependsOn, "%v", err)
				continue
			}
			entries = append(entries, entry{i, ref})
		}
	}
	if len(entries) == 0 {
		return
	}
	// The index is keyed by the names' hashes (scan computed the
	// resources'), so that building and probing it compare integers; a
	// candidate's name is compared in full below.
	hashes := make([]uint64, len(entries))
	wanted := make(map[uint64]int32, len(entries)) // name hash -> first resource of that hash, -1 for none
	for k, e := range entries {
		hashes[k] = maphash.String(d.seed, e.ref.name)
		wanted[hashes[k]] = -1
	}
	// The resources of each wanted hash, chained through next.
	next := make([]int32, len(d.res))
	for j := len(d.res) - 1; j >= 0; j-- {
		h := d.nameHash[j]
		if first, ok := wanted[h]; ok {
			next[j] = first
			wanted[h] = int32(j)
		}
	}
	d.g.Grow(len(entries), len(entries))
	for k, e := range entries {
		r, ref := d.res[e.i], e.ref
		found := false
		for j := wanted[hashes[k]]; j >= 0; j = next[j] {
			x := d.res[j]
			if x.Name != ref.name || x.Kind != ref.kind || x.Group() != ref.group {
				continue
			}
			ns := x.Namespace
			if ns == "" {
				ns = d.opts.Namespace
			}
			if ref.namespaced && ns != "" && ns != ref.ns {
				continue
			}
			found = true
			d.g.AddEdge(order.Edge{From: d.nodeOf(int(j)), To: d.nodeOf(e.i), Weight: 1, Origin: origin(r, DependsOn)})
		}
		if !found {
			d.warnf(r, DependsOn, "%s is not in the output, so syncwave cannot order against it; Argo CD will not wait for it (fine when it already exists in the cluster or another Application creates it)", ref)
		}
	}
}

// chartScope is the chart a rendered resource comes from: its source path
// up to "/templates/" ("" for resources not rendered from a chart).
func chartScope(r *manifest.Resource) string {
	if i := strings.LastIndex(r.Source, "/templates/"); i >= 0 {
		return r.Source[:i]
	}
	if strings.HasPrefix(r.Source, "templates/") {
		return "."
	}
	return ""
}

// helm reads HIP-0025: a resource joins the group of helm.sh/resource-group
// (groups are per chart), and helm.sh/depends-on/resource-groups on any
// member makes the whole group come after the groups it lists, as Helm
// deploys a group as one batch. On a resource with no group it orders that
// resource alone.
func (d *depGraph) helm(with []int) {
	type dep struct {
		i     int
		group string // the set key of i's own group, "" for none
		names []string
		key   string // the annotation that listed them
	}
	var deps []dep
	for _, i := range with {
		r := d.res[i]
		g, hasG, gKey := d.helmKey(r, HelmResourceGroup, HelmLayer)
		v, hasD, dKey := d.helmKey(r, HelmDependsOnGroups, HelmDependsOnLayers)
		if !hasG && !hasD {
			continue
		}
		if _, isHook := r.Annotation(argocd.AnnotationHelmHook); isHook {
			key := gKey
			if !hasG {
				key = dKey
			}
			d.warnf(r, key, "ignored on a Helm hook (Helm sequences hooks by %s only)", argocd.AnnotationHelmHookWeight)
			continue
		}
		own := ""
		if hasG {
			if g = strings.TrimSpace(g); g == "" {
				d.errorf(r, gKey, "empty group name")
			} else {
				own = "helm\x00" + chartScope(r) + "\x00" + g
				s := d.set(own, fmt.Sprintf("Helm resource group %q", g), d.phaseOf(r), origin(r, gKey))
				d.setMem[own] = append(d.setMem[own], i)
				d.g.AddEdge(order.Edge{From: d.nodeOf(i), To: s, Weight: 0, Origin: origin(r, gKey)})
			}
		}
		if hasD {
			var names []string
			if err := json.Unmarshal([]byte(v), &names); err == nil {
				if dKey == HelmDependsOnLayers {
					names = splitLayers(names)
				}
				deps = append(deps, dep{i, own, names, dKey})
			} else if dKey == HelmDependsOnLayers && !strings.HasPrefix(strings.TrimSpace(v), "[") {
				deps = append(deps, dep{i, own, splitLayers([]string{v}), dKey})
			} else {
				d.errorf(r, dKey, "%q is not a JSON array of group names (write it as a quoted string: '[\"database\"]')", v)
			}
		}
	}
	for _, x := range deps {
		r := d.res[x.i]
		targets := []int{x.i}
		if x.group != "" {
			targets = d.setMem[x.group]
		}
		for _, name := range x.names {
			key := "helm\x00" + chartScope(r) + "\x00" + name
			s, ok := d.sets[key]
			if !ok {
				d.warnf(r, x.key, "no resource of this chart is in Helm resource group %q, so nothing orders this resource (Helm deploys it unsequenced)", name)
				continue
			}
			for _, j := range targets {
				d.g.AddEdge(order.Edge{From: s, To: d.nodeOf(j), Weight: 1, Origin: origin(r, x.key)})
			}
		}
	}
}

// helmKey reads a HIP-0025 annotation in its current spelling, else in
// the earlier draft's (with a warning naming the current one). Both on one
// resource with different values is an error; with the same value the old
// one is only redundant.
func (d *depGraph) helmKey(r *manifest.Resource, current, earlier string) (value string, ok bool, key string) {
	v, has := r.Annotation(current)
	old, hasOld := r.Annotation(earlier)
	switch {
	case hasOld && has && strings.TrimSpace(old) != strings.TrimSpace(v):
		d.errorf(r, earlier, "the earlier HIP-0025 draft's spelling of %s, which this resource also has with another value (%q): remove %s", current, v, earlier)
	case hasOld && has:
		d.warnf(r, earlier, "the earlier HIP-0025 draft's spelling of %s, which this resource also has: remove %s", current, earlier)
	case hasOld:
		d.warnf(r, earlier, "the spelling of an earlier HIP-0025 draft, read as %s; rename it to %s (the current draft and Helm's implementation read only that)", current, current)
		return old, true, earlier
	}
	return v, has, current
}

// splitLayers reads the names of the earlier draft's
// helm.sh/depends-on/layers, whose examples wrote both ["a", "b"] and
// ["a, b"] (and "a"): each entry is split at commas.
func splitLayers(entries []string) []string {
	var out []string
	for _, e := range entries {
		for _, n := range strings.Split(e, ",") {
			if n = strings.TrimSpace(n); n != "" {
				out = append(out, n)
			}
		}
	}
	return out
}

// subcharts reads the subchart ordering of HIP-0025: a subchart (with its
// own subcharts) is a set of resources; "B depends-on A" puts every resource
// of B after all of A, and helm.sh/depends-on/subcharts puts the chart's
// own resources after the subcharts it names. Hooks take no part.
func (d *depGraph) subcharts() {
	if len(d.opts.Charts) == 0 {
		return
	}
	inScope := func(r *manifest.Resource, scope string) bool {
		return len(r.Source) > len(scope) && r.Source[len(scope)] == '/' && strings.HasPrefix(r.Source, scope)
	}
	members := func(scope string, own bool) []int {
		var out []int
		for i, r := range d.res {
			if _, hook := r.Annotation(argocd.AnnotationHelmHook); hook {
				continue
			}
			if (own && chartScope(r) == scope) || (!own && inScope(r, scope)) {
				out = append(out, i)
			}
		}
		return out
	}
	// chartSet is the set node of a subchart, -1 when nothing of it is
	// rendered.
	chartSet := func(scope string, where order.Origin) int {
		key := "chart\x00" + scope
		if n, ok := d.sets[key]; ok {
			return n
		}
		ms := members(scope, false)
		if len(ms) == 0 {
			return -1
		}
		n := d.set(key, fmt.Sprintf("subchart %s", scope), d.phaseOf(d.res[ms[0]]), where)
		for _, i := range ms {
			d.g.AddEdge(order.Edge{From: d.nodeOf(i), To: n, Weight: 0, Origin: where})
		}
		return n
	}
	after := func(co ChartOrder, what, from string, targets []int, where order.Origin) {
		scope, ok := co.Subcharts[from]
		if !ok {
			d.warn = append(d.warn, fmt.Sprintf("%s: %s: %s names no dependency of this chart (%q); ignored", co.File, where.Path, what, from))
			return
		}
		s := chartSet(scope, where)
		if s < 0 {
			d.warn = append(d.warn, fmt.Sprintf("%s: %s: subchart %q renders nothing, so nothing is ordered after it", co.File, where.Path, from))
			return
		}
		for _, j := range targets {
			d.g.AddEdge(order.Edge{From: s, To: d.nodeOf(j), Weight: 1, Origin: where})
		}
	}
	for _, co := range d.opts.Charts {
		for _, e := range co.DependsOn {
			where := order.Origin{File: co.File, Path: e.Path, Via: "Chart.yaml depends-on"}
			to, ok := co.Subcharts[e.To]
			if !ok {
				continue
			}
			after(co, "depends-on", e.From, members(to, false), where)
		}
		if len(co.ParentDependsOn) > 0 {
			own := members(co.Scope, true)
			for k, name := range co.ParentDependsOn {
				where := order.Origin{File: co.File, Path: fmt.Sprintf("annotations[%q][%d]", HelmDependsOnSubcharts, k), Via: HelmDependsOnSubcharts}
				after(co, HelmDependsOnSubcharts, name, own, where)
			}
		}
	}
}

// kappGroupName expands kapp's placeholders in a change group name.
func kappGroupName(v string, r *manifest.Resource) string {
	if !strings.Contains(v, "{") {
		return v
	}
	crdKind, crdGroup := "", ""
	if c, ok := argocd.ReadCRD(r); ok {
		crdKind, crdGroup = c.Kind, c.Group
	}
	return strings.NewReplacer("{api-group}", r.Group(), "{kind}", r.Kind, "{name}", r.Name,
		"{namespace}", r.Namespace, "{crd-kind}", crdKind, "{crd-group}", crdGroup).Replace(v)
}

// kappKeys returns the annotation keys of r that are key or key.<suffix>,
// sorted.
func kappKeys(r *manifest.Resource, key string) []string {
	var ks []string
	for k := range r.Annotations {
		if isKappKey(k, key) {
			ks = append(ks, k)
		}
	}
	slices.Sort(ks)
	return ks
}

// isKappKey reports whether k is key or key.<suffix>.
func isKappKey(k, key string) bool {
	return strings.HasPrefix(k, key) && (len(k) == len(key) || k[len(key)] == '.')
}

func (d *depGraph) kapp(with []int) {
	type rule struct {
		i      int
		key    string
		before bool
		group  string
	}
	var rules []rule
	for _, i := range with {
		r := d.res[i]
		for _, k := range kappKeys(r, KappChangeGroup) {
			name := kappGroupName(strings.TrimSpace(r.Annotations[k]), r)
			if name == "" {
				d.errorf(r, k, "empty change group name")
				continue
			}
			key := "kapp\x00" + name
			s := d.set(key, fmt.Sprintf("kapp change group %q", name), d.phaseOf(r), origin(r, k))
			d.setMem[key] = append(d.setMem[key], i)
			d.g.AddEdge(order.Edge{From: d.nodeOf(i), To: s, Weight: 0, Origin: origin(r, k)})
		}
		for _, k := range kappKeys(r, KappChangeRule) {
			f := strings.Fields(kappGroupName(r.Annotations[k], r))
			if len(f) != 4 || (f[0] != "upsert" && f[0] != "delete") || (f[1] != "after" && f[1] != "before") || (f[2] != "upserting" && f[2] != "deleting") {
				d.errorf(r, k, "%q is not \"(upsert|delete) (after|before) (upserting|deleting) <change group>\"", r.Annotations[k])
				continue
			}
			if f[0] != "upsert" || f[2] != "upserting" {
				d.warnf(r, k, "%q ignored: a rule about deletion has no Argo CD sync equivalent", r.Annotations[k])
				continue
			}
			rules = append(rules, rule{i, k, f[1] == "before", f[3]})
		}
	}
	for _, x := range rules {
		r := d.res[x.i]
		key := "kapp\x00" + x.group
		s, ok := d.sets[key]
		if !ok {
			d.warnf(r, x.key, "no resource in the output is in change group %q, so syncwave cannot order against it", x.group)
			continue
		}
		if !x.before {
			d.g.AddEdge(order.Edge{From: s, To: d.nodeOf(x.i), Weight: 1, Origin: origin(r, x.key)})
			continue
		}
		// "upsert before upserting g": before every member of g.
		for _, j := range d.setMem[key] {
			d.g.AddEdge(order.Edge{From: d.nodeOf(x.i), To: d.nodeOf(j), Weight: 1, Origin: origin(r, x.key)})
		}
	}
}

// appendRefs appends refs as a reason lists them: "db (wave 1)", with the
// annotation that made the edge when it is not syncwave.yaml.
func appendRefs(b []byte, rs []order.GroupRef) []byte {
	for i, r := range rs {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = append(b, r.Name...)
		b = append(b, " (wave "...)
		b = strconv.AppendInt(b, int64(r.Wave), 10)
		if r.Via != "" {
			b = append(b, ", "...)
			b = append(b, r.Via...)
		}
		b = append(b, ')')
	}
	return b
}
