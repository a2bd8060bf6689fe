package render

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"helm.sh/helm/v3/pkg/releaseutil"
	"sigs.k8s.io/yaml"

	"github.com/syncwave/syncwave/manifest"
)

// parseAll decodes documents the way helm's SortManifests reads them: each
// into an object (nil for empty ones).
func parseAll(t testing.TB, docs []string) []any {
	var out []any
	for _, d := range docs {
		var v any
		if err := yaml.Unmarshal([]byte(d), &v); err != nil {
			out = append(out, "error")
			continue
		}
		if v != nil {
			out = append(out, v)
		}
	}
	return out
}

func helmSplit(s string) []string {
	m := releaseutil.SplitManifests(s)
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Sort(releaseutil.BySplitManifestsOrder(keys))
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = m[k]
	}
	return out
}

func ourSplit(s string) []string {
	var out []string
	for _, d := range SplitHelm(s) {
		out = append(out, string(d.Text))
	}
	return out
}

var splitCases = []string{
	"",
	"a: 1",
	"---\na: 1\n---\nb: 2\n",
	"a: 1\n---# comment\nb: 2",
	"a: 1\n--- # comment\nb: 2",
	"\n\n  a: 1\n---\n\n---\nb: 2\n---\n",
	"a: 1\n---\n---\nb: 2",
	"a: |\n  text\n  ---\n  more\nb: 2",
	"a: 1\n----\nb: 2",
	"# only a comment\n---\na: 1",
	"a: 1   \n   \n---   \n  \n b: 2",
	"---",
	"--- \n---\n",
	"a: 1\r\n---\r\nb: 2\r\n",
	"---\n--- {c: 3}\n",
}

// TestSplitHelmMatchesHelm checks that SplitHelm yields the same objects as
// helm's regexp splitter.
func TestSplitHelmMatchesHelm(t *testing.T) {
	for _, s := range splitCases {
		want := parseAll(t, helmSplit(s))
		got := parseAll(t, ourSplit(s))
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%q:\n got %#v\nwant %#v", s, got, want)
		}
	}
}

func FuzzSplitHelm(f *testing.F) {
	for _, s := range splitCases {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if len(s) > 4096 {
			return
		}
		want := parseAll(t, helmSplit(s))
		got := parseAll(t, ourSplit(s))
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%q:\n got %#v\nwant %#v", s, got, want)
		}
	})
}

func TestSplitHelmLines(t *testing.T) {
	s := "\n# c\na: 1\n---\n\nb: 2\n---# x\nc: 3\n"
	var lines []int
	for _, d := range SplitHelm(s) {
		lines = append(lines, d.Line)
	}
	if want := []int{2, 6, 7}; !reflect.DeepEqual(lines, want) {
		t.Errorf("lines %v, want %v", lines, want)
	}
}

// TestSplitHelmOnHelmCharts splits every template of Helm's own test charts
// both ways.
func TestSplitHelmOnHelmCharts(t *testing.T) {
	dir := helmModuleDir(t)
	n := 0
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.Contains(p, "/templates/") || !strings.HasSuffix(p, ".yaml") {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return nil
		}
		n++
		s := string(b)
		if got, want := len(ourSplit(s)), len(helmSplit(s)); got > want {
			t.Errorf("%s: %d documents, helm %d", p, got, want)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 50 {
		t.Fatalf("only %d templates found under %s", n, dir)
	}
}

// helmModuleDir is the Helm module's source directory, found the way the
// issue asks: `go list -m -f {{.Dir}} helm.sh/helm/v3` (which downloads it
// if needed). It fails the test, never skips it, when that does not work.
func helmModuleDir(t testing.TB) string {
	t.Helper()
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "helm.sh/helm/v3").Output()
	dir := strings.TrimSpace(string(out))
	if err != nil || dir == "" {
		t.Fatalf("go list -m helm.sh/helm/v3: %v", err)
	}
	return dir
}

func TestDefaultKubeVersionFollowsClientGo(t *testing.T) {
	// Test binaries carry no module information, so the version is read
	// from go.mod, which lists every module of the build (go >= 1.17).
	data, err := os.ReadFile("../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	var version string
	for _, line := range strings.Split(string(data), "\n") {
		if f := strings.Fields(strings.TrimPrefix(strings.TrimSpace(line), "require ")); len(f) >= 2 && f[0] == "k8s.io/client-go" {
			version = f[1]
		}
	}
	if version == "" {
		t.Fatal("go.mod does not require k8s.io/client-go")
	}
	// client-go v0.MINOR.x is Kubernetes 1.MINOR.
	minor := strings.Split(strings.TrimPrefix(version, "v0."), ".")[0]
	if want := "v1." + minor + ".0"; DefaultKubeVersion != want {
		t.Errorf("DefaultKubeVersion %s, client-go %s: want %s", DefaultKubeVersion, version, want)
	}
}

func TestCapabilities(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", DefaultKubeVersion}, {"1.29", "v1.29"}, {"1.29.3", "v1.29.3"}, {"v1.29.3", "v1.29.3"},
	} {
		caps, _, err := capabilities3(HelmOptions{KubeVersion: tc.in, APIVersions: []string{"a.io/v1", " b.io/v1/K "}})
		if err != nil {
			t.Fatalf("%q: %v", tc.in, err)
		}
		if caps.KubeVersion.Version != tc.want {
			t.Errorf("%q: got %s, want %s", tc.in, caps.KubeVersion.Version, tc.want)
		}
		if !caps.APIVersions.Has("a.io/v1") || !caps.APIVersions.Has("b.io/v1/K") || !caps.APIVersions.Has("apps/v1") {
			t.Errorf("api versions %v", caps.APIVersions)
		}
	}
	if _, _, err := capabilities3(HelmOptions{KubeVersion: "latest"}); err == nil {
		t.Error("kube version latest accepted")
	}
}

