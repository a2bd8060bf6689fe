package main

import (
	// every test package takes the one -update flag (go test ./... -update)
	_ "github.com/syncwave/syncwave/internal/golden"

	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func writeFile(t *testing.T, root, p, text string) {
	t.Helper()
	full := filepath.Join(root, p)
	if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(full, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestEngineChecks: both shapes gitops-engine has used (a switch on the kind
// and an if on it), constants resolved, nil returns ignored.
func TestEngineChecks(t *testing.T) {
	root := t.TempDir()
	writeFile(t, root, "pkg/utils/kube/kube.go", "package kube\nconst (\n\tDeploymentKind = \"Deployment\"\n\tJobKind = \"Job\"\n)\n")
	writeFile(t, root, "pkg/health/health.go", `package health
func GetHealthCheckFunc(gvk schema.GroupVersionKind) func() {
	switch gvk.Group {
	case "apps":
		switch gvk.Kind {
		case kube.DeploymentKind:
			return getDeploymentHealth
		case "Gone":
			return nil
		}
	case "batch":
		if gvk.Kind == kube.JobKind {
			return getJobHealth
		}
	}
	return nil
}
`)
	got, err := engineChecks(dirTree(root), "")
	if err != nil {
		t.Fatal(err)
	}
	want := []gk{{"apps", "Deployment"}, {"batch", "Job"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	writeFile(t, root, "pkg/health/health.go", "package health\nfunc GetHealthCheckFunc() { switch gvk.Group { case \"x\": if gvk.Kind == kube.Unknown { return f } } }\n")
	if _, err := engineChecks(dirTree(root), ""); err == nil {
		t.Error("an unresolvable constant: no error")
	}
}

func TestLuaChecks(t *testing.T) {
	root := t.TempDir()
	writeFile(t, root, "resource_customizations/cert-manager.io/Certificate/health.lua", "x")
	writeFile(t, root, "resource_customizations/_.crossplane.io/_/health.lua", "x")
	writeFile(t, root, "resource_customizations/apps/Deployment/actions/restart/action.lua", "x")
	got, err := luaChecks(dirTree(root))
	if err != nil {
		t.Fatal(err)
	}
	want := []gk{{"*.crossplane.io", "*"}, {"cert-manager.io", "Certificate"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}
