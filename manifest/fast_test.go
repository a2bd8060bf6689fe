package manifest

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// sameResource compares everything syncwave reads from a resource, and the
// text it writes after the same annotation changes.
func sameResource(t *testing.T, name string, a, b *Resource) {
	t.Helper()
	type view struct {
		Source, APIVersion, Kind, Name, Namespace string
		Line                                      int
		Labels, Annotations                       map[string]string
	}
	va := view{a.Source, a.APIVersion, a.Kind, a.Name, a.Namespace, a.Line, a.Labels, a.Annotations}
	vb := view{b.Source, b.APIVersion, b.Kind, b.Name, b.Namespace, b.Line, b.Labels, b.Annotations}
	if !reflect.DeepEqual(va, vb) {
		t.Fatalf("%s: fast decode %+v, full decode %+v", name, va, vb)
	}
	for _, f := range [][]string{{"spec", "group"}, {"spec", "names", "kind"}, {"spec", "scope"}} {
		fa, oka := a.Field(f...)
		fb, okb := b.Field(f...)
		if a.Kind == "CustomResourceDefinition" && (fa != fb || oka != okb) {
			t.Fatalf("%s: %v: fast %q %v, full %q %v", name, f, fa, oka, fb, okb)
		}
	}
	for _, r := range []*Resource{a, b} {
		r.SetAnnotation("argocd.argoproj.io/sync-wave", "-3")
		r.SetAnnotation("argocd.argoproj.io/hook", "PreSync")
		r.DeleteAnnotation("argocd.argoproj.io/sync-options")
	}
	ba, erra := a.Bytes()
	bb, errb := b.Bytes()
	if (erra == nil) != (errb == nil) || string(ba) != string(bb) {
		t.Fatalf("%s: written text differs:\nfast (%v):\n%s\nfull (%v):\n%s", name, erra, ba, errb, bb)
	}
}

func checkFast(t *testing.T, name string, d Document) (accepted bool) {
	t.Helper()
	full, ferr := Decode(name, d.Text, Options{Format: OneDocument, Line: d.Line})
	fast, ok := decodeFast(name, d)
	if !ok || ferr != nil {
		return false
	}
	if len(full) != 1 {
		t.Fatalf("%s: fast path accepted a document that decodes to %d resources", name, len(full))
	}
	sameResource(t, name, fast, full[0])
	return true
}

// checkStrict: a document the strict fast reader accepts is one the full
// reader of a directory source accepts, with the same result.
func checkStrict(t *testing.T, name string, d Document) (accepted bool) {
	t.Helper()
	strict, ok := decodeFastStrict(name, d)
	if !ok {
		return false
	}
	full, err := Decode(name, d.Text, Options{Format: OneDocument, Line: d.Line, AnyVersion: true})
	if err != nil {
		t.Fatalf("%s: strict fast path accepted %q, which the full reader refuses: %v", name, d.Text, err)
	}
	if len(full) != 1 {
		t.Fatalf("%s: strict fast path accepted a document that decodes to %d resources", name, len(full))
	}
	sameResource(t, name, strict, full[0])
	return true
}

// TestDecodeFastCorpus: on every manifest in the repository's examples and
// test data, the fast path gives exactly what the full parse gives.
func TestDecodeFastCorpus(t *testing.T) {
	t.Parallel()
	var docs, accepted, strict int
	for _, root := range []string{"../examples", "../internal/cli/testdata", "../plan/testdata", "../render/testdata"} {
		_ = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !(strings.HasSuffix(p, ".yaml") || strings.HasSuffix(p, ".yml")) {
				return nil
			}
			data, err := os.ReadFile(p)
			if err != nil {
				return nil
			}
			for _, doc := range SplitYAML(data) {
				docs++
				if checkFast(t, p, doc) {
					accepted++
				}
				if checkStrict(t, p, doc) {
					strict++
				}
			}
			return nil
		})
	}
	if accepted < 100 {
		t.Fatalf("fast path accepted only %d of %d documents", accepted, docs)
	}
	if strict < 100 {
		t.Fatalf("strict fast path accepted only %d of %d documents", strict, docs)
	}
	t.Logf("fast path accepted %d of %d documents, the strict one %d", accepted, docs, strict)
}