func TestValueFilePath(t *testing.T) {
	dir := t.TempDir()
	must(t, os.MkdirAll(filepath.Join(dir, "repo", "chart"), 0o755))
	must(t, os.MkdirAll(filepath.Join(dir, "repo", "env"), 0o755))
	must(t, os.WriteFile(filepath.Join(dir, "repo", "env", "prod.yaml"), []byte("a: 1"), 0o644))
	must(t, os.WriteFile(filepath.Join(dir, "outside.yaml"), []byte("a: 1"), 0o644))
	must(t, os.Symlink("../env/prod.yaml", filepath.Join(dir, "repo", "chart", "in.yaml")))
	must(t, os.Symlink(filepath.Join(dir, "outside.yaml"), filepath.Join(dir, "repo", "chart", "out.yaml")))
	must(t, os.Symlink("..", filepath.Join(dir, "repo", "chart", "up")))
	root, err := OpenRoot(filepath.Join(dir, "repo"))
	must(t, err)
	for _, tc := range []struct{ f, want, err string }{
		{f: "../env/prod.yaml", want: "env/prod.yaml"},
		{f: "/env/prod.yaml", want: "env/prod.yaml"},
		{f: "in.yaml", want: "env/prod.yaml"},
		{f: "out.yaml", err: "leaves the repository root"},
		{f: "../../outside.yaml", err: "leaves the repository root"},
		{f: "/../outside.yaml", err: "leaves the repository root"},
		{f: "up", err: "repository root itself"},
		{f: "/", err: "repository root itself"},
		{f: "https://example.org/v.yaml", err: "URLs are not allowed"},
		{f: "missing.yaml", err: "no such file"},
	} {
		got, err := valueFilePath(root, "chart", tc.f)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: got %q, %v; want error %q", tc.f, got, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%s: got %q, %v; want %q", tc.f, got, err, tc.want)
		}
	}
}

func TestHelmValuesOrder(t *testing.T) {
	dir := t.TempDir()
	must(t, os.WriteFile(filepath.Join(dir, "a.yaml"), []byte("x: a\nw: a\nz: a\nm: {k1: a, k2: a}\nnum: 1\n"), 0o644))
	must(t, os.WriteFile(filepath.Join(dir, "b.yaml"), []byte("w: b\nm: {k2: b}\n"), 0o644))
	root, err := OpenRoot(dir)
	must(t, err)
	vals, err := valuesWith(helm3, root, ".", HelmOptions{
		ValueFiles: []string{"a.yaml", "b.yaml"},
		Values:     [][]byte{[]byte("z: inline\n")},
		Set:        []string{"x=set", "num=2"},
		SetString:  []string{"x=str", "s=true"},
	})
	must(t, err)
	want := map[string]any{"x": "str", "w": "b", "z": "inline", "m": map[string]any{"k1": "a", "k2": "b"}, "num": int64(2), "s": "true"}
	if !reflect.DeepEqual(vals, want) {
		t.Errorf("got %#v\nwant %#v", vals, want)
	}
}

