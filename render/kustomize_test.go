package render

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestKustomizeStaysInRoot(t *testing.T) {
	dir := t.TempDir()
	repo := filepath.Join(dir, "repo")
	must(t, os.MkdirAll(filepath.Join(repo, "app"), 0o755))
	must(t, os.MkdirAll(filepath.Join(dir, "outside"), 0o755))
	must(t, os.WriteFile(filepath.Join(dir, "outside", "secret.yaml"), []byte("apiVersion: v1\nkind: Secret\nmetadata: {name: s}\n"), 0o644))
	must(t, os.WriteFile(filepath.Join(dir, "outside", "kustomization.yaml"), []byte("resources: [secret.yaml]\n"), 0o644))
	root, err := OpenRoot(repo)
	must(t, err)
	build := func(k string) error {
		must(t, os.WriteFile(filepath.Join(repo, "app", "kustomization.yaml"), []byte(k), 0o644))
		_, err := Kustomize(context.Background(), root, KustomizeOptions{Path: "app"})
		return err
	}
	// A symlinked file and a symlinked base that leave the root.
	must(t, os.Symlink(filepath.Join(dir, "outside", "secret.yaml"), filepath.Join(repo, "app", "link.yaml")))
	must(t, os.Symlink(filepath.Join(dir, "outside"), filepath.Join(repo, "app", "base")))
	for _, k := range []string{"resources: [link.yaml]\n", "resources: [base]\n", "resources: [../../outside]\n", "resources: [/etc/hostname]\n",
		"configMapGenerator: [{name: c, files: [link.yaml]}]\n", "patches: [{path: link.yaml}]\n",
		"resources: ['https://example.org/x.yaml']\n", "resources: ['git@example.org:org/repo.git']\n"} {
		err := build(k)
		if err == nil || !(strings.Contains(err.Error(), "leaves the repository root") || strings.Contains(err.Error(), "absolute paths") || strings.Contains(err.Error(), "remote bases")) {
			t.Errorf("%q: %v", k, err)
		}
		if err != nil && strings.Contains(err.Error(), dir) {
			t.Errorf("%q: message shows the host path: %v", k, err)
		}
	}
	// A symlinked directory inside the root is fine.
	must(t, os.MkdirAll(filepath.Join(repo, "lib"), 0o755))
	must(t, os.WriteFile(filepath.Join(repo, "lib", "cm.yaml"), []byte("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n"), 0o644))
	must(t, os.WriteFile(filepath.Join(repo, "lib", "kustomization.yaml"), []byte("resources: [cm.yaml]\n"), 0o644))
	must(t, os.Symlink("../lib", filepath.Join(repo, "app", "lib")))
	if err := build("resources: [lib]\n"); err != nil {
		t.Errorf("inner symlink: %v", err)
	}
}

func TestLooksRemote(t *testing.T) {
	for s, want := range map[string]bool{
		"github.com/org/repo//base?ref=v1": true, "https://example.org/a.yaml": true, "git@gitlab.com:o/r.git": true,
		"git::https://x/y": true, "../base": false, "base": false, "deployment.yaml": false, "a.b/c": false,
	} {
		if got := looksRemote(s); got != want {
			t.Errorf("%s: %v", s, got)
		}
	}
}