// strictCases are documents the strict fast reader reads (and the full
// reader agrees on); strictRefused are documents it leaves to the full
// reader, most of them invalid in a part the fast reader skips.
var strictCases = []string{
	"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-000042\ndata:\n  key: value-000042\n",
	"# a comment\n\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  a.b: \"x: y # z\"\n  c: 'q'\n  e: {}\n  f: []\n  g:\n  # comment\n  h: 1.5e+3\n",
	"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  s: |\n    line one\n      two: x # y\n\n    - three\n  t: >-\n   folded\n  u: |+\n\n    text\n",
	"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 2\n  selector:\n    matchLabels:\n      app: web\n  template:\n    metadata:\n      labels:\n        app: web\n    spec:\n      containers:\n      - name: web\n        image: nginx:1.27\n        args:\n        - --port\n        - \"8080\"\n        ports:\n        - containerPort: 8080\n          protocol: TCP\n",
	"apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: r\nrules:\n- apiGroups:\n  - \"\"\n  resources:\n  - pods\n  verbs:\n  - get\n",
	"apiVersion: v1\r\nkind: ConfigMap\r\nmetadata:\r\n  name: a\r\ndata:\r\n  k: v\r\n",
	// single-line flow collections (validFlow)
	"apiVersion: v1\nkind: Service\nmetadata:\n  name: svc-1\nspec:\n  selector: {app: shop}\n  ports: [{port: 80, targetPort: 8080}]\n",
	"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web-2\nspec:\n  replicas: 2\n  selector: {matchLabels: {app: web-2}}\n  template:\n    metadata: {labels: {app: web-2}}\n    spec:\n      containers: [{name: web, image: nginx:1.27, ports: [{containerPort: 8080}]}]\n",
	"apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  a: {x: [1, -2, 1.5e+3, {k: \"q: #r\", z: 'w'}], v: []}\n  b: [a,b]\n  c:\n  - {name: web, port: 80}\n  - [x, {}]\n",
}

var strictRefused = []string{
	"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  a: b\n c: d\n",
	"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  a: b: c\n",
	"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  a: b\n  a: c\n",
	"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  a: [b\n",
	"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  a: .inf\n",
	"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  a: *x\n",
	"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  a: b\n   c\n",
	"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  - a\n  b: c\n",
	"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  s: |\n      x\n    y\n",
	"  stray\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n",
	"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  null: x\n",
	"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\nspec:\n  ports:\n  - port: 80\n   x: y\n",
	"apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\nspec:\n  c: [{name: web, image: nginx:}]\n",
	"apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\nspec:\n  c: [{name: web, url: http://x}]\n",
	"apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\nspec:\n  c: [a:, b]\n",
	"apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\nspec:\n  c: {a: 1, a: 2}\n",
	"apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\nspec:\n  c: [a, ]\n",
	"apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\nspec:\n  c: {a: b} # note\n",
	"apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\nspec:\n  c: {on: b}\n",
	"apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\nspec:\n  c: {a: b c}\n",
	"apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\nspec:\n  c: [a,\n    b]\n",
	"apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\nspec:\n  c: {a: *x}\n",
	"apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\nspec:\n  c: [[[[[[[[[x]]]]]]]]]\n",
}

// TestDecodeFastStrict: the strict fast reader reads the common shapes of
// hand-written manifests, and leaves every document with a fault in the
// parts it skips to the full reader.
func TestDecodeFastStrict(t *testing.T) {
	t.Parallel()
	for i, c := range strictCases {
		if !checkStrict(t, "f.yaml", Document{Text: []byte(c), Line: 1}) {
			t.Errorf("strict case %d: not read by the strict fast path: %q", i, c)
		}
	}
	for i, c := range strictRefused {
		if _, ok := decodeFastStrict("f.yaml", Document{Text: []byte(c), Line: 1}); ok {
			t.Errorf("refused case %d: strict fast path accepted %q", i, c)
		}
	}
}

func TestDecodeFastFallsBack(t *testing.T) {
	t.Parallel()
	for _, in := range []string{
		"apiVersion: v1\nkind: List\nitems: []\n",
		"apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: x\nspec: {group: g}\n",
		"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n",
		"\"apiVersion\": v1\nkind: ConfigMap\n",
		"apiVersion: v1\nkind: ConfigMap\nkind: Secret\n",
		"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  labels: a\n",
		"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  annotations: b\n",
		"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  <<: *x\n",
		"- a\n- b\n",
	} {
		if _, ok := decodeFast("f.yaml", Document{Text: []byte(in), Line: 1}); ok {
			t.Errorf("fast path accepted %q", in)
		}
	}
}

