package render

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	yaml3 "go.yaml.in/yaml/v3"
	"sigs.k8s.io/kustomize/api/provider"

	"github.com/syncwave/syncwave/manifest"
)

// genKustomize writes the benchmark kustomization (hack/genkustomize) and
// returns its repository root; the overlay is overlays/prod.
func genKustomize(tb testing.TB) string {
	tb.Helper()
	dir := filepath.Join(tb.TempDir(), "bigkustomize")
	if out, err := exec.Command("go", "run", "../hack/genkustomize", "-out", dir).CombinedOutput(); err != nil {
		tb.Fatalf("generate the benchmark kustomization: %v\n%s", err, out)
	}
	return dir
}

// renderKustomize builds a kustomization with the fast or the full
// (`kustomize build`'s AsYAML, then a full parse) path, annotates every
// resource and prints the stream.
func renderKustomize(repo, dir string, fast bool) ([]byte, int, error) {
	root, err := OpenRoot(repo)
	if err != nil {
		return nil, 0, err
	}
	rs, err := Kustomize(context.Background(), root, KustomizeOptions{Path: dir, fullPath: !fast})
	if err != nil {
		return nil, 0, err
	}
	for _, r := range rs {
		r.SetAnnotation("argocd.argoproj.io/sync-wave", "7")
		r.SetAnnotation("argocd.argoproj.io/hook-delete-policy", "HookSucceeded")
	}
	var b bytes.Buffer
	err = manifest.Write(&b, rs)
	return b.Bytes(), len(rs), err
}

// TestFastDecodeOnKustomizations builds the generated benchmark
// kustomization (hack/genkustomize), the scenario tests' kustomizations and,
// when SYNCWAVE_KUSTOMIZE_CORPUS names a directory, every kustomization
// under it, once with the fast path (resourceYAML and the metadata-only
// decoder) and once with kustomize's own AsYAML and the full parse, and
// requires byte-identical output.
func TestFastDecodeOnKustomizations(t *testing.T) {
	t.Parallel()
	type kcase struct{ repo, dir string }
	big := genKustomize(t)
	cases := []kcase{{big, "overlays/prod"}, {big, "bases/svc00"}, {big, "bases/crds"}}
	cli, _ := filepath.Abs(filepath.Join("..", "internal", "cli", "testdata"))
	for _, c := range []kcase{
		{filepath.Join(cli, "kustomize-overlay", "app"), "overlays/prod"},
		{filepath.Join(cli, "kustomize-overlay", "app"), "base"},
		{filepath.Join(cli, "kustomize-detected", "app"), "."},
		{filepath.Join(cli, "kustomize-components", "app"), "."},
	} {
		cases = append(cases, c)
	}
	if corpus := os.Getenv("SYNCWAVE_KUSTOMIZE_CORPUS"); corpus != "" {
		_ = filepath.WalkDir(corpus, func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() && d.Name() == "kustomization.yaml" {
				rel, _ := filepath.Rel(corpus, filepath.Dir(p))
				cases = append(cases, kcase{corpus, filepath.ToSlash(rel)})
			}
			return nil
		})
	}
	compared, objects := 0, 0
	for _, c := range cases {
		name := filepath.Base(c.repo) + ":" + c.dir
		full, n, ferr := renderKustomize(c.repo, c.dir, false)
		fast, _, serr := renderKustomize(c.repo, c.dir, true)
		switch {
		case ferr != nil && serr != nil:
			if ferr.Error() != serr.Error() {
				t.Errorf("%s: errors differ:\nfull: %v\nfast: %v", name, ferr, serr)
			}
			continue
		case ferr != nil || serr != nil:
			t.Errorf("%s: full: %v, fast: %v", name, ferr, serr)
			continue
		}
		if !bytes.Equal(full, fast) {
			t.Errorf("%s: output differs between the fast and the full path\n%s", name, firstDiff(full, fast))
		}
		compared++
		objects += n
	}
	if compared < 7 {
		t.Fatalf("compared only %d kustomizations", compared)
	}
	t.Logf("%d kustomizations, %d objects: fast and full paths agree", compared, objects)
}

func firstDiff(a, b []byte) string {
	al, bl := strings.Split(string(a), "\n"), strings.Split(string(b), "\n")
	for i := range min(len(al), len(bl)) {
		if al[i] != bl[i] {
			return "line " + strconv.Itoa(i+1) + ":\n- " + al[i] + "\n+ " + bl[i]
		}
	}
	return "lengths differ"
}

