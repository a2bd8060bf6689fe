package order

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/syncwave/syncwave/internal/golden"
)

// TestGolden runs every testdata/<case>/syncwave.yaml through Decode and
// ComputeWaves. A case with error.txt must fail with exactly that text; a
// case with waves.txt must succeed with exactly those waves. -update
// rewrites whichever file matches the outcome.
func TestGolden(t *testing.T) {
	dirs, err := filepath.Glob("testdata/*/syncwave.yaml")
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no test cases: %v", err)
	}
	for _, f := range dirs {
		dir := filepath.Dir(f)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			got, gotFile, other := "", "", ""
			o, err := Decode("syncwave.yaml", data, testSyntaxes)
			if err == nil {
				var w *Waves
				if w, err = o.ComputeWaves(); err != nil {
					t.Fatalf("Decode succeeded but ComputeWaves failed: %v", err)
				}
				got, gotFile, other = w.String(), "waves.txt", "error.txt"
			} else {
				got, gotFile, other = err.Error()+"\n", "error.txt", "waves.txt"
				var fe *FieldError
				if !errors.As(err, &fe) {
					t.Errorf("error is not a *FieldError: %T", err)
				}
			}
			golden.CheckString(t, filepath.Join(dir, gotFile), got)
			golden.CheckString(t, filepath.Join(dir, other), "")
		})
	}
}

func TestDecodeSeed(t *testing.T) {
	data, err := os.ReadFile("testdata/seed/syncwave.yaml")
	if err != nil {
		t.Fatal(err)
	}
	o, err := Decode("syncwave.yaml", data, testSyntaxes)
	if err != nil {
		t.Fatal(err)
	}
	if got := o.Defaults.HookDeletePolicy.String(); got != "BeforeHookCreation" {
		t.Errorf("defaults.hookDeletePolicy = %q", got)
	}
	if got := o.Groups[5].HookDeletePolicy.String(); got != "HookSucceeded" {
		t.Errorf("restore hookDeletePolicy = %q", got)
	}
	if got, want := o.GroupLine(1), 15; got != want {
		t.Errorf("GroupLine(1) = %d, want %d", got, want)
	}
	if got, want := o.Line("groups[2].after[0]"), 19; got != want {
		t.Errorf(`Line("groups[2].after[0]") = %d, want %d`, got, want)
	}
	if got := o.Errorf("groups[2]", "group %q selects no resource", "schema").Error(); got != `syncwave.yaml:17: groups[2]: group "schema" selects no resource` {
		t.Errorf("Errorf = %q", got)
	}
	if d := o.Sources[0].Directory; d == nil || !d.Recurse || d.Include != "{*.yaml,*.yml}" || d.Exclude != "test/*" {
		t.Errorf("sources[0] = %+v", d)
	}
	if o.Defaults.ExistingAnnotations != KeepExisting {
		t.Errorf("existingAnnotations = %q", o.Defaults.ExistingAnnotations)
	}
}

func TestDecodeHelmSource(t *testing.T) {
	o, err := Decode("x.yaml", []byte(`apiVersion: syncwave.io/v1alpha1
kind: SyncOrder
sources:
  - helm:
      path: charts/app
      releaseName: app
      namespace: prod
      valueFiles: [values.yaml, values-prod.yaml]
      ignoreMissingValueFiles: true
      values:
        replicas: 3
        image: {tag: "1.2"}
      parameters:
        - {name: a.b, value: "1"}
        - {name: c, value: "true", forceString: true}
      kubeVersion: "1.29"
      apiVersions: [monitoring.coreos.com/v1, monitoring.coreos.com/v1/ServiceMonitor, v1]
      skipCrds: true
  - kustomize: {path: overlays/prod}
  - directory: {}
`), testSyntaxes)
	if err != nil {
		t.Fatal(err)
	}
	h := o.Sources[0].Helm
	if h.Values["replicas"] != float64(3) || h.Values["image"].(map[string]any)["tag"] != "1.2" {
		t.Errorf("values = %#v", h.Values)
	}
	if len(h.Parameters) != 2 || !h.Parameters[1].ForceString || h.KubeVersion != "1.29" || !h.SkipCRDs || !h.IgnoreMissingValueFiles {
		t.Errorf("helm = %+v", h)
	}
	if o.Sources[1].Kind() != "kustomize" || o.Sources[1].Path() != "overlays/prod" {
		t.Errorf("sources[1] = %+v", o.Sources[1])
	}
	if o.Sources[2].Path() != "." {
		t.Errorf("sources[2] path = %q, want default \".\"", o.Sources[2].Path())
	}
}

