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
		if code := Main(context.Background(), []string{"render", ex}, &rendered, &bytes.Buffer{}); code != 0 {
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
