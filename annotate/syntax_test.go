package annotate

import (
	"slices"
	"testing"

	"github.com/syncwave/syncwave/manifest"
	"github.com/syncwave/syncwave/order"
)

// TestSyntaxTable: the table names the syntaxes the ordering file's
// dependencies block switches (order.Syntaxes), in the same order; each row
// owns its own keys and no other row's; a key to strip is one of its keys.
func TestSyntaxTable(t *testing.T) {
	t.Parallel()
	if got := SyntaxNames(); !slices.Equal(got, order.Syntaxes) {
		t.Fatalf("annotate's syntaxes %q, order.Dependencies' syntax tags %q: add the field (or the row)", got, order.Syntaxes)
	}
	for _, syn := range syntaxes {
		if syn.Doc == "" || len(syn.Keys) == 0 || syn.owns == nil || syn.read == nil {
			t.Errorf("%s: incomplete row %+v", syn.Name, syn)
		}
		for _, k := range syn.Keys {
			for _, other := range syntaxes {
				if other.owns(k) != (other.Name == syn.Name) {
					t.Errorf("key %s of %s: owned by %s is %v", k, syn.Name, other.Name, other.owns(k))
				}
			}
		}
		for _, k := range syn.Strip {
			if !slices.Contains(syn.Keys, k) {
				t.Errorf("%s strips %s, not one of its keys", syn.Name, k)
			}
		}
		if !(order.Dependencies{}).Enabled(syn.Name) {
			t.Errorf("%s is not on by default", syn.Name)
		}
	}
	want := "depends-on (config.kubernetes.io/depends-on), helm (Helm resource sequencing, HIP-0025) and kapp (kapp.k14s.io/change-group and change-rule)"
	if got := SyntaxList(); got != want {
		t.Errorf("SyntaxList() = %q, want %q", got, want)
	}
}

func TestParseKappRule(t *testing.T) {
	t.Parallel()
	r := &manifest.Resource{APIVersion: "v1", Kind: "ConfigMap", Name: "a", Namespace: "shop"}
	for _, tc := range []struct {
		in    string
		want  kappRule
		syncs bool
		err   bool
	}{
		{in: "upsert after upserting apps", want: kappRule{kappUpsert, kappAfter, kappUpserting, "apps"}, syncs: true},
		{in: "  upsert   before upserting  db ", want: kappRule{kappUpsert, kappBefore, kappUpserting, "db"}, syncs: true},
		{in: "upsert after upserting {namespace}-{kind}", want: kappRule{kappUpsert, kappAfter, kappUpserting, "shop-ConfigMap"}, syncs: true},
		{in: "delete before deleting apps", want: kappRule{kappDelete, kappBefore, kappDeleting, "apps"}},
		{in: "upsert after deleting apps", want: kappRule{kappUpsert, kappAfter, kappDeleting, "apps"}},
		{in: "upsert after upserting", err: true},
		{in: "upsert after upserting a b", err: true},
		{in: "create after upserting a", err: true},
		{in: "upsert during upserting a", err: true},
		{in: "upsert after creating a", err: true},
		{in: "", err: true},
	} {
		got, err := parseKappRule(tc.in, r)
		if (err != nil) != tc.err {
			t.Errorf("parseKappRule(%q): error %v, want error %v", tc.in, err, tc.err)
			continue
		}
		if err != nil {
			continue
		}
		if got != tc.want || got.syncs() != tc.syncs {
			t.Errorf("parseKappRule(%q) = %+v (syncs %v), want %+v (syncs %v)", tc.in, got, got.syncs(), tc.want, tc.syncs)
		}
	}
}