// TestResourceYAMLEdgeCases compares resourceYAML with AsYAML, output and
// errors, on values where YAML, JSON and yaml/v2 disagree: floats that
// JSON writes as integers, big and negative numbers, infinities, strings
// that look like other types, strings JSON escapes, characters a YAML
// reader refuses, non-string keys, timestamps, binary, anchors and merge
// keys, null and empty values.
func TestResourceYAMLEdgeCases(t *testing.T) {
	t.Parallel()
	rf := provider.NewDefaultDepProvider().GetResourceFactory()
	docs := []string{
		"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\nspec: {f1: 3.0, f2: 1.5, f3: 1e21, f4: -0.0, f5: 1e-7, f6: 100000000000000000000.0, f7: 0.1}\n",
		"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\nspec: {i1: 9223372036854775807, i2: 9223372036854775808, i3: 18446744073709551616, i4: -9223372036854775809, i5: 0x1F, i6: 0o17, i7: 017, i8: 1_000}\n",
		"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\nspec: {inf: .inf}\n",
		"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\nspec: {nan: .nan}\n",
		"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {a: 'true', b: 'null', c: '123', d: '1.5', e: '', f: ' lead', g: 'trail ', h: 'a: b', i: '- x', j: '#c', k: '<&>', l: \"tab\\there\", m: \"nl\\nthere\\n\", n: \"\\u2028\", o: \"\\x01ctl\", p: 'yes', q: 'on', r: '~', s: '0x10', t: '2024-01-01', u: 'ünïcödé ✓ 😀'}\n",
		"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {a: \"del\\x7f\"}\n",
		"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {a: \"c1\\x85\\u0086\"}\n",
		"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {a: \"bom\\ufeff\", b: \"\\uffff\"}\n",
		"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\nspec: {80: http, true: yes, 1.5: f}\n",
		"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\nspec: {nested: {80: http}}\n",
		"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\nspec: {t1: 2024-01-01, t2: 2024-01-01T10:00:00Z, b: !!binary aGVsbG8=, b2: !!binary /w==}\n",
		"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\nspec:\n  base: &b {x: 1, y: [1, 2]}\n  other:\n    <<: *b\n    z: 3\n",
		"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, annotations: {}}\nspec: {n: null, e: , l: [], m: {}, s: [null, ~, '']}\n",
		"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata:\n  script: |\n    #!/bin/sh\n    echo \"hi\"   \n\n  folded: >\n    a\n    b\n",
		"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\nspec: {long: '" + strings.Repeat("word ", 40) + "', keys: {'a.b/c': 1, 'Z': 2, 'a10': 3, 'a9': 4, '10': 5, '9': 6}}\n",
		"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\nspec: {tagged: !custom value, str: !!str 123, int: !!int '42', float: !!float '1'}\n",
	}
	// Nodes as transformers may build them: a quoted scalar with a
	// non-string tag, an empty untagged scalar in a flow mapping, an empty
	// key.
	edits := []func(spec *yaml3.Node){
		func(spec *yaml3.Node) { spec.Content[1].Tag, spec.Content[1].Style = "!!int", yaml3.DoubleQuotedStyle },
		func(spec *yaml3.Node) {
			spec.Style, spec.Content[1].Tag, spec.Content[1].Value = yaml3.FlowStyle, "", ""
		},
		func(spec *yaml3.Node) { spec.Content[0].Tag, spec.Content[0].Value = "!!null", "" },
		func(spec *yaml3.Node) { spec.Content[1].Tag, spec.Content[1].Value = "", "" },
	}
	edit := map[int]func(spec *yaml3.Node){}
	for _, f := range edits {
		edit[len(docs)] = f
		docs = append(docs, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\nspec:\n  x: 1\n")
	}
	for i, d := range docs {
		r, err := rf.FromBytes([]byte(d))
		if err != nil {
			t.Logf("%q: factory refuses: %v", d, err)
			continue
		}
		if f := edit[i]; f != nil {
			spec := r.YNode().Content[len(r.YNode().Content)-1]
			f(spec)
			d += fmt.Sprintf(" (edited %d)", i)
		}
		want, werr := r.AsYAML()
		got, gerr := resourceYAML(r)
		if (werr == nil) != (gerr == nil) || werr != nil && werr.Error() != gerr.Error() {
			t.Errorf("%q: errors differ: AsYAML %v, resourceYAML %v", d, werr, gerr)
			continue
		}
		if !bytes.Equal(want, got) {
			t.Errorf("%q: output differs\nAsYAML:\n%s\nresourceYAML:\n%s", d, want, got)
		}
	}
}

// BenchmarkKustomizeGenerated builds the generated benchmark kustomization
// in-process, annotates and prints it (no process start, no ordering).
func BenchmarkKustomizeGenerated(b *testing.B) {
	repo := genKustomize(b)
	for b.Loop() {
		if _, _, err := renderKustomize(repo, "overlays/prod", true); err != nil {
			b.Fatal(err)
		}
	}
}