// FuzzDecodeFast: the fast path reads what Argo CD reads. sigs.k8s.io/yaml
// is the oracle: when it accepts the document, the fast path must read the
// same identity; when it refuses it, the fast path may accept it only if
// the fault is in the parts it does not read (the oracle accepts the
// document cut down to apiVersion, kind, metadata and a CRD's spec, and
// reads that identity from it). The full reader must agree with both.
func FuzzDecodeFast(f *testing.F) {
	for _, c := range spliceCases {
		f.Add([]byte(c))
	}
	for _, c := range argoCases {
		f.Add([]byte(c.in))
	}
	f.Add([]byte("apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: ws.x.io\nspec:\n  group: x.io\n  names:\n    kind: W\n    plural: ws\n  scope: Namespaced\n  versions:\n  - name: v1\n"))
	f.Add([]byte("# Source: c/templates/a.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  labels:\n    x: \"1\"\n  annotations:\n    argocd.argoproj.io/sync-options: Prune=false\ndata:\n  k: |\n    v\n"))
	for _, c := range append(simpleMetadataCases, seqCases...) {
		f.Add([]byte(c))
	}
	for _, c := range append(strictCases, strictRefused...) {
		f.Add([]byte(c))
	}
	for _, c := range writerCases {
		f.Add([]byte(c))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		d := Document{Text: data, Line: 3}
		checkStrict(t, "f.yaml", d)
		checkLeanSplice(t, "f.yaml", d)
		fast, ok := decodeFast("f.yaml", d)
		if !ok {
			return
		}
		got := identityOf(fast)
		want, wok := argoIdentity(data)
		if !wok {
			entries, dirty, _ := topEntries(data)
			var cut []byte
			for _, e := range entries {
				if e.key == "spec" && fast.Kind == "CustomResourceDefinition" {
					_, _, mini, _ := crdSpec(data[e.start:e.end], e.start, dirty)
					cut = append(cut, mini...)
				}
				if e.key == "apiVersion" || e.key == "kind" || e.key == "metadata" {
					cut = append(cut, data[e.start:e.end]...)
					if cut[len(cut)-1] != '\n' {
						cut = append(cut, '\n')
					}
				}
			}
			if want, wok = argoIdentity(cut); !wok {
				t.Fatalf("fast path accepted %q, which Argo CD refuses even cut down to what the fast path reads:\n%s", data, cut)
			}
		} else {
			checkFast(t, "f.yaml", d)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("fast path read %+v from %q; Argo CD reads %+v", got, data, want)
		}
	})
}

var seqCases = []string{
	"apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: r\nrules:\n- apiGroups: ['']\n  resources: [pods]\n  verbs: [get]\n",
	"apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: ws.x.io\nspec:\n  group: x.io\n  names:\n    kind: W\n    plural: ws\n  scope: Cluster\n  versions:\n  - name: v1\n    served: true\n",
	"apiVersion: v1\nkind: ConfigMap\nmetadata:\n- a\n",
}

var simpleMetadataCases = []string{
	"apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n  namespace: 'prod'\n  labels:\n    app.kubernetes.io/name: web\n    helm.sh/chart: \"web-1.2.3\"\n  annotations:\n    argocd.argoproj.io/sync-wave: \"3\"\n    a: 'x y'\nspec:\n  ports: []\n",
	"apiVersion: v1\nkind: ConfigMap\nmetadata:\n    name: a\n    labels:\n      x: z\n    annotations:\n        z: \"1\"\n",
	"apiVersion: v1\nkind: ConfigMap\nmetadata:\n    name: a\n    labels:\n      x: y\n",
	"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  name: b\n",
	"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: true\n",
	"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  labels:\n  name: a\n",
	"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: \"a\\\"b\"\n",
}

// TestSequencesAtKeyIndentation: a block sequence written at its key's
// indentation (yaml/v2's style, common in CRDs and RBAC rules) does not
// send the document to the full parse, and the result agrees with it.
func TestSequencesAtKeyIndentation(t *testing.T) {
	t.Parallel()
	for i, c := range seqCases {
		d := Document{Text: []byte(c), Line: 1}
		_, ok := decodeFast("f.yaml", d)
		if want := i < 2; ok != want {
			t.Errorf("case %d: fast path %v, want %v", i, ok, want)
		}
		checkFast(t, "f.yaml", d)
	}
}

// TestSimpleMetadata: the parser-free path reads common metadata blocks and
// agrees with the full parse on them.
func TestSimpleMetadata(t *testing.T) {
	t.Parallel()
	for i, c := range simpleMetadataCases {
		d := Document{Text: []byte(c), Line: 1}
		a := strings.Index(c, "metadata:")
		b := strings.Index(c, "\nspec:")
		if b < 0 {
			b = len(c) - 1
		}
		_, _, simple := simpleMetadata(&nodeSlab{}, []byte(c[a:b+1]), strings.Count(c[:a], "\n"))
		if want := i < 2; simple != want {
			t.Errorf("case %d: simple path %v, want %v", i, simple, want)
		}
		checkFast(t, "f.yaml", d)
	}
}

