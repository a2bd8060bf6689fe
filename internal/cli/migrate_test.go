package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/syncwave/syncwave/migrate"
	"github.com/syncwave/syncwave/pipeline"
	"github.com/syncwave/syncwave/plan"
)

// planAt is the plan of the application at dir, as plan prints it.
func planAt(t *testing.T, dir string) *plan.Plan {
	t.Helper()
	out, err := pipeline.Run(context.Background(), pipeline.Options{Path: dir, RepoRoot: dir})
	if err != nil {
		t.Fatalf("render %s: %v", dir, err)
	}
	p, err := planOf(out, plan.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestMigrateExamples puts the annotations of every example back (the
// stream render prints, as one manifest file), migrates it with --strip and
// checks that the plan of the result, with no ordering annotation left on
// the carried resources, is the plan of the annotated stream.
func TestMigrateExamples(t *testing.T) {
	examples, err := filepath.Glob("../../examples/*")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, ex := range examples {
		if fi, err := os.Stat(ex); err != nil || !fi.IsDir() {
			continue
		}
		var rendered bytes.Buffer
		if code := mainWith(context.Background(), []string{"render", ex}, &rendered, &bytes.Buffer{}, testHost(nil)); code != 0 {
			continue // not an application (the ci and install snippets)
		}
		n++
		t.Run(filepath.Base(ex), func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "annotated.yaml"), rendered.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			before := planAt(t, dir)
			out, errOut, code := run(t, "", "migrate", "--strip", dir)
			if code != 0 {
				t.Fatalf("migrate: exit %d\n%s", code, errOut)
			}
			if !strings.Contains(out, "the plan with it equals the plan of the annotations") {
				t.Errorf("summary: %s", out)
			}
			after := planAt(t, dir)
			if d := migrate.Compare(before, after); len(d) > 0 {
				t.Fatalf("plans differ:\n%s\n%s", strings.Join(d, "\n"), out)
			}
			// every carried annotation is gone: without the ordering file the
			// stripped stream is ordered by what migrate could not carry only
			stripped, err := os.ReadFile(filepath.Join(dir, "annotated.yaml"))
			if err != nil {
				t.Fatal(err)
			}
			left := strings.Count(string(stripped), "argocd.argoproj.io/sync-wave")
			if left > 0 && !strings.Contains(out, "Not carried over") {
				t.Errorf("%d sync-wave annotations left and no note says why:\n%s", left, out)
			}
			if _, err := os.Stat(filepath.Join(dir, "syncwave.yaml")); err != nil {
				t.Fatal(err)
			}
			// a second run refuses: the application now has an ordering file
			_, errOut, code = run(t, "", "migrate", "-o", "-", dir)
			if code != 1 || !strings.Contains(errOut, "already has an ordering file (syncwave.yaml)") {
				t.Errorf("second migrate: exit %d, %s", code, errOut)
			}
		})
	}
	if n < 6 {
		t.Fatalf("only %d examples rendered", n)
	}
}

// TestMigratePublic migrates the annotated manifests of a public
// repository (testdata/public-argo-cd-sync-waves/README.md).
func TestMigratePublic(t *testing.T) {
	src := "testdata/public-argo-cd-sync-waves"
	dir := t.TempDir()
	if err := copyApp(filepath.Join(src, "app"), dir, nil); err != nil {
		t.Fatal(err)
	}
	before := planAt(t, dir)
	out, errOut, code := run(t, "", "migrate", "--strip", dir)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	after := planAt(t, dir)
	if d := migrate.Compare(before, after); len(d) > 0 {
		t.Fatalf("plans differ:\n%s", strings.Join(d, "\n"))
	}
	got, err := os.ReadFile(filepath.Join(dir, "syncwave.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	golden(t, filepath.Join(src, "expected-syncwave.yaml"), strings.ReplaceAll(string(got), dir, "app"))
	golden(t, filepath.Join(src, "expected-summary.txt"), strings.ReplaceAll(out, dir, "app"))
	for _, f := range []string{"cm-1.yaml", "cm-2.yaml", "pod-1.yaml", "pod-2.yaml"} {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(b), "sync-wave") {
			t.Errorf("%s keeps its sync-wave:\n%s", f, b)
		}
	}
}

// TestMigrateInDir: migrate run as if started in the application's
// directory (host.dir, as the parallel tests run commands) reads and writes
// there, not in the process's working directory.
func TestMigrateInDir(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := copyApp(filepath.Join("testdata", "public-argo-cd-sync-waves", "app"), dir, nil); err != nil {
		t.Fatal(err)
	}
	if _, errOut, code := run(t, dir, "migrate", "--strip", "."); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if _, err := os.Stat(filepath.Join(dir, "syncwave.yaml")); err != nil {
		t.Errorf("no ordering file in the directory: %v", err)
	}
	if _, err := os.Lstat("syncwave.yaml"); err == nil {
		t.Error("migrate wrote syncwave.yaml into the process's working directory")
	}
	b, err := os.ReadFile(filepath.Join(dir, "cm-1.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "sync-wave") {
		t.Errorf("--strip left cm-1.yaml's sync-wave:\n%s", b)
	}
	if _, errOut, code := run(t, dir, "migrate", "."); code != 1 || !strings.Contains(errOut, "syncwave.yaml exists; migrate never overwrites") {
		t.Errorf("second run: exit %d, stderr %q", code, errOut)
	}
}

// TestMigrateChart: a Helm chart's annotated templates migrate (the plan
// with the ordering file equals the chart's), --strip refuses to edit
// templates, and a symlinked manifest is left alone with a note.
func TestMigrateChart(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "Chart.yaml"), "apiVersion: v2\nname: shop\nversion: 0.1.0\n")
	writeFile(t, filepath.Join(dir, "templates", "all.yaml"), `apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-config
  annotations:
    argocd.argoproj.io/sync-wave: "-2"
---
apiVersion: batch/v1
kind: Job
metadata:
  name: {{ .Release.Name }}-migrate
  annotations:
    argocd.argoproj.io/hook: PreSync
    argocd.argoproj.io/hook-delete-policy: HookSucceeded
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}-web
  annotations:
    argocd.argoproj.io/sync-wave: "3"
---
apiVersion: v1
kind: Service
metadata:
  name: {{ .Release.Name }}-web
`)
	out, errOut, code := run(t, "", "migrate", "-o", "-", dir)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"hook: PreSync", "hookDeletePolicy: HookSucceeded", "wave: -2 # pinned: before the resources it does not select in wave 0", "wave: 3 # pinned: after the resources it does not select in wave 0"} {
		if !strings.Contains(out, want) {
			t.Errorf("ordering lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(errOut, "The annotations stay in the manifests") || !strings.Contains(errOut, "shop/templates/all.yaml") {
		t.Errorf("summary on stderr:\n%s", errOut)
	}
	if _, err := os.Stat(filepath.Join(dir, "syncwave.yaml")); err == nil {
		t.Error("-o - wrote syncwave.yaml")
	}
	_, errOut, code = run(t, "", "migrate", "--strip", dir)
	if code != 1 || !strings.Contains(errOut, "is a helm source") {
		t.Errorf("--strip on a chart: exit %d, %s", code, errOut)
	}
	if _, err := os.Stat(filepath.Join(dir, "syncwave.yaml")); err == nil {
		t.Error("a refused --strip wrote syncwave.yaml")
	}

	// a symlinked manifest is not rewritten
	app := t.TempDir()
	writeFile(t, filepath.Join(app, "shared", "cm.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: shared\n  annotations:\n    argocd.argoproj.io/sync-wave: \"1\"\n")
	if err := os.Mkdir(filepath.Join(app, "app"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../shared/cm.yaml", filepath.Join(app, "app", "cm.yaml")); err != nil {
		t.Fatal(err)
	}
	out, errOut, code = run(t, "", "migrate", "--strip", "--repo-root", app, filepath.Join(app, "app"))
	if code != 0 || !strings.Contains(out, "cm.yaml: a symbolic link is not rewritten") {
		t.Errorf("symlink: exit %d\n%s%s", code, out, errOut)
	}
	if b, _ := os.ReadFile(filepath.Join(app, "shared", "cm.yaml")); !strings.Contains(string(b), "sync-wave") {
		t.Error("the link's target was rewritten")
	}
}
