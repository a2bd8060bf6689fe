package annotate

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/syncwave/syncwave/argocd"
	"github.com/syncwave/syncwave/manifest"
	"github.com/syncwave/syncwave/order"
)

// The keys of Helm resource sequencing (HIP-0025).
const (
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
)

// helmSyntax is Helm resource sequencing (HIP-0025): resource groups
// ordered by the resources' annotations, and subcharts ordered by their
// Chart.yaml (Options.Charts).
var helmSyntax = Syntax{
	Name:  "helm",
	Keys:  []string{HelmResourceGroup, HelmDependsOnGroups, HelmLayer, HelmDependsOnLayers},
	Doc:   "Helm resource sequencing, HIP-0025",
	Strip: []string{HelmDependsOnGroups, HelmDependsOnLayers},
	owns: func(k string) bool {
		return k == HelmResourceGroup || k == HelmDependsOnGroups || k == HelmLayer || k == HelmDependsOnLayers
	},
	read: func(d *depGraph, with []int) {
		d.helm(with)
		d.subcharts()
	},
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