// benchStream is the stream the decode benchmarks read: the file named by
// SYNCWAVE_BENCH_STREAM (e.g. a chart's rendered output), else every
// manifest of the repository's test data.
func benchStream(b *testing.B) []byte {
	if p := os.Getenv("SYNCWAVE_BENCH_STREAM"); p != "" {
		data, err := os.ReadFile(p)
		if err != nil {
			b.Fatal(err)
		}
		return data
	}
	var out []byte
	for _, root := range []string{"../examples", "../internal/cli/testdata", "../plan/testdata", "../render/testdata"} {
		_ = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !(strings.HasSuffix(p, ".yaml") || strings.HasSuffix(p, ".yml")) {
				return nil
			}
			data, err := os.ReadFile(p)
			if err == nil {
				if _, derr := Decode(p, data, Options{}); derr == nil {
					out = append(append(out, data...), "\n---\n"...)
				}
			}
			return nil
		})
	}
	return out
}

func BenchmarkDecodeFast(b *testing.B) { benchDecode(b, decodeWith(Options{Reader: Fast})) }
func BenchmarkDecodeFull(b *testing.B) { benchDecode(b, decodeWith(Options{})) }

func benchDecode(b *testing.B, decode func(string, []byte) ([]*Resource, error)) {
	data := benchStream(b)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := decode("bench", data); err != nil {
			b.Fatal(err)
		}
	}
}

// smallDocs is one file of hack/gendir's directory: n ConfigMaps of 85
// bytes, separated by "---".
func smallDocs(n int) []byte {
	var b []byte
	for i := 0; i < n; i++ {
		if i > 0 {
			b = append(b, "---\n"...)
		}
		b = fmt.Appendf(b, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-%06d\ndata:\n  key: value-%06d\n", i, i)
	}
	return b
}

// BenchmarkDecodeDirectory: what a directory source of small documents
// costs to read, per file of 100 documents (hack/bench-directory.sh reads
// 1,000 such files): the strict fast reader, and the full reader.
func BenchmarkDecodeDirectory(b *testing.B) {
	data := smallDocs(100)
	for _, c := range []struct {
		name   string
		decode func(string, []byte) ([]*Resource, error)
	}{
		{"strict", decodeWith(Options{AnyVersion: true, Reader: FastStrict})},
		{"full", decodeWith(Options{AnyVersion: true})},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				rs, err := c.decode("docs.yaml", data)
				if err != nil || len(rs) != 100 {
					b.Fatal(len(rs), err)
				}
			}
		})
	}
}

// checkLeanSplice: a lean resource splices from its metadata entry alone
// (leanTree) exactly what it splices from the whole document's tree.
func checkLeanSplice(t *testing.T, name string, d Document) {
	t.Helper()
	for _, strict := range []bool{false, true} {
		a, ok := decodeFastWith(name, d, strict)
		if !ok || !a.lean {
			continue
		}
		b, _ := decodeFastWith(name, d, strict)
		b.meta.end, b.metaTree = 0, nil // leanTree falls back to fastTree
		for _, r := range []*Resource{a, b} {
			r.SetAnnotation("argocd.argoproj.io/sync-wave", "-3")
			r.SetAnnotation("example.com/x", "a: b")
		}
		ab, aerr := a.Bytes()
		bb, berr := b.Bytes()
		if (aerr == nil) != (berr == nil) || string(ab) != string(bb) {
			t.Fatalf("%s: lean splice differs from the tree's:\n%s\n(%v)\nvs\n%s\n(%v)", name, ab, aerr, bb, berr)
		}
	}
}

func TestLeanSplice(t *testing.T) {
	t.Parallel()
	n := 0
	for _, c := range append(append(append([]string{}, spliceCases...), strictCases...), simpleMetadataCases...) {
		checkLeanSplice(t, "f.yaml", Document{Text: []byte(c), Line: 1})
		n++
	}
	for _, root := range []string{"../examples", "../internal/cli/testdata", "../render/testdata"} {
		_ = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(p, ".yaml") {
				return nil
			}
			data, err := os.ReadFile(p)
			if err != nil {
				return nil
			}
			for _, doc := range SplitYAML(data) {
				checkLeanSplice(t, p, doc)
				n++
			}
			return nil
		})
	}
	t.Logf("%d documents", n)
}
