// Package health checks syncwave's generated 2.14 health table against the
// Argo CD and gitops-engine versions this module pins: every health.lua
// Argo CD embeds and every kind gitops-engine has a Go check for must be in
// the table, and nothing else.
package health

import (
	"io/fs"
	"path"
	"strings"
	"testing"

	"github.com/argoproj/argo-cd/v2/resource_customizations"
	"github.com/argoproj/gitops-engine/pkg/health"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/scheme"

	"github.com/syncwave/syncwave/argocd"
	swhealth "github.com/syncwave/syncwave/health"
)

func table(t *testing.T) *swhealth.Table {
	t.Helper()
	return swhealth.For(argocd.V2_14)
}

// TestLuaScripts walks the scripts Argo CD embeds (the files its controller
// reads) and compares them with the table's Lua entries.
func TestLuaScripts(t *testing.T) {
	t.Parallel()

	want := map[swhealth.GroupKind]bool{}
	err := fs.WalkDir(resource_customizations.Embedded, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || path.Base(p) != "health.lua" {
			return nil
		}
		parts := strings.Split(p, "/")
		if len(parts) != 3 {
			return nil
		}
		want[swhealth.GroupKind{Group: parts[0], Kind: parts[1]}] = true
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(want) < 100 {
		t.Fatalf("found only %d embedded health.lua files", len(want))
	}
	have := map[swhealth.GroupKind]bool{}
	for _, s := range table(t).Lua {
		have[s.GroupKind] = true
		if !want[s.GroupKind] {
			t.Errorf("table has a Lua check for %s; Argo CD %s does not", s.GroupKind, table(t).Version)
		}
	}
	for gk := range want {
		if !have[gk] {
			t.Errorf("Argo CD %s has a Lua health check for %s; the table lacks it (run go generate ./health)", table(t).Version, gk)
		}
	}
}

// TestBuiltIn asks gitops-engine's GetHealthCheckFunc about every kind the
// table lists and every kind client-go's scheme knows, plus Argo's own.
func TestBuiltIn(t *testing.T) {
	t.Parallel()

	tb := table(t)
	listed := map[swhealth.GroupKind]bool{}
	for _, gk := range tb.BuiltIn {
		listed[gk] = true
		if health.GetHealthCheckFunc(schema.GroupVersionKind{Group: gk.Group, Version: "v1", Kind: gk.Kind}) == nil {
			t.Errorf("table lists a built-in check for %s; gitops-engine %s has none", gk, tb.Engine)
		}
	}
	candidates := map[swhealth.GroupKind]bool{}
	for gvk := range scheme.Scheme.AllKnownTypes() {
		candidates[swhealth.GroupKind{Group: gvk.Group, Kind: gvk.Kind}] = true
	}
	for _, k := range []string{"Workflow", "CronWorkflow", "WorkflowTemplate", "Rollout", "Application", "ApplicationSet", "AppProject", "AnalysisRun", "Experiment"} {
		candidates[swhealth.GroupKind{Group: "argoproj.io", Kind: k}] = true
	}
	for _, k := range []string{"CustomResourceDefinition", "APIService"} {
		candidates[swhealth.GroupKind{Group: "apiextensions.k8s.io", Kind: k}] = true
	}
	candidates[swhealth.GroupKind{Group: "apiregistration.k8s.io", Kind: "APIService"}] = true
	candidates[swhealth.GroupKind{Group: "extensions", Kind: "Ingress"}] = true
	if len(candidates) < 100 {
		t.Fatalf("only %d candidate kinds", len(candidates))
	}
	for gk := range candidates {
		if health.GetHealthCheckFunc(schema.GroupVersionKind{Group: gk.Group, Version: "v1", Kind: gk.Kind}) != nil && !listed[gk] {
			t.Errorf("gitops-engine %s has a built-in health check for %s; the table lacks it (run go generate ./health)", tb.Engine, gk)
		}
	}
}
