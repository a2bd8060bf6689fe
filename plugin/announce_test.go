package plugin

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	_ "github.com/syncwave/syncwave/internal/golden" // the -update flag, so that go test ./... -update runs here too
)

// TestFlattenValues: the keys and values of Argo CD's Helm parameter view
// (util/helm flatVals), with scalars as written.
func TestFlattenValues(t *testing.T) {
	t.Parallel()

	for _, c := range []struct {
		name, in string
		want     map[string]string
		err      bool
	}{
		{name: "nested", in: "a: 1\nb:\n  c: x\n  d: {e: true}\n", want: map[string]string{"a": "1", "b.c": "x", "b.d.e": "true"}},
		{name: "lists", in: "l: [1, 2]\nm: [{n: x}, [y]]\n", want: map[string]string{"l[0]": "1", "l[1]": "2", "m[0].n": "x", "m[1][0]": "y"}},
		{name: "scalars as written", in: "big: 1000000\nf: 1.50\ns: '007'\nq: \"a,b\"\n", want: map[string]string{"big": "1000000", "f": "1.50", "s": "007", "q": "a,b"}},
		{name: "null and empty", in: "n: null\nt: ~\ne:\nm: {}\nl: []\n", want: map[string]string{"n": "null", "t": "null", "e": "null"}},
		{name: "aliases and merge keys", in: "base: &b {x: 1, y: 2}\nc: *b\nd:\n  <<: *b\n  y: 3\n", want: map[string]string{"base.x": "1", "base.y": "2", "c.x": "1", "c.y": "2", "d.x": "1", "d.y": "3"}},
		{name: "empty document", in: "", want: map[string]string{}},
		{name: "comment only", in: "# nothing\n", want: map[string]string{}},
		{name: "top-level list", in: "- a\n", err: true},
		{name: "top-level scalar", in: "a\n", err: true},
		{name: "bad YAML", in: "a: [\n", err: true},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := map[string]string{}
			err := FlattenValues([]byte(c.in), got)
			if c.err {
				if err == nil {
					t.Fatalf("no error; got %v", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("got %v, want %v", got, c.want)
			}
		})
	}
}

// TestDynamicBoundaries: value files that leave the repository root (also
// through a symlink) or are missing are skipped with a warning, never read.
func TestDynamicBoundaries(t *testing.T) {
	t.Parallel()

	root := t.TempDir()
	outside := t.TempDir()
	app := filepath.Join(root, "apps", "web")
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(app, 0o755))
	must(os.WriteFile(filepath.Join(app, "Chart.yaml"), []byte("apiVersion: v2\nname: web\nversion: 1.0.0\n"), 0o644))
	must(os.WriteFile(filepath.Join(outside, "secret.yaml"), []byte("password: hunter2\n"), 0o644))
	must(os.Symlink(filepath.Join(outside, "secret.yaml"), filepath.Join(app, "values.yaml")))
	must(os.WriteFile(filepath.Join(root, "shared.yaml"), []byte("shared: {on: yes}\n"), 0o644))
	in, err := FromEnv([]string{
		"ARGOCD_APP_SOURCE_PATH=apps/web",
		`ARGOCD_APP_PARAMETERS=[{"name":"values-files","array":["/shared.yaml","missing.yaml","../../../` + filepath.Base(outside) + `/secret.yaml"]}]`,
	}, app)
	must(err)
	anns, warnings, err := Dynamic(in)
	must(err)
	if len(anns) != 1 || !reflect.DeepEqual(anns[0].Map, map[string]string{"shared.on": "yes"}) {
		t.Fatalf("announcement %+v", anns)
	}
	if len(warnings) != 3 {
		t.Errorf("warnings %q, want one each for values.yaml (symlink out), missing.yaml and ../secret.yaml", warnings)
	}
	for _, w := range warnings {
		if strings.Contains(w, "hunter2") {
			t.Errorf("a warning prints a value: %s", w)
		}
	}
}