// testSyntaxes stand for annotate's table of dependency annotation
// syntaxes, which order does not import: today's three and a fourth only
// the tests know, so that the tests show the dependencies block takes its
// keys from the list Decode is given.
var testSyntaxes = []string{"depends-on", "helm", "kapp", "argo-rollouts"}

// TestDecodeDependencies: each syntax of the list is switched by its key
// (lower camel case), null leaves it on, and the lines are kept; without
// the list only references is a field.
func TestDecodeDependencies(t *testing.T) {
	t.Parallel()

	in := []byte("apiVersion: syncwave.io/v1alpha1\nkind: SyncOrder\ndependencies:\n  dependsOn: false\n  helm: null\n  argoRollouts: false\n  references: true\n")
	o, err := Decode("x.yaml", in, testSyntaxes)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{"depends-on": false, "helm": true, "kapp": true, "argo-rollouts": false}
	for name, on := range want {
		if got := o.Dependencies.Enabled(name); got != on {
			t.Errorf("Enabled(%q) = %v, want %v", name, got, on)
		}
	}
	if !reflect.DeepEqual(o.Dependencies.Syntaxes, map[string]bool{"depends-on": false, "argo-rollouts": false}) || !o.Dependencies.InferReferences() {
		t.Errorf("dependencies = %+v", o.Dependencies)
	}
	if l := o.Line("dependencies.argoRollouts"); l != 6 {
		t.Errorf("line of dependencies.argoRollouts = %d, want 6", l)
	}
	_, err = Decode("x.yaml", in, nil)
	if err == nil || !strings.Contains(err.Error(), `x.yaml:4: dependencies: unknown field "dependsOn"; expected one of references`) {
		t.Errorf("without syntaxes: %v", err)
	}
}

func TestSyntaxKey(t *testing.T) {
	t.Parallel()

	for name, key := range map[string]string{"depends-on": "dependsOn", "helm": "helm", "argo-rollouts": "argoRollouts", "a-b-c": "aBC"} {
		if got := SyntaxKey(name); got != key {
			t.Errorf("SyntaxKey(%q) = %q, want %q", name, got, key)
		}
	}
}

