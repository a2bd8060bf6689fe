package render

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/syncwave/syncwave/manifest"
)

// parseStream reads a YAML stream as Argo CD does (documents split on
// "---" lines, empty ones skipped, Lists flattened) into objects keyed by
// apiVersion/kind/namespace/name.
func parseStream(t *testing.T, data []byte) map[string]any {
	t.Helper()
	out := map[string]any{}
	for _, d := range manifest.SplitYAML(data) {
		var v map[string]any
		if err := yaml.Unmarshal(d.Text, &v); err != nil {
			t.Fatalf("parse line %d: %v\n%s", d.Line, err, d.Text)
		}
		if v == nil {
			continue
		}
		items := []any{v}
		if it, ok := v["items"].([]any); ok {
			items = it
		}
		for _, it := range items {
			m, _ := it.(map[string]any)
			md, _ := m["metadata"].(map[string]any)
			key := fmt.Sprintf("%v/%v %v/%v", m["apiVersion"], m["kind"], md["namespace"], md["name"])
			if _, dup := out[key]; dup {
				key += " (again)"
			}
			out[key] = m
		}
	}
	return out
}

// renderMode renders a chart of testdata/helm-modes with one Helm version
// and returns the objects by key (as the fidelity tests read a stream).
func renderMode(t *testing.T, chart string, version int, o HelmOptions) (map[string]any, error) {
	t.Helper()
	root, err := OpenRoot(filepath.Join("testdata", "helm-modes"))
	if err != nil {
		t.Fatal(err)
	}
	o.Path, o.ReleaseName, o.Namespace, o.HelmVersion = chart, "modes", "modes", version
	rs, err := Helm(context.Background(), root, o, func(string) {})
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	if err := manifest.Write(&b, rs); err != nil {
		t.Fatal(err)
	}
	return parseStream(t, b.Bytes()), nil
}

// field reads a string at a path of one rendered object.
func field(t *testing.T, objs map[string]any, key string, path ...string) any {
	t.Helper()
	v, ok := objs[key]
	if !ok {
		t.Fatalf("no object %s among %v", key, keysOf(objs))
	}
	for _, p := range path {
		m, _ := v.(map[string]any)
		v = m[p]
	}
	return v
}

func keysOf(m map[string]any) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// modeDifference is one difference between Helm 3 and Helm 4 that a user
// upgrading from Argo CD 3.4 (Helm 3) to 3.5 (Helm 4) sees: the same chart
// and inputs, the value of one field in each mode. The fidelity tests
// (fidelity_tools_test.go) check each chart against both helm CLIs.
type modeDifference struct {
	chart string
	opts  HelmOptions
	key   string // object key, as parseStream
	path  []string
	helm3 any
	helm4 any
}

func checkModeDifference(t *testing.T, d modeDifference) {
	t.Helper()
	for _, m := range []struct {
		version int
		want    any
	}{{Helm3, d.helm3}, {Helm4, d.helm4}} {
		objs, err := renderMode(t, d.chart, m.version, d.opts)
		if err != nil {
			t.Fatalf("helm %d: %v", m.version, err)
		}
		if got := field(t, objs, d.key, d.path...); !reflect.DeepEqual(got, m.want) {
			t.Errorf("helm %d: %s %v = %#v, want %#v", m.version, d.key, d.path, got, m.want)
		}
	}
}

// A null in a chart's own values.yaml removes the key in Helm 4 (hasKey
// false, toYaml leaves it out); Helm 3 keeps it as null.
func TestHelmModesNullInChartValuesRemovesKey(t *testing.T) {
	const key = "v1/ConfigMap <nil>/null-in-values"
	checkModeDifference(t, modeDifference{chart: "null-in-values", key: key, path: []string{"data", "hasRemoved"}, helm3: "true", helm4: "false"})
	checkModeDifference(t, modeDifference{chart: "null-in-values", key: key, path: []string{"data", "hasNestedB"}, helm3: "true", helm4: "false"})
	checkModeDifference(t, modeDifference{chart: "null-in-values", key: key, path: []string{"data", "values"},
		helm3: "kept: 1\nnested:\n  a: 1\n  b: null\nremoved: null", helm4: "kept: 1\nnested:\n  a: 1"})
}

// A parent's `sub.key: null` deletes the subchart's default in Helm 3; in
// Helm 4 the subchart keeps its default.
func TestHelmModesParentNullKeepsSubchartDefault(t *testing.T) {
	checkModeDifference(t, modeDifference{chart: "parent-null", key: "v1/ConfigMap <nil>/sub", path: []string{"data", "key"}, helm3: "<absent>", helm4: "default"})
	checkModeDifference(t, modeDifference{chart: "parent-null", key: "v1/ConfigMap <nil>/sub", path: []string{"data", "hasKey"}, helm3: "false", helm4: "true"})
}

