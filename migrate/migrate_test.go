package migrate

import (
	// every test package takes the one -update flag (go test ./... -update)
	_ "github.com/syncwave/syncwave/internal/golden"

	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/syncwave/syncwave/annotate"
	"github.com/syncwave/syncwave/manifest"
	"github.com/syncwave/syncwave/order"
	"github.com/syncwave/syncwave/plan"
)

// decode reads a stream of manifests as the directory source would.
func decode(t *testing.T, text string) []*manifest.Resource {
	t.Helper()
	rs, err := manifest.Decode("app.yaml", []byte(text), manifest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

// roundTrip migrates the stream and returns the plans before and after
// (the ordering file applied to the stream with the carried annotations
// removed when strip), and the result.
func roundTrip(t *testing.T, text string, strip bool) (*plan.Plan, *plan.Plan, *Result, []byte) {
	t.Helper()
	before := plan.Compute(decode(t, text), nil)
	var all []*manifest.Resource
	for _, s := range before.Steps {
		all = append(all, s.Resource)
	}
	for _, x := range before.Excluded {
		all = append(all, x.Resource)
	}
	res, err := Migrate(before, all)
	if err != nil {
		t.Fatal(err)
	}
	y, err := res.YAML("app")
	if err != nil {
		t.Fatal(err)
	}
	so, err := order.Decode("syncwave.yaml", y, annotate.SyntaxNames())
	if err != nil {
		t.Fatalf("%v\n%s", err, y)
	}
	fresh := decode(t, text)
	if strip {
		carried := map[string]bool{}
		for _, r := range res.Carried {
			carried[StripKey(r)] = true
		}
		out, _, _, err := Strip("app.yaml", []byte(text), carried)
		if err != nil {
			t.Fatal(err)
		}
		fresh = decode(t, string(out))
	}
	ann, err := annotate.Apply(so, fresh)
	if err != nil {
		t.Fatalf("%v\n%s", err, y)
	}
	return before, plan.Compute(ann.Resources, nil), res, y
}

func doc(kind, name string, ann map[string]string, labels map[string]string) string {
	var b strings.Builder
	api := "v1"
	if kind == "Deployment" {
		api = "apps/v1"
	} else if kind == "Job" {
		api = "batch/v1"
	}
	fmt.Fprintf(&b, "apiVersion: %s\nkind: %s\nmetadata:\n  name: %s\n", api, kind, name)
	if len(labels) > 0 {
		b.WriteString("  labels:\n")
		for _, k := range sortedKeys(labels) {
			fmt.Fprintf(&b, "    %s: %q\n", k, labels[k])
		}
	}
	if len(ann) > 0 {
		b.WriteString("  annotations:\n")
		for _, k := range sortedKeys(ann) {
			fmt.Fprintf(&b, "    %s: %q\n", k, ann[k])
		}
	}
	return b.String()
}

func sortedKeys(m map[string]string) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	for i := range ks {
		for j := i + 1; j < len(ks); j++ {
			if ks[j] < ks[i] {
				ks[i], ks[j] = ks[j], ks[i]
			}
		}
	}
	return ks
}

// TestGenerated: random trees of resources with random waves (gaps,
// negatives), hooks, delete policies, Helm hooks and unannotated
// resources migrate to an ordering that syncs the same, with the
// annotations kept and with them removed.
func TestGenerated(t *testing.T) {
	kinds := []string{"ConfigMap", "Deployment", "Service", "Job", "Secret"}
	hooks := []string{"", "", "", "PreSync", "Sync", "PostSync", "SyncFail", "Skip", "PreSync,PostSync", "PostDelete"}
	policies := []string{"", "HookSucceeded", "BeforeHookCreation", "HookFailed,HookSucceeded"}
	components := []string{"", "", "db", "web", "api"}
	for seed := uint64(1); seed <= 150; seed++ {
		rng := rand.New(rand.NewPCG(seed, 7))
		n := 1 + rng.IntN(14)
		var docs []string
		for i := 0; i < n; i++ {
			kind := kinds[rng.IntN(len(kinds))]
			ann := map[string]string{}
			if rng.IntN(4) > 0 {
				ann["argocd.argoproj.io/sync-wave"] = fmt.Sprint(rng.IntN(13) - 6)
			}
			if h := hooks[rng.IntN(len(hooks))]; h != "" {
				ann["argocd.argoproj.io/hook"] = h
				if p := policies[rng.IntN(len(policies))]; p != "" {
					ann["argocd.argoproj.io/hook-delete-policy"] = p
				}
			}
			if rng.IntN(8) == 0 {
				ann["helm.sh/hook"] = []string{"pre-install", "post-upgrade"}[rng.IntN(2)]
				ann["helm.sh/hook-weight"] = fmt.Sprint(rng.IntN(5) - 2)
			}
			labels := map[string]string{}
			if c := components[rng.IntN(len(components))]; c != "" {
				labels[ComponentLabel] = c
			}
			prefix := []string{"shop", "shop-db", "web", "x"}[rng.IntN(4)]
			docs = append(docs, doc(kind, fmt.Sprintf("%s-%d", prefix, i), ann, labels))
		}
		text := strings.Join(docs, "---\n")
		for _, strip := range []bool{false, true} {
			before, after, _, y := roundTrip(t, text, strip)
			if d := Compare(before, after); len(d) > 0 {
				t.Fatalf("seed %d strip=%v:\n%s\n--- input\n%s\n--- syncwave.yaml\n%s", seed, strip, strings.Join(d, "\n"), text, y)
			}
		}
	}
}

// TestLink: groups around unannotated resources in wave 0 are pinned next
// to it; the others follow by edges, gaps dropped.
func TestLink(t *testing.T) {
	text := doc("ConfigMap", "free", nil, nil) + "---\n" +
		doc("ConfigMap", "alpha", map[string]string{"argocd.argoproj.io/sync-wave": "-10"}, nil) + "---\n" +
		doc("ConfigMap", "bravo", map[string]string{"argocd.argoproj.io/sync-wave": "-3"}, nil) + "---\n" +
		doc("ConfigMap", "charlie", map[string]string{"argocd.argoproj.io/sync-wave": "4"}, nil) + "---\n" +
		doc("ConfigMap", "delta", map[string]string{"argocd.argoproj.io/sync-wave": "40"}, nil) + "---\n" +
		doc("Job", "echo", map[string]string{"argocd.argoproj.io/sync-wave": "0", "argocd.argoproj.io/hook": "PostSync"}, nil)
	before, after, res, y := roundTrip(t, text, true)
	if d := Compare(before, after); len(d) > 0 {
		t.Fatal(strings.Join(d, "\n"))
	}
	var got []string
	for _, g := range res.Groups {
		w := "-"
		if g.Group.Wave != nil {
			w = fmt.Sprint(*g.Group.Wave)
		}
		got = append(got, fmt.Sprintf("%s pin=%s after=%v", g.Name, w, g.After))
	}
	want := []string{"alpha pin=- after=[]", "bravo pin=-3 after=[alpha]", "charlie pin=4 after=[bravo]", "delta pin=- after=[charlie]", "echo pin=- after=[]"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("groups:\n%s\nwant:\n%s\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"), y)
	}
}