func TestDecodeErrorsTable(t *testing.T) {
	head := "apiVersion: syncwave.io/v1alpha1\nkind: SyncOrder\n"
	for _, tc := range []struct {
		name, in, want string
	}{
		{"empty", "", "x.yaml: empty file; expected a SyncOrder with apiVersion syncwave.io/v1alpha1"},
		{"not a mapping", "- a\n", "x.yaml:1: expected a mapping (a SyncOrder), found a list"},
		{"bad yaml", head + "groups: [\n", "x.yaml:"},
		{"two documents", head + "---\n" + head, "x.yaml:3: expected one YAML document"},
		{"wrong apiVersion", "apiVersion: v1\nkind: ConfigMap\n", "x.yaml:1: apiVersion: expected \"syncwave.io/v1alpha1\", found \"v1\"\nx.yaml:2: kind: expected \"SyncOrder\", found \"ConfigMap\""},
		{"missing kind", "apiVersion: syncwave.io/v1alpha1\n", "x.yaml:1: missing kind; expected kind: SyncOrder"},
		{"wave string", head + "groups:\n- name: a\n  optional: true\n  wave: one\n", `x.yaml:6: groups[0].wave: expected an integer, found the string "one"`},
		{"wave float", head + "groups:\n- name: a\n  optional: true\n  wave: 1.5\n", `x.yaml:6: groups[0].wave: expected an integer, found the number 1.5`},
		{"after map", head + "groups:\n- name: a\n  optional: true\n  after: {b: c}\n", `x.yaml:6: groups[0].after: expected a list, found a mapping`},
		{"name int", head + "groups:\n- name: 12\n  optional: true\n", `x.yaml:4: groups[0].name: expected a string, found the integer 12 (quote it: "12")`},
		{"bool string", head + "allowEmpty: yes\n", `x.yaml:3: allowEmpty: expected true or false, found the string "yes"`},
		{"merge key", head + "defaults: {<<: {wave: 1}}\n", `x.yaml:3: defaults: merge keys (<<) are not supported`},
		{"dup label", head + "groups:\n- name: a\n  select: [{labels: {x: a, x: b}}]\n", `groups[0].select[0].labels: duplicate key "x"`},
		{"label quoted key", head + "groups:\n- name: a\n  select: [{labels: {app.kubernetes.io/name: 3}}]\n", `groups[0].select[0].labels["app.kubernetes.io/name"]: expected a string`},
		{"values not mapping", head + "sources: [{helm: {values: [1]}}]\n", `sources[0].helm.values: expected a mapping, found a list`},
		{"unknown top", head + "group: []\n", `x.yaml:3: unknown field "group" (did you mean "groups"?)`},
		{"dependencies unknown", head + "dependencies: {zzz: true}\n", `x.yaml:3: dependencies: unknown field "zzz"; expected one of dependsOn, helm, kapp, argoRollouts, references`},
		{"dependencies typo", head + "dependencies: {dependsOnn: false}\n", `x.yaml:3: dependencies: unknown field "dependsOnn" (did you mean "dependsOn"?)`},
		{"dependencies name not key", head + "dependencies: {argo-rollouts: false}\n", `x.yaml:3: dependencies: unknown field "argo-rollouts" (did you mean "argoRollouts"?)`},
		{"dependencies not bool", head + "dependencies:\n  references: true\n  helm: maybe\n", `x.yaml:5: dependencies.helm: expected true or false, found the string "maybe"`},
		{"dependencies duplicate", head + "dependencies: {kapp: false, kapp: true}\n", `x.yaml:3: dependencies: duplicate field "kapp" (first at line 3)`},
		{"dependencies list", head + "dependencies: [helm]\n", `x.yaml:3: dependencies: expected a mapping, found a list`},
		{"unknown far", head + "zzz: 1\n", `x.yaml:3: unknown field "zzz"; expected one of apiVersion, kind, sources, defaults, groups, allowEmpty`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Decode("x.yaml", []byte(tc.in), testSyntaxes)
			if err == nil {
				t.Fatalf("no error; want %q", tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error:\n%s\nwant it to contain:\n%s", err, tc.want)
			}
		})
	}
}

func TestAliasBomb(t *testing.T) {
	var b strings.Builder
	b.WriteString("apiVersion: syncwave.io/v1alpha1\nkind: SyncOrder\nx0: &a0 [a, a, a, a, a, a, a, a, a, a]\n")
	for i := 1; i < 10; i++ {
		b.WriteString("x" + string(rune('0'+i)) + ": &a" + string(rune('0'+i)) + " [")
		for j := range 10 {
			if j > 0 {
				b.WriteString(", ")
			}
			b.WriteString("*a" + string(rune('0'+i-1)))
		}
		b.WriteString("]\n")
	}
	if _, err := Decode("x.yaml", []byte(b.String()), testSyntaxes); err == nil {
		t.Fatal("no error")
	}
}

// TestDecodeHelmValuesAsHelm: inline helm.values are read as Helm reads a
// values file (YAML 1.1 scalars, JSON numbers), not as the YAML 1.2 of the
// rest of the file; an anchor outside the subtree still expands.
func TestDecodeHelmValuesAsHelm(t *testing.T) {
	o, err := Decode("x.yaml", []byte(`apiVersion: syncwave.io/v1alpha1
kind: SyncOrder
defaults: {}
sources:
  - helm:
      values:
        enabled: yes
        off: no
        quoted: "yes"
        mode: 0755
        shared: &s {on: On}
        again: *s
`), testSyntaxes)
	if err != nil {
		t.Fatal(err)
	}
	got := o.Sources[0].Helm.Values
	want := map[string]any{
		"enabled": true, "false": false, "quoted": "yes", "mode": float64(0755),
		"shared": map[string]any{"true": true}, "again": map[string]any{"true": true},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("values = %#v\nwant %#v", got, want)
	}
	_, err = Decode("x.yaml", []byte("apiVersion: syncwave.io/v1alpha1\nkind: SyncOrder\nsources:\n  - helm:\n      values:\n        a: 1\n        a: 2\n"), testSyntaxes)
	if err == nil || !strings.Contains(err.Error(), `line 7: mapping key "a" already defined at line 6`) {
		t.Errorf("duplicate key: %v", err)
	}
}
