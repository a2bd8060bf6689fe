package annotate

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/syncwave/syncwave/manifest"
	"github.com/syncwave/syncwave/order"
)

// TestSyntaxTable: each row owns its own keys and no other row's; a key to
// strip is one of its keys; every row is on by default.
func TestSyntaxTable(t *testing.T) {
	t.Parallel()

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

// TestSyntaxesInOrderingFile: the ordering file's dependencies block
// accepts the key of every row of the table (order.SyntaxKey of its name)
// and switches that row's syntax, and nothing else beside references; the
// committed schema lists the same keys.
func TestSyntaxesInOrderingFile(t *testing.T) {
	t.Parallel()

	var b strings.Builder
	b.WriteString("apiVersion: syncwave.io/v1alpha1\nkind: SyncOrder\ndependencies:\n")
	keys := []string{"references"}
	for _, name := range SyntaxNames() {
		b.WriteString("  " + order.SyntaxKey(name) + ": false\n")
		keys = append(keys, order.SyntaxKey(name))
	}
	o, err := order.Decode("syncwave.yaml", []byte(b.String()), SyntaxNames())
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range SyntaxNames() {
		if o.Dependencies.Enabled(name) {
			t.Errorf("%s: %s: false leaves it on", name, order.SyntaxKey(name))
		}
	}
	_, err = order.Decode("syncwave.yaml", []byte("apiVersion: syncwave.io/v1alpha1\nkind: SyncOrder\ndependencies: {zzz: false}\n"), SyntaxNames())
	want := `syncwave.yaml:3: dependencies: unknown field "zzz"; expected one of ` + strings.Join(keys[1:], ", ") + ", references"
	if err == nil || err.Error() != want {
		t.Errorf("unknown key: %v\nwant %s", err, want)
	}

	var schema struct {
		Definitions map[string]struct {
			Properties map[string]any `json:"properties"`
		} `json:"definitions"`
	}
	if err := json.Unmarshal(order.Schema(), &schema); err != nil {
		t.Fatal(err)
	}
	var inSchema []string
	for k := range schema.Definitions["dependencies"].Properties {
		inSchema = append(inSchema, k)
	}
	slices.Sort(inSchema)
	slices.Sort(keys)
	if !slices.Equal(inSchema, keys) {
		t.Errorf("schema's dependencies keys %q, want %q (go generate ./order)", inSchema, keys)
	}
}

// TestFourthSyntax: a row added to the table (here a fake one, in a copy
// of it) is all the ordering file, the flag and the parameter need: its key
// is accepted and switches it, the flag's list and the parameter's
// description name it.
func TestFourthSyntax(t *testing.T) {
	t.Parallel()

	fake := Syntax{
		Name: "argo-rollouts", Keys: []string{"example.com/after"}, Doc: "example.com/after",
		owns: func(key string) bool { return key == "example.com/after" },
		read: func(*depGraph, []int) {},
	}
	table := append(Syntaxes(), fake)
	names := syntaxNames(table)
	if !slices.Contains(names, "argo-rollouts") || len(names) != len(syntaxes)+1 {
		t.Fatalf("names %q", names)
	}
	if l := syntaxList(table); !strings.HasSuffix(l, ", kapp (kapp.k14s.io/change-group and change-rule) and argo-rollouts (example.com/after)") {
		t.Errorf("list %q", l)
	}
	o, err := order.Decode("syncwave.yaml", []byte("apiVersion: syncwave.io/v1alpha1\nkind: SyncOrder\ndependencies: {argoRollouts: false, helm: true}\n"), names)
	if err != nil {
		t.Fatal(err)
	}
	if o.Dependencies.Enabled("argo-rollouts") || !o.Dependencies.Enabled("helm") || !o.Dependencies.Enabled("kapp") {
		t.Errorf("dependencies %+v", o.Dependencies)
	}
	if _, err := order.Decode("syncwave.yaml", []byte("apiVersion: syncwave.io/v1alpha1\nkind: SyncOrder\ndependencies: {argoRollouts: false}\n"), SyntaxNames()); err == nil {
		t.Error("the real table accepts the fake syntax's key")
	}
	d, err := order.ParseSyntaxList("argo-rollouts", names)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range names {
		if d.Enabled(name) != (name == "argo-rollouts") {
			t.Errorf("--dependency-annotations argo-rollouts: %s enabled %v", name, d.Enabled(name))
		}
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
