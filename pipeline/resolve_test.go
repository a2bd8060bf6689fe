package pipeline

import (
	// every test package takes the one -update flag (go test ./... -update)
	_ "github.com/syncwave/syncwave/internal/golden"

	"os"
	"path/filepath"
	"strings"
	"testing"
)

func write(t *testing.T, root, rel, data string) {
	t.Helper()
	p := filepath.Join(root, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestResolve(t *testing.T) {
	root := t.TempDir()
	write(t, root, "apps/shop/syncwave.yaml", "apiVersion: syncwave.io/v1alpha1\nkind: SyncOrder\nsources:\n  - helm: {path: chart, valueFiles: [prod.yaml, /shared/common.yaml]}\n  - directory: {path: extra}\n")
	write(t, root, "apps/shop/chart/Chart.yaml", "apiVersion: v2\nname: shop\nversion: 1.0.0\n")
	write(t, root, "apps/shop/chart/prod.yaml", "a: 1\n")
	write(t, root, "shared/common.yaml", "b: 2\n")
	write(t, root, "apps/plain/Chart.yaml", "apiVersion: v2\nname: plain\nversion: 1.0.0\n")
	write(t, root, "apps/dir/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n")

	a, err := Resolve(Options{Path: filepath.Join(root, "apps/shop"), RepoRoot: root})
	if err != nil {
		t.Fatal(err)
	}
	if a.Rel != "apps/shop" || a.OrderRel != "apps/shop/syncwave.yaml" || len(a.Sources) != 2 {
		t.Fatalf("resolved %q %q %d sources", a.Rel, a.OrderRel, len(a.Sources))
	}
	if s := a.Sources[1]; s.Dir != "apps/shop/extra" || !s.Listed() || s.Index != 1 || s.Kind() != "directory" {
		t.Errorf("second source: %+v", s)
	}
	charts := a.Charts()
	if len(charts) != 1 || charts[0].Dir != "apps/shop/chart" {
		t.Fatalf("charts %+v", charts)
	}
	files, errs := a.ValueFiles(charts[0], []string{"missing.yaml", "/../outside.yaml"})
	if strings.Join(files, " ") != "apps/shop/chart/prod.yaml shared/common.yaml" {
		t.Errorf("value files %q", files)
	}
	if len(errs) != 2 || !strings.Contains(errs[0].Error(), "values file missing.yaml") || !strings.Contains(errs[1].Error(), "values file /../outside.yaml") {
		t.Errorf("value file errors %v", errs)
	}

	// Detected sources: Chart.yaml, else a directory.
	for dir, kind := range map[string]string{"apps/plain": "helm", "apps/dir": "directory"} {
		a, err := Resolve(Options{Path: filepath.Join(root, dir), RepoRoot: root})
		if err != nil {
			t.Fatal(err)
		}
		if len(a.Sources) != 1 || a.Sources[0].Kind() != kind || a.Sources[0].Listed() || a.Sources[0].Dir != dir || a.Order != nil {
			t.Errorf("%s: %+v", dir, a.Sources)
		}
	}

	// Outside the root, missing, not a directory.
	for _, tc := range []struct{ path, want string }{
		{t.TempDir(), "is outside the repository root"},
		{filepath.Join(root, "nope"), "application path"},
		{filepath.Join(root, "apps/dir/cm.yaml"), "not a directory"},
	} {
		if _, err := Resolve(Options{Path: tc.path, RepoRoot: root}); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Resolve(%s): %v, want %q", tc.path, err, tc.want)
		}
	}
	// An ordering file outside the root.
	outside := t.TempDir()
	write(t, outside, "o.yaml", "apiVersion: syncwave.io/v1alpha1\nkind: SyncOrder\n")
	if _, err := Resolve(Options{Path: filepath.Join(root, "apps/dir"), RepoRoot: root, OrderFile: filepath.Join(outside, "o.yaml")}); err == nil || !strings.Contains(err.Error(), "outside the repository root") {
		t.Errorf("order file outside: %v", err)
	}
}
