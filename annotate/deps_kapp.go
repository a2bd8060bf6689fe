package annotate

import (
	"fmt"
	"strings"

	"github.com/syncwave/syncwave/order"
)

// The keys of kapp's change groups and rules.
const (
	// KappChangeGroup (and KappChangeGroup + ".<suffix>") put a resource in
	// a kapp change group.
	KappChangeGroup = "kapp.k14s.io/change-group"
	// KappChangeRule (and KappChangeRule + ".<suffix>") order a resource
	// against a change group: "upsert after upserting <group>".
	KappChangeRule = "kapp.k14s.io/change-rule"
)

// kappSyntax is Carvel kapp's change groups and change rules.
var kappSyntax = Syntax{
	Name: "kapp",
	Keys: []string{KappChangeGroup, KappChangeRule},
	Doc:  "kapp.k14s.io/change-group and change-rule",
	owns: func(k string) bool { return isKappKey(k, KappChangeGroup) || isKappKey(k, KappChangeRule) },
	read: (*depGraph).kapp,
}

// kapp reads kapp's change groups and change rules on the resources with
// (the indices of) with: a change group is a set of resources, and "upsert
// after upserting g" puts the resource after every member of g ("before":
// before each of them).
func (d *depGraph) kapp(with []int) {
	type rule struct {
		i    int
		key  string
		rule kappRule
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
			cr, err := parseKappRule(r.Annotations[k], r)
			if err != nil {
				d.errorf(r, k, "%v", err)
				continue
			}
			if !cr.syncs() {
				d.warnf(r, k, "%q ignored: a rule about deletion has no Argo CD sync equivalent", r.Annotations[k])
				continue
			}
			rules = append(rules, rule{i, k, cr})
		}
	}
	for _, x := range rules {
		r := d.res[x.i]
		key := "kapp\x00" + x.rule.Group
		s, ok := d.sets[key]
		if !ok {
			d.warnf(r, x.key, "no resource in the output is in change group %q, so syncwave cannot order against it", x.rule.Group)
			continue
		}
		if x.rule.Order != kappBefore {
			d.g.AddEdge(order.Edge{From: s, To: d.nodeOf(x.i), Weight: 1, Origin: origin(r, x.key)})
			continue
		}
		// "upsert before upserting g": before every member of g.
		for _, j := range d.setMem[key] {
			d.g.AddEdge(order.Edge{From: d.nodeOf(x.i), To: d.nodeOf(j), Weight: 1, Origin: origin(r, x.key)})
		}
	}
}