// TestNamesAndSelectors: the component label names a group and selects
// it when it says exactly that; a shared name prefix does otherwise.
func TestNamesAndSelectors(t *testing.T) {
	db := map[string]string{ComponentLabel: "database"}
	w1 := map[string]string{"argocd.argoproj.io/sync-wave": "1"}
	w2 := map[string]string{"argocd.argoproj.io/sync-wave": "2"}
	text := doc("Deployment", "pg", w1, db) + "---\n" + doc("Service", "pg", w1, db) + "---\n" +
		doc("Deployment", "shop-api", w2, nil) + "---\n" + doc("Service", "shop-api-internal", w2, nil) + "---\n" +
		doc("ConfigMap", "shop-settings", nil, nil)
	_, _, res, y := roundTrip(t, text, false)
	want := `  - name: database
    select:
      - labels:
          app.kubernetes.io/component: database
    wave: 1 # pinned: after the resources it does not select in wave 0
  - name: shop-api
    select:
      - name: shop-api*
    after:
      - database
`
	if !strings.HasSuffix(string(y), want) {
		t.Errorf("got:\n%s\nwant the groups:\n%s", y, want)
	}
	if len(res.Carried) != 4 {
		t.Errorf("carried %d, want 4", len(res.Carried))
	}
}

// TestNotes: what cannot be carried stays and is said.
func TestNotes(t *testing.T) {
	text := doc("Job", "twice", map[string]string{"argocd.argoproj.io/hook": "PreSync,PostSync"}, nil) + "---\n" +
		doc("Job", "gone", map[string]string{"argocd.argoproj.io/hook": "PostDelete"}, nil) + "---\n" +
		doc("ConfigMap", "odd", map[string]string{"argocd.argoproj.io/sync-wave": "1.0"}, nil)
	before, after, res, _ := roundTrip(t, text, true)
	if d := Compare(before, after); len(d) > 0 {
		t.Fatal(strings.Join(d, "\n"))
	}
	all := strings.Join(res.Notes, "\n")
	for _, want := range []string{`Job twice`, `runs in 2 phases`, `Job gone`, `excluded from the sync`, `"1.0" is not an integer`} {
		if !strings.Contains(all, want) {
			t.Errorf("notes lack %q:\n%s", want, all)
		}
	}
}

