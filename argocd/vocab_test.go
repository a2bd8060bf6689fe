package argocd

import (
	"fmt"
	"testing"

	"github.com/syncwave/syncwave/manifest"
)

func TestWave(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		ann  map[string]string
		want string
	}{
		{nil, "0 0"},
		{map[string]string{AnnotationSyncWave: "3"}, "3 1"},
		{map[string]string{AnnotationSyncWave: "1.0", AnnotationHelmHookWeight: "-2"}, "-2 2"},
		{map[string]string{AnnotationSyncWave: "x", AnnotationHelmHookWeight: "y"}, "0 0"},
		{map[string]string{AnnotationSyncWave: "-1", AnnotationHelmHookWeight: "5"}, "-1 1"},
	} {
		w, src := Wave(tc.ann)
		if got := fmt.Sprint(w, " ", int(src)); got != tc.want {
			t.Errorf("Wave(%v) = %s, want %s", tc.ann, got, tc.want)
		}
	}
}

func TestReadHookTypes(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		ann  map[string]string
		want string
	}{
		{nil, "[] false false [Sync]"},
		{map[string]string{AnnotationHook: "PostSync, PreSync"}, "[PostSync PreSync] false true [PreSync PostSync]"},
		{map[string]string{AnnotationHook: "Skip"}, "[Skip] false false []"},
		{map[string]string{AnnotationHook: "bogus", AnnotationHelmHook: "pre-install,post-upgrade"}, "[PreSync PostSync] true true [PreSync PostSync]"},
		{map[string]string{AnnotationHelmHook: "crd-install"}, "[] false false [Sync]"},
		{map[string]string{AnnotationHelmHook: "test"}, "[] false true []"},
	} {
		r := Read(tc.ann, Version{})
		if got := fmt.Sprint(r.Types, " ", r.FromHelm, " ", r.Hook, " ", r.Phases); got != tc.want {
			t.Errorf("Read(%v) = %s, want %s", tc.ann, got, tc.want)
		}
	}
}

func TestReadDeletePolicies(t *testing.T) {
	t.Parallel()
	r := Read(map[string]string{AnnotationHook: "PreSync", AnnotationHookDeletePolicy: "HookFailed, bogus", AnnotationHelmDeletePolicy: "hook-succeeded,hook-failed"}, Version{})
	if got := r.DeletePolicies.String(); got != "HookFailed,HookSucceeded" {
		t.Errorf("DeletePolicies = %s", got)
	}
	if got := Read(map[string]string{AnnotationHook: "Sync"}, Version{}).DeletePolicies.String(); got != "BeforeHookCreation" {
		t.Errorf("default DeletePolicies = %s", got)
	}
	if got := Read(nil, Version{}).DeletePolicies; got != nil {
		t.Errorf("non-hook DeletePolicies = %v", got)
	}
}

func TestModelled(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in, want string
		note     bool
	}{{"2.9", "2.14", true}, {"2.14", "2.14", false}, {"3.2", "3.2", false}, {"3.5", "3.5", false}, {"3.6", "3.5", true}} {
		v, err := Parse(tc.in)
		if err != nil {
			t.Fatal(err)
		}
		m, note := v.Modelled()
		if m.String() != tc.want || (note != "") != tc.note {
			t.Errorf("%s.Modelled() = %s, %q", tc.in, m, note)
		}
	}
}

func TestReadCRD(t *testing.T) {
	t.Parallel()
	res, err := manifest.Decode("crd.yaml", []byte("apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: widgets.example.com}\nspec:\n  group: example.com\n  scope: Cluster\n  names: {kind: Widget}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n"), manifest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if c, ok := ReadCRD(res[0]); !ok || c.Key() != "example.com/Widget" || c.Scope != "Cluster" {
		t.Errorf("ReadCRD = %+v, %v", c, ok)
	}
	if _, ok := ReadCRD(res[1]); ok {
		t.Error("a ConfigMap read as a CRD")
	}
}

func TestCSV(t *testing.T) {
	t.Parallel()
	if got := fmt.Sprint(CSV(" a, b,,a ,c")); got != "[a b c]" {
		t.Errorf("CSV = %s", got)
	}
}
