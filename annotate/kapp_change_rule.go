package annotate

import (
	"fmt"
	"slices"
	"strings"

	"github.com/syncwave/syncwave/argocd"
	"github.com/syncwave/syncwave/manifest"
)

// kappRule is one kapp.k14s.io/change-rule value, read as kapp's own
// change_rule.go reads it: "<action> <order> <target action> <change group>",
// e.g. "upsert after upserting apps".
type kappRule struct {
	Action       kappRuleAction
	Order        kappRuleOrder
	TargetAction kappRuleTargetAction
	Group        string
}

// kappRuleAction is what the rule's own resource does: upsert or delete.
type kappRuleAction string

const (
	kappUpsert kappRuleAction = "upsert"
	kappDelete kappRuleAction = "delete"
)

func (a kappRuleAction) valid() bool { return a == kappUpsert || a == kappDelete }

// kappRuleOrder is after or before.
type kappRuleOrder string

const (
	kappAfter  kappRuleOrder = "after"
	kappBefore kappRuleOrder = "before"
)

func (o kappRuleOrder) valid() bool { return o == kappAfter || o == kappBefore }

// kappRuleTargetAction is what the change group does: upserting or
// deleting.
type kappRuleTargetAction string

const (
	kappUpserting kappRuleTargetAction = "upserting"
	kappDeleting  kappRuleTargetAction = "deleting"
)

func (t kappRuleTargetAction) valid() bool { return t == kappUpserting || t == kappDeleting }

// parseKappRule reads a change rule of resource r, its placeholders
// expanded as in a change group name.
func parseKappRule(v string, r *manifest.Resource) (kappRule, error) {
	f := strings.Fields(kappGroupName(v, r))
	if len(f) == 4 {
		cr := kappRule{kappRuleAction(f[0]), kappRuleOrder(f[1]), kappRuleTargetAction(f[2]), f[3]}
		if cr.Action.valid() && cr.Order.valid() && cr.TargetAction.valid() {
			return cr, nil
		}
	}
	return kappRule{}, fmt.Errorf("%q is not \"(upsert|delete) (after|before) (upserting|deleting) <change group>\"", v)
}

// syncs reports whether the rule orders creation ("upsert ... upserting"):
// a rule about deletion has no Argo CD sync equivalent.
func (cr kappRule) syncs() bool {
	return cr.Action == kappUpsert && cr.TargetAction == kappUpserting
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
