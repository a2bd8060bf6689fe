package health

import (
	"strings"
	"testing"

	"github.com/syncwave/syncwave/argocd"
)

func TestJudge(t *testing.T) {
	cm, err := ParseConfigMap("argocd-cm.yaml", []byte(`apiVersion: v1
kind: ConfigMap
metadata:
  name: argocd-cm
data:
  resource.customizations: |
    example.com/Widget:
      health.lua: |
        return {status = "Healthy"}
    example.com/NoHealth:
      actions: "x"
  resource.customizations.health.argoproj.io_Application: |
    return {status = "Healthy"}
  resource.customizations.health.*.acme.io_*: |
    return {status = "Healthy"}
  resource.customizations.ignoreDifferences.all: |
    jsonPointers: [/status]
`))
	if err != nil {
		t.Fatal(err)
	}
	if cm.Len() != 3 {
		t.Errorf("Len %d, want 3", cm.Len())
	}
	v3, v30, v214 := For(argocd.V3_5), For(argocd.V3_0), For(argocd.V2_14)
	for _, tc := range []struct {
		table       *Table
		group, kind string
		cm          *ConfigMap
		how         How
		detail      string
	}{
		{v214, "apps", "Deployment", nil, BuiltIn, "built-in check: until rolled out"},
		{v214, "", "ConfigMap", nil, None, "no health check: ready once applied"},
		{v214, "argoproj.io", "Application", nil, None, "since Argo CD 1.8"},
		{v214, "argoproj.io", "Application", cm, User, "resource.customizations.health.argoproj.io_Application"},
		{v214, "example.com", "Widget", cm, User, "resource.customizations example.com/Widget"},
		{v214, "example.com", "NoHealth", cm, None, "ready once applied"},
		{v214, "x.acme.io", "Thing", cm, User, "*.acme.io_*"},
		{v214, "cert-manager.io", "Certificate", nil, Lua, "Lua check of Argo CD 2.14"},
		{v214, "apiextensions.k8s.io", "CustomResourceDefinition", nil, None, "ready once applied"},
		{v3, "apiextensions.k8s.io", "CustomResourceDefinition", nil, Lua, "until Established"},
		{v3, "s3.aws.upbound.io", "Bucket", nil, Lua, "*.upbound.io/*"},
		{v30, "s3.aws.upbound.io", "Bucket", nil, None, "ready once applied"},
		{v214, "s3.aws.upbound.io", "Bucket", nil, None, "ready once applied"},
	} {
		j := tc.table.Judge(tc.group, tc.kind, tc.cm)
		if j.How != tc.how || !strings.Contains(j.Detail, tc.detail) {
			t.Errorf("%s %s/%s: %+v, want %s containing %q", tc.table.Line, tc.group, tc.kind, j, tc.how, tc.detail)
		}
	}
}

// TestFor: the health table follows the one Argo CD version, its default
// included (the zero Version is argocd.Default, 3.5, not 2.14).
func TestFor(t *testing.T) {
	for _, c := range []struct {
		v    argocd.Version
		want string
	}{{argocd.Version{}, "3.x"}, {argocd.V2_14, "2.14"}, {argocd.Version{Major: 2, Minor: 9}, "2.14"}, {argocd.V3_0, "3.x"}, {argocd.Version{Major: 3, Minor: 9}, "3.x"}} {
		if got := For(c.v).Line; got != c.want {
			t.Errorf("For(%v) = %s, want %s", c.v, got, c.want)
		}
	}
	if For(argocd.Version{}) != For(argocd.Default) {
		t.Error("For(zero) is not For(argocd.Default)")
	}
	_, l30 := For(argocd.V3_0).Count()
	_, l3 := For(argocd.V3_5).Count()
	if l30 >= l3 {
		t.Errorf("3.0 has %d scripts, 3.5 %d: expected fewer in 3.0", l30, l3)
	}
}

func TestParseConfigMapErrors(t *testing.T) {
	for name, tc := range map[string]struct{ doc, err string }{
		"not a configmap": {"apiVersion: v1\nkind: Secret\n", `expected a v1 ConfigMap, found v1 "Secret"`},
		"bad yaml":        {"data: [", "argocd-cm f.yaml"},
		"bad block":       {"apiVersion: v1\nkind: ConfigMap\ndata:\n  resource.customizations: '[1'\n", "data.resource.customizations"},
		"bad type":        {"apiVersion: v1\nkind: ConfigMap\ndata:\n  resource.customizations.bogus.apps_Deployment: x\n", `type "bogus"`},
		"bad key":         {"apiVersion: v1\nkind: ConfigMap\ndata:\n  resource.customizations.health.a_b_c: x\n", `data.resource.customizations.health.a_b_c: expected <group>_<kind>`},
	} {
		_, err := ParseConfigMap("f.yaml", []byte(tc.doc))
		if err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("%s: error %v, want %q", name, err, tc.err)
		}
	}
}

func FuzzParseConfigMap(f *testing.F) {
	f.Add([]byte("apiVersion: v1\nkind: ConfigMap\ndata:\n  resource.customizations.health.a_B: x\n"))
	f.Add([]byte("apiVersion: v1\nkind: ConfigMap\ndata:\n  resource.customizations: |\n    a/B:\n      health.lua: x\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		cm, err := ParseConfigMap("f", b)
		if err == nil {
			For(argocd.Default).Judge("a", "B", cm)
		}
	})
}

// TestParseConfigMapRepeatedKey: Kubernetes reads a ConfigMap with
// sigs.k8s.io/yaml, where a key given twice keeps its last value; so does
// ParseConfigMap (yaml.v3 refused the file).
func TestParseConfigMapRepeatedKey(t *testing.T) {
	for name, tc := range map[string]struct {
		doc  string
		want int
	}{
		"last empties": {"apiVersion: v1\nkind: ConfigMap\ndata:\n  resource.customizations.health.apps_Foo: x\n  resource.customizations.health.apps_Foo: \"\"\n", 0},
		"last sets":    {"apiVersion: v1\nkind: ConfigMap\ndata:\n  resource.customizations.health.apps_Foo: \"\"\n  resource.customizations.health.apps_Foo: x\n", 1},
		"block key":    {"apiVersion: v1\nkind: ConfigMap\ndata:\n  resource.customizations: |\n    apps/Foo:\n      health.lua: x\n    apps/Foo:\n      health.lua: \"\"\n", 0},
		"data twice":   {"apiVersion: v1\nkind: ConfigMap\ndata:\n  resource.customizations.health.apps_Foo: x\ndata:\n  resource.customizations.health.apps_Bar: x\n", 1},
	} {
		cm, err := ParseConfigMap("f.yaml", []byte(tc.doc))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if cm.Len() != tc.want {
			t.Errorf("%s: %d checks, want %d", name, cm.Len(), tc.want)
		}
	}
}