// With the user setting something under the subchart's key, Helm 4 deletes
// the default as Helm 3 does.
func TestHelmModesParentNullWithUserValue(t *testing.T) {
	checkModeDifference(t, modeDifference{chart: "parent-null", opts: HelmOptions{Set: []string{"sub.other=user"}}, key: "v1/ConfigMap <nil>/sub", path: []string{"data", "key"}, helm3: "<absent>", helm4: "<absent>"})
}

// A dependency aliased twice: each copy imports the values of its own
// subchart in Helm 4; in Helm 3 the second copy's import-values are lost
// (the copies share their dependency metadata).
func TestHelmModesAliasTwiceImportValues(t *testing.T) {
	checkModeDifference(t, modeDifference{chart: "import-alias", key: "v1/ConfigMap <nil>/lib-cache", path: []string{"data", "deep"}, helm3: "null", helm4: `{"answer":42}`})
	checkModeDifference(t, modeDifference{chart: "import-alias", key: "v1/ConfigMap <nil>/lib-db", path: []string{"data", "deep"}, helm3: `{"answer":42}`, helm4: `{"answer":42}`})
}

// A template's last document keeps its trailing blank lines in Helm 4, so a
// keep-chomping block scalar (|+) at its end keeps them, plus the newline
// helm template prints after it; Helm 3 trims them. Documents followed by a
// separator, and the last object of the release manifest (helm template
// trims that), are the same in both.
func TestHelmModesKeepChompingTrailingLines(t *testing.T) {
	checkModeDifference(t, modeDifference{chart: "keep-chomping", key: "v1/ConfigMap <nil>/last", path: []string{"data", "script"}, helm3: "echo last\n", helm4: "echo last\n\n\n\n"})
	checkModeDifference(t, modeDifference{chart: "keep-chomping", key: "v1/ConfigMap <nil>/z-end-of-stream", path: []string{"data", "script"}, helm3: "echo end\n", helm4: "echo end\n"})
	checkModeDifference(t, modeDifference{chart: "keep-chomping", key: "v1/ConfigMap <nil>/first", path: []string{"data", "script"}, helm3: "echo first\n", helm4: "echo first\n"})
}

// A values.yaml of several YAML documents: Helm 4 merges them all, Helm 3
// reads the first.
func TestHelmModesMultiDocumentValues(t *testing.T) {
	checkModeDifference(t, modeDifference{chart: "multidoc-values", key: "v1/ConfigMap <nil>/multidoc", path: []string{"data", "second"}, helm3: "<absent>", helm4: "2"})
}

// The default .Capabilities.KubeVersion is each pinned CLI's: v1.37.0 for
// helm v3.22.0 (its release build's ldflags), v1.36.0 for v4.2.1 (from the
// client-go v0.36.1 it links).
func TestHelmModesDefaultKubeVersion(t *testing.T) {
	checkModeDifference(t, modeDifference{chart: "default-capabilities", key: "v1/ConfigMap <nil>/capabilities", path: []string{"data", "kubeVersion"}, helm3: "v1.37.0", helm4: "v1.36.0"})
}

// Helm 4 knows the webhook configurations' place in its install order (after
// the kinds Helm 3 knows, before unknown kinds); Helm 3 sorts them with the
// unknown kinds, by name. The object set is
// the same, the order of the stream differs.
func TestHelmModesWebhookInstallOrder(t *testing.T) {
	root, err := OpenRoot(filepath.Join("testdata", "helm-modes"))
	if err != nil {
		t.Fatal(err)
	}
	for v, want := range map[int]string{
		Helm3: "Service Deployment Alpha ValidatingWebhookConfiguration",
		Helm4: "Service Deployment ValidatingWebhookConfiguration Alpha",
	} {
		rs, err := Helm(context.Background(), root, HelmOptions{Path: "webhook-order", ReleaseName: "r", HelmVersion: v}, func(string) {})
		if err != nil {
			t.Fatal(err)
		}
		var kinds []string
		for _, r := range rs {
			kinds = append(kinds, r.Kind)
		}
		if got := strings.Join(kinds, " "); got != want {
			t.Errorf("helm %d: order %s, want %s", v, got, want)
		}
	}
}

// apiVersion v3 charts (Helm 4's experimental chart API): Helm 3 renders
// them as v2 charts, Helm 4 refuses them with a message (never a panic).
func TestHelmModesChartAPIV3(t *testing.T) {
	objs, err := renderMode(t, "chart-api-v3", Helm3, HelmOptions{})
	if err != nil || len(objs) != 1 {
		t.Errorf("helm 3: %v, %v", keysOf(objs), err)
	}
	_, err = renderMode(t, "chart-api-v3", Helm4, HelmOptions{})
	if err == nil || !strings.Contains(err.Error(), `chart chart-api-v3: Chart.yaml apiVersion "v3" is not supported by Helm 4`) {
		t.Errorf("helm 4: error %v", err)
	}
}