// TestHelmWeirdCharts renders odd but valid charts and broken ones: never a
// panic, an error naming the chart for the broken ones.
func TestHelmWeirdCharts(t *testing.T) {
	for name, tc := range map[string]struct {
		files map[string]string
		err   string
		n     int
	}{
		"no templates":        {files: map[string]string{}, n: 0},
		"empty template":      {files: map[string]string{"templates/a.yaml": "{{- /* nothing */ -}}"}, n: 0},
		"only separators":     {files: map[string]string{"templates/a.yaml": "---\n---\n# c\n---"}, n: 0},
		"scalar document":     {files: map[string]string{"templates/a.yaml": "just text"}, err: "expected a Kubernetes object"},
		"list document":       {files: map[string]string{"templates/a.yaml": "apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: a}}\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: b}}\n"}, n: 2},
		"no kind":             {files: map[string]string{"templates/a.yaml": "apiVersion: v1\nmetadata: {name: a}\n"}, err: "kind"},
		"bad yaml":            {files: map[string]string{"templates/a.yaml": "a: [\n"}, err: "w/templates/a.yaml"},
		"library chart":       {files: map[string]string{"Chart.yaml": "apiVersion: v2\nname: w\nversion: 0.1.0\ntype: library\n"}, err: "library charts are not installable"},
		"bad Chart.yaml":      {files: map[string]string{"Chart.yaml": "name: [\n"}, err: "Chart.yaml"},
		"schema failure":      {files: map[string]string{"values.schema.json": `{"type":"object","required":["needed"]}`}, err: "needed"},
		"recursive include":   {files: map[string]string{"templates/_h.tpl": `{{ define "x" }}{{ include "x" . }}{{ end }}`, "templates/a.yaml": `{{ include "x" . }}`}, err: "w/templates"},
		"tpl in values":       {files: map[string]string{"values.yaml": "t: '{{ .Release.Name }}'\n", "templates/a.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: {{ tpl .Values.t . }}}\n"}, n: 1},
		"crd json":            {files: map[string]string{"crds/a.json": `{"apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition","metadata":{"name":"a.b.c"}}`}, n: 1},
		"notes and partials":  {files: map[string]string{"templates/NOTES.txt": "hello", "templates/_x.yaml": "not: [yaml"}, n: 0},
		"unicode bom":         {files: map[string]string{"templates/a.yaml": "\ufeffapiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n"}, n: 1},
		"anchors and aliases": {files: map[string]string{"templates/a.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: &m {name: a}\ndata: {x: y}\n"}, n: 1},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()

			root := chartW(t, tc.files)
			rs, err := Helm(context.Background(), root, HelmOptions{Path: ".", ReleaseName: "r"}, func(string) {})
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(rs) != tc.n {
				t.Fatalf("%d resources, want %d", len(rs), tc.n)
			}
		})
	}
}

// chartW writes chart "w" (Chart.yaml and files) into a new repository and
// returns the repository root.
func chartW(t *testing.T, files map[string]string) *Root {
	t.Helper()
	dir := t.TempDir()
	all := map[string]string{"Chart.yaml": "apiVersion: v2\nname: w\nversion: 0.1.0\n"}
	for k, v := range files {
		all[k] = v
	}
	for k, v := range all {
		must(t, os.MkdirAll(filepath.Dir(filepath.Join(dir, k)), 0o755))
		must(t, os.WriteFile(filepath.Join(dir, k), []byte(v), 0o644))
	}
	root, err := OpenRoot(dir)
	must(t, err)
	return root
}

func TestHelmChartSymlinks(t *testing.T) {
	dir := t.TempDir()
	repo := filepath.Join(dir, "repo")
	must(t, os.MkdirAll(filepath.Join(repo, "chart", "templates"), 0o755))
	must(t, os.MkdirAll(filepath.Join(dir, "secret"), 0o755))
	must(t, os.WriteFile(filepath.Join(repo, "chart", "Chart.yaml"), []byte("apiVersion: v2\nname: c\nversion: 0.1.0\n"), 0o644))
	must(t, os.WriteFile(filepath.Join(dir, "secret", "token"), []byte("s3cr3t"), 0o644))
	root, err := OpenRoot(repo)
	must(t, err)
	render := func() error {
		_, err := Helm(context.Background(), root, HelmOptions{Path: "chart", ReleaseName: "r"}, func(string) {})
		return err
	}
	// A directory symlink out of the root.
	must(t, os.Symlink(filepath.Join(dir, "secret"), filepath.Join(repo, "chart", "files")))
	if err := render(); err == nil || !strings.Contains(err.Error(), "files: symlink points outside the repository root") {
		t.Errorf("directory symlink: %v", err)
	}
	must(t, os.Remove(filepath.Join(repo, "chart", "files")))
	// A symlink loop inside the root.
	must(t, os.Symlink("..", filepath.Join(repo, "chart", "templates", "loop")))
	if err := render(); err == nil || !strings.Contains(err.Error(), "symlink loop") {
		t.Errorf("loop: %v", err)
	}
	must(t, os.Remove(filepath.Join(repo, "chart", "templates", "loop")))
	// A file symlink inside the root is followed.
	must(t, os.WriteFile(filepath.Join(repo, "cm.yaml"), []byte("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n"), 0o644))
	must(t, os.Symlink("../../cm.yaml", filepath.Join(repo, "chart", "templates", "cm.yaml")))
	rs, err := Helm(context.Background(), root, HelmOptions{Path: "chart", ReleaseName: "r"}, func(string) {})
	if err != nil || len(rs) != 1 || rs[0].Source != "c/templates/cm.yaml" {
		t.Errorf("inner symlink: %v %v", rs, err)
	}
	// A file:// dependency outside the root.
	must(t, os.WriteFile(filepath.Join(repo, "chart", "Chart.yaml"), []byte("apiVersion: v2\nname: c\nversion: 0.1.0\ndependencies: [{name: d, version: 1.0.0, repository: 'file://../../secret'}]\n"), 0o644))
	if err := render(); err == nil || !errors.Is(err, ErrEscape) {
		t.Errorf("file:// outside: %v", err)
	}
}

var _ = manifest.Document{}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
