package render

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func write(t *testing.T, path, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

const cm = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: %s\n"

func TestRootSymlinks(t *testing.T) {
	dir := t.TempDir()
	outside := t.TempDir()
	repo := filepath.Join(dir, "repo")
	write(t, filepath.Join(repo, "app", "a.yaml"), strings.Replace(cm, "%s", "a", 1))
	write(t, filepath.Join(repo, "shared", "s.yaml"), strings.Replace(cm, "%s", "s", 1))
	write(t, filepath.Join(outside, "secret.yaml"), strings.Replace(cm, "%s", "secret", 1))
	// Argo CD v2.14 rewrites symlinks to absolute targets when it unpacks a
	// repository: an absolute link that stays inside the root is fine.
	if err := os.Symlink(filepath.Join(repo, "shared", "s.yaml"), filepath.Join(repo, "app", "abs.yaml")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../shared/s.yaml", filepath.Join(repo, "app", "rel.yaml")); err != nil {
		t.Fatal(err)
	}
	root, err := OpenRoot(repo)
	if err != nil {
		t.Fatal(err)
	}
	var warnings []string
	rs, err := Directory(context.Background(), root, DirectoryOptions{Path: "app"}, func(s string) { warnings = append(warnings, s) })
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, r := range rs {
		names = append(names, r.Name+"@"+r.Source)
	}
	if got, want := strings.Join(names, " "), "a@a.yaml s@abs.yaml s@rel.yaml"; got != want {
		t.Fatalf("got %s, want %s", got, want)
	}

	for name, target := range map[string]string{
		"abs-out.yaml": filepath.Join(outside, "secret.yaml"),
		"rel-out.yaml": "../../../" + filepath.Base(outside) + "/secret.yaml",
	} {
		link := filepath.Join(repo, "app", name)
		if err := os.Symlink(target, link); err != nil {
			t.Fatal(err)
		}
		_, err := Directory(context.Background(), root, DirectoryOptions{Path: "app"}, func(string) {})
		if err == nil || !strings.Contains(err.Error(), "app/"+name+": symlink points outside the repository root") {
			t.Errorf("%s: got %v", name, err)
		}
		os.Remove(link)
	}

	if _, err := root.Resolve("../x"); !errors.Is(err, ErrEscape) {
		t.Errorf("Resolve(../x) = %v, want ErrEscape", err)
	}
	if _, err := root.Resolve("/etc/passwd"); !errors.Is(err, ErrEscape) {
		t.Errorf("Resolve(/etc/passwd) = %v, want ErrEscape", err)
	}
	if _, err := root.Rel(outside); !errors.Is(err, ErrEscape) {
		t.Errorf("Rel(outside) = %v, want ErrEscape", err)
	}
}

func TestDanglingSymlinkWarns(t *testing.T) {
	repo := t.TempDir()
	write(t, filepath.Join(repo, "a.yaml"), strings.Replace(cm, "%s", "a", 1))
	if err := os.Symlink("missing.yaml", filepath.Join(repo, "dangling.yaml")); err != nil {
		t.Fatal(err)
	}
	root, err := OpenRoot(repo)
	if err != nil {
		t.Fatal(err)
	}
	var warnings []string
	rs, err := Directory(context.Background(), root, DirectoryOptions{Path: "."}, func(s string) { warnings = append(warnings, s) })
	if err != nil || len(rs) != 1 {
		t.Fatalf("got %d resources, %v", len(rs), err)
	}
	if len(warnings) != 1 || !strings.Contains(warnings[0], "dangling.yaml: dangling symlink ignored") {
		t.Fatalf("warnings %q", warnings)
	}
}

func TestBadGlobs(t *testing.T) {
	repo := t.TempDir()
	root, _ := OpenRoot(repo)
	_, err := Directory(context.Background(), root, DirectoryOptions{Path: ".", Include: "[a"}, func(string) {})
	if err == nil || !strings.Contains(err.Error(), `include: invalid glob "[a"`) {
		t.Fatalf("got %v", err)
	}
}