// Helm's alias fix in Helm 4 (copies no longer share their subcharts)
// changes nothing for this chart: both modes render both copies with their
// nested subcharts. Kept as a guard for the copy semantics.
func TestHelmModesAliasTwiceSameObjects(t *testing.T) {
	a, err := renderMode(t, "alias-twice", Helm3, HelmOptions{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := renderMode(t, "alias-twice", Helm4, HelmOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(a, b) || len(a) != 5 {
		t.Errorf("helm 3 %v, helm 4 %v", keysOf(a), keysOf(b))
	}
}

func TestParseHelmVersion(t *testing.T) {
	for in, want := range map[string]int{"": Helm4, "3": Helm3, "v3": Helm3, " 4 ": Helm4, "v4": Helm4} {
		if got, err := ParseHelmVersion(in); err != nil || got != want {
			t.Errorf("ParseHelmVersion(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"2", "v5", "4.2", "three"} {
		if _, err := ParseHelmVersion(in); err == nil {
			t.Errorf("ParseHelmVersion(%q): no error", in)
		}
	}
}

// SplitHelm4 keeps the whitespace after the last document only, and then
// the newline helm template prints.
func TestSplitHelm4(t *testing.T) {
	for in, want := range map[string][]string{
		"a: 1\n\n":                         {"a: 1"},
		"a: |+\n  x\n\n":                   {"a: |+\n  x\n\n\n"},
		"\n\na: 1\n---\nb: >2+\n   x\n \n": {"a: 1", "b: >2+\n   x\n \n\n"},
		"a: 1\n\n---\n\n":                  {"a: 1"},
		"a: 1\n---\n---\n":                 {"a: 1"},
		"":                                 nil,
	} {
		var got []string
		for _, d := range SplitHelm4(in) {
			got = append(got, string(d.Text))
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("SplitHelm4(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestHelmSDKVersionsMatchGoMod(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	for mod, v := range map[string]string{"helm.sh/helm/v3": sdkVersion3, "helm.sh/helm/v4": sdkVersion4} {
		if !strings.Contains(string(data), "\t"+mod+" "+v+"\n") {
			t.Errorf("go.mod does not require %s %s", mod, v)
		}
	}
}

// FuzzParseHelmVersion: no panic; only 3 or 4 come out.
func FuzzParseHelmVersion(f *testing.F) {
	for _, s := range []string{"", "3", "v4", " 4 ", "v", "5"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := ParseHelmVersion(s)
		if err == nil && v != Helm3 && v != Helm4 {
			t.Errorf("ParseHelmVersion(%q) = %d", s, v)
		}
	})
}

// FuzzSplitHelm4: no panic; the documents are those of SplitHelm, each
// equal to it or extended by whitespace only.
func FuzzSplitHelm4(f *testing.F) {
	for _, s := range []string{"a: |+\n  x\n\n", "a: 1\n---\nb: >2+\n   x\n \n", "---\n", "\n\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, b := SplitHelm(s), SplitHelm4(s)
		if len(a) != len(b) {
			t.Fatalf("%q: %d documents, SplitHelm %d", s, len(b), len(a))
		}
		for i := range a {
			ta, tb := string(a[i].Text), string(b[i].Text)
			if !strings.HasPrefix(tb, ta) || strings.TrimSpace(tb[len(ta):]) != "" || a[i].Line != b[i].Line {
				t.Errorf("%q: document %d %q, SplitHelm %q", s, i, tb, ta)
			}
		}
	})
}

// keepChompingRe is the regexp hasKeepChomping replaces.
var keepChompingRe = regexp.MustCompile(`[|>]([1-9]?\+|\+[1-9])`)

func TestHasKeepChomping(t *testing.T) {
	for _, s := range []string{
		"", "|", ">", "|+", ">+", "|2+", "|+2", "|-", "|2", "|0+", "a: |\n  x\n", "a: |+\n  x\n\n",
		"b: >9+\n", "b: > +", "||+", ">|", "x|", "x>", "|9", "+|", "a: '|+'", "|\n+",
	} {
		if got, want := hasKeepChomping([]byte(s)), keepChompingRe.MatchString(s); got != want {
			t.Errorf("hasKeepChomping(%q) = %v, the regexp says %v", s, got, want)
		}
	}
}

func FuzzHasKeepChomping(f *testing.F) {
	for _, s := range []string{"", "|+", ">2+", "|+2", "a: |-\n", "|0+", "||2+"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if got, want := hasKeepChomping(b), keepChompingRe.Match(b); got != want {
			t.Fatalf("hasKeepChomping(%q) = %v, the regexp says %v", b, got, want)
		}
	})
}
