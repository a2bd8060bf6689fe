package annotate

import (
	"fmt"
	"slices"
	"strconv"

	"github.com/syncwave/syncwave/argocd"
	"github.com/syncwave/syncwave/manifest"
	"github.com/syncwave/syncwave/order"
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

	// What scan found: for each syntax of the table (syntaxes[s]), the
	// resources that carry its keys, in order; nil for a syntax switched
	// off.
	syntax order.Dependencies
	on     []bool
	with   [][]int
	// flags are what scan saw on each resource (the keys other passes
	// look up, so that they skip the resources without them).
	flags []uint8
}

// Bits of depGraph.flags.
const (
	// flagArgo: an Argo CD or Helm ordering annotation (sync-wave, hook,
	// hook-delete-policy, sync-options, helm.sh/hook, helm.sh/hook-weight).
	flagArgo uint8 = 1 << iota
	// flagStrip: a key of some syntax's Strip, which the output must not
	// keep.
	flagStrip
)

// newDepGraph prepares the resource graph; scan must then see every
// resource, in order, before addDependencies.
func newDepGraph(o *order.SyncOrder, res []*manifest.Resource, member []int, opts Options, deps order.Dependencies) *depGraph {
	d := &depGraph{
		o: o, g: order.NewGraph(o), res: res, member: member, node: make([]int, len(res)),
		override: o.Defaults.ExistingAnnotations == order.OverrideExisting, opts: opts,
		sets: map[string]int{}, setMem: map[string][]int{}, syntax: deps,
		on: make([]bool, len(syntaxes)), with: make([][]int, len(syntaxes)),
	}
	for s, syn := range syntaxes {
		d.on[s] = deps.Enabled(syn.Name)
	}
	for i := range d.node {
		d.node[i] = -1
	}
	d.flags = make([]uint8, len(res))
	return d
}

// scan reads what the dependency syntaxes need from resource i, in the
// same pass as the selection, so that each resource is visited once here
// and the syntaxes then visit only the resources that carry their keys.
func (d *depGraph) scan(i int, r *manifest.Resource) {
	if len(r.Annotations) == 0 {
		return
	}
	var f uint8
	var has uint64 // bit s: the resource carries a key of syntaxes[s]
	for k := range r.Annotations {
		if k == argocd.AnnotationSyncWave || k == argocd.AnnotationHook || k == argocd.AnnotationHookDeletePolicy || k == argocd.AnnotationSyncOptions || k == argocd.AnnotationHelmHookWeight || k == argocd.AnnotationHelmHook {
			f |= flagArgo
			continue
		}
		for s := range syntaxes {
			if !syntaxes[s].owns(k) {
				continue
			}
			has |= 1 << s
			if slices.Contains(syntaxes[s].Strip, k) {
				f |= flagStrip
			}
		}
	}
	d.flags[i] = f
	for s := range syntaxes {
		if has&(1<<s) != 0 && d.on[s] {
			d.with[s] = append(d.with[s], i)
		}
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

// addDependencies adds the edges of every enabled dependency annotation
// syntax, in the order of the table, then the inferred references.
func (d *depGraph) addDependencies() {
	for s, syn := range syntaxes {
		if d.on[s] {
			syn.read(d, d.with[s])
		}
	}
	if d.syntax.InferReferences() {
		d.references()
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