// TestStripKeepsText: only the annotation lines go; comments, other
// documents and an annotation that is not ordering stay.
func TestStripKeepsText(t *testing.T) {
	in := `# leading comment
apiVersion: v1
kind: ConfigMap
metadata:
  name: a # trailing
  annotations:
    argocd.argoproj.io/sync-wave: "3"
    note: keep me
data:
  k: v
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: b
  annotations:
    argocd.argoproj.io/sync-wave: "3"
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: untouched
  annotations:
    argocd.argoproj.io/sync-wave: "3"
`
	rs := decode(t, in)
	carried := map[string]bool{StripKey(rs[0]): true, StripKey(rs[1]): true}
	out, n, rewritten, err := Strip("app.yaml", []byte(in), carried)
	if err != nil {
		t.Fatal(err)
	}
	want := `# leading comment
apiVersion: v1
kind: ConfigMap
metadata:
  name: a # trailing
  annotations:
    note: keep me
data:
  k: v
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: b
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: untouched
  annotations:
    argocd.argoproj.io/sync-wave: "3"
`
	if string(out) != want || n != 2 || len(rewritten) != 0 {
		t.Errorf("changed %d, rewritten %v, got:\n%s", n, rewritten, out)
	}
}

// TestGenerateName: a hook with only a generateName is selected by kind
// and file when that is unique, else left with a note.
func TestGenerateName(t *testing.T) {
	unnamed := "apiVersion: batch/v1\nkind: Job\nmetadata:\n  generateName: schema-\n  annotations:\n    argocd.argoproj.io/hook: PreSync\n"
	text := unnamed + "---\n" + doc("ConfigMap", "settings", map[string]string{"argocd.argoproj.io/sync-wave": "1"}, nil)
	before, after, res, y := roundTrip(t, text, true)
	if d := Compare(before, after); len(d) > 0 {
		t.Fatal(strings.Join(d, "\n"))
	}
	if !strings.Contains(string(y), "- kind: Job\n        path: app.yaml\n") || len(res.Notes) != 0 {
		t.Errorf("notes %v\n%s", res.Notes, y)
	}
	twins := unnamed + "---\n" + doc("Job", "named", map[string]string{"argocd.argoproj.io/sync-wave": "1"}, nil)
	before, after, res, y = roundTrip(t, twins, true)
	if d := Compare(before, after); len(d) > 0 {
		t.Fatal(strings.Join(d, "\n"))
	}
	if len(res.Notes) != 1 || !strings.Contains(res.Notes[0], "no selector picks it alone") || len(res.Carried) != 1 {
		t.Errorf("notes %v, carried %d\n%s", res.Notes, len(res.Carried), y)
	}
}
