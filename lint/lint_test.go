package lint

import (
	"reflect"
	"sort"
	"testing"

	"github.com/syncwave/syncwave/order"
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
