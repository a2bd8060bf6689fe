package cli

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReadmeLayout: the layout section of docs/development.md names every directory of
// the repository that holds Go code (test/ and its packages included).
func TestReadmeLayout(t *testing.T) {
	root := filepath.Join("..", "..")
	text, err := os.ReadFile(filepath.Join(root, "docs", "development.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, layout, ok := strings.Cut(string(text), "\nLayout (every Go package")
	if !ok {
		t.Fatal("docs/development.md has no layout section")
	}
	layout, _, _ = strings.Cut(layout, "\n## ")
	dirs := map[string]bool{}
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && path != root && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata" || d.Name() == "bin") {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(path, ".go") {
			rel, _ := filepath.Rel(root, filepath.Dir(path))
			if rel != "." && rel != "test" {
				dirs[filepath.ToSlash(rel)] = true
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(dirs) < 12 {
		t.Fatalf("found only %d package directories", len(dirs))
	}
	for d := range dirs {
		if !strings.Contains(layout, "`"+d+"`") {
			t.Errorf("docs/development.md's layout section does not name `%s`", d)
		}
	}
}
