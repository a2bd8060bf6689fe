package golden

import (
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

type recorder struct {
	testing.TB
	errors []string
}

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, args ...any) {
	r.errors = append(r.errors, format)
}

func TestCheck(t *testing.T) {
	if Updating() {
		t.Skip("the helper's own test compares, it never rewrites")
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "a.txt")
	if err := os.WriteFile(file, []byte("one\ntwo\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, file, got string
		fail            bool
	}{
		{"same", file, "one\ntwo\n", false},
		{"different", file, "one\nthree\n", true},
		{"missing file, output", filepath.Join(dir, "none.txt"), "x", true},
		{"missing file, no output", filepath.Join(dir, "none.txt"), "", false},
		{"file, no output", file, "", true},
	} {
		r := &recorder{TB: t}
		Check(r, tc.file, []byte(tc.got))
		if (len(r.errors) > 0) != tc.fail {
			t.Errorf("%s: errors %q, want failure %v", tc.name, r.errors, tc.fail)
		}
	}
	if d := Diff([]byte("a\nb\nc\n"), []byte("a\nB\nc\n")); !strings.Contains(d, "line 2") || !strings.Contains(d, "- b") || !strings.Contains(d, "+ B") {
		t.Errorf("Diff: %s", d)
	}
}

// TestEveryTestPackageImports: each package of the module with tests
// imports this one (in at least one of its _test.go files), so that every
// test binary defines -update and `go test ./... -update` runs everywhere.
func TestEveryTestPackageImports(t *testing.T) {
	root := filepath.Join("..", "..")
	const self = "github.com/syncwave/syncwave/internal/golden"
	tested := map[string]bool{}
	imports := map[string]bool{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			name := d.Name()
			if path != root && (strings.HasPrefix(name, ".") || name == "testdata" || name == "vendor") {
				return filepath.SkipDir
			}
			if _, err := os.Stat(filepath.Join(path, "go.mod")); err == nil && path != root {
				return filepath.SkipDir // another module
			}
			return nil
		}
		if !strings.HasSuffix(path, "_test.go") {
			return nil
		}
		dir := filepath.Dir(path)
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		tested[dir] = true
		for _, im := range f.Imports {
			if p, _ := strconv.Unquote(im.Path.Value); p == self {
				imports[dir] = true
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(tested) < 8 {
		t.Fatalf("found only %d test packages", len(tested))
	}
	for dir := range tested {
		rel, _ := filepath.Rel(root, dir)
		if rel == filepath.Join("internal", "golden") {
			continue
		}
		if !imports[dir] {
			t.Errorf("%s has tests but no test file imports %s: go test ./... -update fails there with \"flag provided but not defined\"", rel, self)
		}
	}
}
