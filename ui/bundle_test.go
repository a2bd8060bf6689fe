package ui

import (
	// every test package takes the one -update flag (go test ./... -update)
	_ "github.com/syncwave/syncwave/internal/golden"

	"archive/tar"
	"bytes"
	"github.com/syncwave/syncwave/argocd"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/syncwave/syncwave/plan"
)

func bundle(t *testing.T) []byte {
	t.Helper()
	b, err := Bundle("extension")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestBundle: the extension builds, registers itself, uses the page's
// React only, stays small, and builds to the same bytes every time.
func TestBundle(t *testing.T) {
	b := bundle(t)
	js := string(b)
	for _, want := range []string{"registerAppViewExtension", "registerResourceExtension", `"Sync plan"`, `"fa-list-ol"`, "React.createElement", "/managed-resources", plan.RecordLabel} {
		if !strings.Contains(js, want) {
			t.Errorf("bundle does not contain %q", want)
		}
	}
	// No copy of React: React's own sources carry these.
	for _, react := range []string{"__SECRET_INTERNALS", "react.element", "ReactCurrentOwner", "react.production", "useSyncExternalStore"} {
		if strings.Contains(js, react) {
			t.Errorf("bundle contains %q: a copy of React", react)
		}
	}
	// React is only ever read as the global.
	if m := regexp.MustCompile(`\bReact\s*=`).FindString(js); m != "" {
		t.Errorf("bundle assigns React (%q)", m)
	}
	if len(b) > 40<<10 {
		t.Errorf("bundle is %d bytes, more than 40 KiB", len(b))
	}
	if again := bundle(t); !bytes.Equal(again, b) {
		t.Error("two builds differ")
	}
	if !NamePattern.MatchString(FileName) {
		t.Errorf("%s does not match Argo CD's %s", FileName, NamePattern)
	}
}

// TestBundleRefusesPackages: an import of a package (react, say) fails the
// build with a message naming it; a syntax error names file and line.
func TestBundleRefusesPackages(t *testing.T) {
	for name, tc := range map[string]struct{ src, want string }{
		"react import": {`import * as React from 'react'; console.log(React);`, `import "react"`},
		"syntax":       {"const x = ;\n", "index.tsx:1:"},
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "index.tsx"), []byte(tc.src), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := Bundle(dir)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

// TestTar: the installer's layout, fixed metadata, deterministic.
func TestTar(t *testing.T) {
	b := bundle(t)
	a, err := Tar(b)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := Tar(b)
	if !bytes.Equal(a, again) {
		t.Error("two tars of one bundle differ")
	}
	tr := tar.NewReader(bytes.NewReader(a))
	var names []string
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, h.Name)
		if h.Uid != 0 || h.Gid != 0 || h.ModTime.Unix() != 0 {
			t.Errorf("%s: owner %d:%d time %v", h.Name, h.Uid, h.Gid, h.ModTime)
		}
		if h.Name == TarPath {
			got, _ := io.ReadAll(tr)
			if !bytes.Equal(got, b) || h.Mode != 0o644 {
				t.Errorf("%s: content or mode %o differs", h.Name, h.Mode)
			}
		}
	}
	if strings.Join(names, ",") != "resources/,"+TarPath {
		t.Errorf("tar holds %q", names)
	}
}

// TestKindTable: the extension's kind order is the plan's (gitops-engine's).
func TestKindTable(t *testing.T) {
	src, err := os.ReadFile(filepath.Join("extension", "model.ts"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?s)export const kinds = \[(.*?)\];`).FindSubmatch(src)
	if m == nil {
		t.Fatal("model.ts has no kinds table")
	}
	var kinds []string
	for _, q := range regexp.MustCompile(`'([A-Za-z]+)'`).FindAllSubmatch(m[1], -1) {
		kinds = append(kinds, string(q[1]))
	}
	if len(kinds) < 30 {
		t.Fatalf("read %d kinds", len(kinds))
	}
	for i, k := range kinds {
		if got, want := argocd.KindOrder(k), i-len(kinds); got != want {
			t.Errorf("kind %s: rank %d in model.ts, %d in plan", k, want, got)
		}
	}
	if argocd.KindOrder("Widget") != 0 || argocd.KindOrder(kinds[0]) != -len(kinds) {
		t.Errorf("plan's table has other kinds than model.ts's %d", len(kinds))
	}
}

// TestCommittedBundle: the bundle the install component and the image ship
// is the one the sources build (make ui rewrites it).
func TestCommittedBundle(t *testing.T) {
	file := filepath.Join("..", "examples", "install", "ui", FileName)
	got, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, bundle(t)) {
		t.Errorf("%s is stale: run make ui", file)
	}
}
