package lint

import (
	// every test package takes the one -update flag (go test ./... -update)
	_ "github.com/syncwave/syncwave/internal/golden"

	"reflect"
	"sort"
	"testing"

	"github.com/syncwave/syncwave/argocd"
	"github.com/syncwave/syncwave/manifest"
	"github.com/syncwave/syncwave/order"
	"github.com/syncwave/syncwave/plan"
)

func TestGroupsAfter(t *testing.T) {
	so := &order.SyncOrder{Groups: []order.Group{
		{Name: "a"},
		{Name: "b", After: []string{"a"}},
		{Name: "c", Before: []string{"d"}},
		{Name: "d", After: []string{"b"}},
	}}
	got := map[string][]string{}
	for g, set := range GroupsAfter(so) {
		for n := range set {
			got[g] = append(got[g], n)
		}
		sort.Strings(got[g])
	}
	want := map[string][]string{"b": {"a"}, "d": {"a", "b", "c"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	if GroupsAfter(nil) != nil {
		t.Error("nil order: want nil")
	}
}

func TestRulesDocumented(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range Rules {
		if seen[r.ID] || r.Summary == "" {
			t.Errorf("rule %q duplicated or without summary", r.ID)
		}
		seen[r.ID] = true
	}
	if len(Rules) != 7 {
		t.Errorf("%d rules", len(Rules))
	}
}

// TestRunHealthFollowsVersion: without a Health table, Run uses the table
// of in.ArgoCD, whose zero value is argocd.Default (3.5) as everywhere else,
// never 2.14's. An Upbound Bucket has a Lua check in 3.x, none in 2.14.
func TestRunHealthFollowsVersion(t *testing.T) {
	res, err := manifest.Decode("app.yaml", []byte(`apiVersion: s3.aws.upbound.io/v1beta1
kind: Bucket
metadata: {name: b, annotations: {argocd.argoproj.io/sync-wave: "0"}}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: c, namespace: x, annotations: {argocd.argoproj.io/sync-wave: "1"}}
`), manifest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	gates := func(v argocd.Version) int {
		n := 0
		for _, f := range Run(Input{Plan: plan.ComputeWith(res, nil, plan.Options{ArgoCD: v}), ArgoCD: v}) {
			if f.Rule == "gate-without-health" {
				n++
			}
		}
		return n
	}
	if n := gates(argocd.Version{}); n != 0 {
		t.Errorf("default line: %d gate-without-health findings, want 0 (3.x has a check for Bucket)", n)
	}
	if n := gates(argocd.V2_14); n != 1 {
		t.Errorf("2.14: %d gate-without-health findings, want 1", n)
	}
}
