package plan

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/syncwave/syncwave/argocd"
)

// TestMermaidParses runs Mermaid's own parser (the mermaid npm package under
// Node, with jsdom for the DOM it expects) over every golden plan.mmd and a
// plan with hostile labels. The Mermaid CLI would need a Chromium; the parser
// is what decides whether GitHub renders the diagram. Skipped with -short or
// when node or npm is not installed; the packages are installed once into the
// user cache directory.
func TestMermaidParses(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skipping the Mermaid parser check (needs npm)")
	}
	node, err1 := exec.LookPath("node")
	npm, err2 := exec.LookPath("npm")
	if err1 != nil || err2 != nil {
		t.Skip("node or npm not installed: skipping the Mermaid parser check")
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = t.TempDir()
	}
	dir, err := mermaidCheckDir(npm, cache)
	if err != nil {
		t.Fatal(err)
	}
	script, err := os.ReadFile("testdata/mermaid/check.mjs")
	if err != nil {
		t.Fatal(err)
	}
	// A name of this process's own: several test processes may share dir.
	checkName := fmt.Sprintf("check-%d.mjs", os.Getpid())
	if err := os.WriteFile(filepath.Join(dir, checkName), script, 0o644); err != nil {
		t.Fatal(err)
	}
	defer os.Remove(filepath.Join(dir, checkName))

	files, _ := filepath.Glob("testdata/*/plan.mmd")
	hostile := &Plan{Steps: []Step{
		{Phase: argocd.PhasePreSync, Wave: -1, Kind: `Odd"Kind`, Namespace: "a#b", Name: "<x>&`y`", Hook: true, Tie: 1},
		{Phase: argocd.PhaseSync, Wave: 0, Kind: "ConfigMap", Name: "end; click x call alert()"},
		{Phase: argocd.PhaseSyncFail, Wave: 0, Kind: "Job", Name: "subgraph end", Hook: true},
	}, Excluded: []Excluded{{Kind: "Pod", Namespace: "ns", Name: `quote"d`}}}
	var b bytes.Buffer
	if err := hostile.WriteMermaid(&b); err != nil {
		t.Fatal(err)
	}
	h := filepath.Join(t.TempDir(), "hostile.mmd")
	if err := os.WriteFile(h, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	var abs []string
	for _, f := range append(files, h) {
		a, _ := filepath.Abs(f)
		abs = append(abs, a)
	}
	cmd := exec.Command(node, append([]string{checkName}, abs...)...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("mermaid parse failed: %v\n%s", err, out)
	}
	if n := strings.Count(string(out), "ok "); n != len(abs) {
		t.Fatalf("parsed %d of %d files:\n%s", n, len(abs), out)
	}
}

// mermaidCheckDir returns the cached directory holding mermaid and jsdom,
// installing them first when needed. The install goes to a fresh directory
// that is renamed into place, so concurrent test processes (go test ./...
// runs packages in parallel, and several checkouts share the cache) never
// see, or write into, a half-installed tree.
func mermaidCheckDir(npm, cache string) (string, error) {
	dir := filepath.Join(cache, "syncwave-mermaid-check")
	ready := func() bool {
		_, err := os.Stat(filepath.Join(dir, "node_modules", "jsdom", "package.json"))
		return err == nil
	}
	if ready() {
		return dir, nil
	}
	if err := os.MkdirAll(cache, 0o755); err != nil {
		return "", err
	}
	tmp, err := os.MkdirTemp(cache, "syncwave-mermaid-check.tmp-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	cmd := exec.Command(npm, "install", "--no-audit", "--no-fund", "--prefix", tmp, "mermaid@11", "jsdom@24")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("npm install mermaid: %v\n%s", err, out)
	}
	if ready() { // another process finished first
		return dir, nil
	}
	// A half-written tree from an interrupted run is moved aside first.
	if _, err := os.Stat(dir); err == nil {
		old := dir + fmt.Sprintf(".stale-%d", os.Getpid())
		if err := os.Rename(dir, old); err == nil {
			defer os.RemoveAll(old)
		}
	}
	if err := os.Rename(tmp, dir); err != nil && !ready() {
		return "", fmt.Errorf("install mermaid into %s: %w", dir, err)
	}
	return dir, nil
}

func TestMermaidText(t *testing.T) {
	got := mermaidText("a\"b#c<d>e&f`g\nh")
	want := "a#quot;b#35;c#lt;d#gt;e#amp;f#96;g h"
	if got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
