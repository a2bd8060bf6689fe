package manifest

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	sigsyaml "sigs.k8s.io/yaml"
)

// The two documents of issue 18 that the line splice used to write wrong:
// a single-quoted value going on at its key's indentation (the second line
// looked like a second sync-wave key, which Argo CD kept), and a flow
// mapping of annotations over two lines (the second line was left behind as
// a key of metadata).
const (
	attackQuoted = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: first\n  annotations:\n    argocd.argoproj.io/sync-wave: '1\n    argocd.argoproj.io/sync-wave: \"-100\" #'\ndata:\n  a: b\n"
	attackFlow   = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: first\n  annotations: {a: x,\n  argocd.argoproj.io/sync-wave: \"-100\"}\ndata:\n  a: b\n"
)

// writerCases are the shapes the writer must carry over: multi-line quoted
// and flow values, block scalars, comments, anchors, aliases and tags on the
// metadata or annotations maps, CRLF, tabs.
var writerCases = []string{
	attackQuoted,
	attackFlow,
	"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  annotations:\n    x: \"one\n    two\"\n    argocd.argoproj.io/sync-wave: \"1\n      \"\n",
	"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  annotations:\n    argocd.argoproj.io/sync-wave: |\n      1\n    b: c # comment\n",
	"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  annotations:\n    argocd.argoproj.io/sync-wave:\n      '2'\n  # a comment at the metadata's indentation\n  labels: {x: y}\n",
	"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: 'a\n  namespace: b'\n",
	"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  annotations: &ann\n    argocd.argoproj.io/sync-wave: \"1\"\ndata: *ann\n",
	"apiVersion: v1\nkind: ConfigMap\nmetadata: !!map\n  name: a\n  annotations: !!map\n    argocd.argoproj.io/sync-wave: !!str 1\n",
	"apiVersion: v1\r\nkind: ConfigMap\r\nmetadata:\r\n  name: a\r\n  annotations:\r\n    argocd.argoproj.io/sync-wave: '1\r\n    2'\r\n",
	"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  annotations:\n    argocd.argoproj.io/sync-wave:\t\"1\"\n",
	"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  annotations: {\n  }\n  labels:\n    x: y\n",
	"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  annotations: {a: \"x # y\",\n    b: [c]}\n",
	"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  annotations:\n    argocd.argoproj.io/hook: 'PreSync\n\n    '\n    z: y\n",
	"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  labels: {app: shop, tier: '3rd', x: \"a,b}\"}\n  annotations: {checksum/config: 0123456789abcdef, argocd.argoproj.io/sync-wave: \"1\"}\n",
	"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: 1e5x\n  labels: {}\n  annotations:\n    a: 0x1f\n    b: 1e5\n    c: 0b1z\n    d: 12ab\n",
}

func TestWriteAttacks(t *testing.T) {
	t.Parallel()
	for _, in := range []string{attackQuoted, attackFlow} {
		for name, dec := range decoders {
			rs, err := dec("f.yaml", []byte(in))
			if err != nil || len(rs) != 1 {
				t.Fatalf("%s: %v", name, err)
			}
			rs[0].SetAnnotation("argocd.argoproj.io/sync-wave", "6")
			b, err := rs[0].Bytes()
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if n := strings.Count(string(b), "sync-wave"); n != 1 {
				t.Errorf("%s: %d sync-wave keys in\n%s", name, n, b)
			}
			id, ok := argoIdentity(b)
			if !ok || id.Annotations["argocd.argoproj.io/sync-wave"] != "6" || strings.Contains(string(b), "\n  argocd") {
				t.Errorf("%s: Argo CD reads %+v from\n%s", name, id, b)
			}
		}
	}
}

// TestReadBackRefuses: a text that does not read back as the resource is
// refused, with the field named.
func TestReadBackRefuses(t *testing.T) {
	t.Parallel()
	rs, err := Decode("f.yaml", []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	r := rs[0]
	r.SetAnnotation("argocd.argoproj.io/sync-wave", "1")
	for text, want := range map[string]string{
		"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  annotations:\n    argocd.argoproj.io/sync-wave: \"1\"\n":                                             "",
		"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  annotations:\n    argocd.argoproj.io/sync-wave: \"1\"\n    argocd.argoproj.io/sync-wave: \"-100\"\n": `metadata.annotations "argocd.argoproj.io/sync-wave" = "-100", expected "1"`,
		"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  annotations:\n    argocd.argoproj.io/sync-wave: \"1\"\n    x: z\n":                                   `metadata.annotations "x" = "z", which was not written`,
		"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\n":                                                                                                      `metadata.name "b", expected "a"`,
		"apiVersion: v1\nkind: Secret\nmetadata:\n  name: a\n":                                                                                                         `kind "Secret", expected "ConfigMap"`,
		"apiVersion: v1\nkind: ConfigMap\nmetadata: [\n":                                                                                                               "Argo CD cannot read it",
		"apiVersion: v1\nkind: ConfigMap\nitems: [{}]\nmetadata: {}\n":                                                                                                 "items list",
	} {
		err := r.readBack([]byte(text))
		switch {
		case want == "" && err != nil:
			t.Errorf("%q: %v", text, err)
		case want != "" && (err == nil || !strings.Contains(err.Error(), want)):
			t.Errorf("%q: error %v, want %q", text, err, want)
		}
	}
}

// decoders are the readers whose resources the writer writes: the full
// reader, the fast reader (rendered output) and the strict fast reader
// (directory sources).
var decoders = map[string]func(string, []byte) ([]*Resource, error){
	"full":   decodeWith(Options{}),
	"fast":   decodeWith(Options{Reader: Fast}),
	"strict": decodeWith(Options{AnyVersion: true, Reader: FastStrict}),
}

// decodeWith is Decode with opts, as a function of a stream.
func decodeWith(opts Options) func(string, []byte) ([]*Resource, error) {
	return func(source string, data []byte) ([]*Resource, error) { return Decode(source, data, opts) }
}

// FuzzWrite: whatever document a reader accepts, the writer's text, read
// whole by Argo CD's reader (sigs.k8s.io/yaml), is the object it read with
// the annotations changed and nothing else (checkAnnotateWith), for every
// reader; and the stream written of all the documents reads back as many
// resources, with the same identities.
func FuzzWrite(f *testing.F) {
	for _, c := range append(append([]string{}, writerCases...), spliceCases...) {
		f.Add([]byte(c), uint8(0))
		f.Add([]byte(c), uint8(3))
	}
	f.Fuzz(func(t *testing.T, data []byte, which uint8) {
		changes := []map[string]*string{
			{"argocd.argoproj.io/sync-wave": ptr("3"), "argocd.argoproj.io/hook": nil},
			{"argocd.argoproj.io/sync-wave": ptr("-1"), "argocd.argoproj.io/sync-options": ptr("Prune=false,Replace=true")},
			{"argocd.argoproj.io/sync-wave": nil, "a": nil, "x": ptr("it's: #\"odd\"\n")},
			{"argocd.argoproj.io/hook": ptr("PostSync"), "argocd.argoproj.io/hook-delete-policy": ptr("HookSucceeded")},
		}[which%4]
		done := make(chan struct{})
		go func() {
			defer close(done)
			for _, name := range []string{"full", "fast", "strict"} {
				checkAnnotateWith(t, decoders[name], data, changes)
				checkStream(t, decoders[name], data, changes)
			}
		}()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatalf("took longer than 5s on %q", data)
		}
	})
}

// checkStream writes every resource of data with the changes and reads the
// stream back whole with Argo CD's reader: the same number of objects, each
// with the identity the resource holds.
func checkStream(t *testing.T, dec func(string, []byte) ([]*Resource, error), data []byte, changes map[string]*string) {
	t.Helper()
	rs, err := dec("f.yaml", data)
	if err != nil {
		return
	}
	for _, d := range SplitYAML(data) {
		if _, err := sigsyaml.YAMLToJSON(d.Text); err != nil {
			return // the fast reader does not read all of it; Argo CD refuses it
		}
	}
	for _, r := range rs {
		for k, v := range changes {
			if v == nil {
				r.DeleteAnnotation(k)
			} else {
				r.SetAnnotation(k, *v)
			}
		}
	}
	var b bytes.Buffer
	if err := Write(&b, rs); err != nil {
		if _, ok := argoIdentity(data); ok && len(rs) == 1 {
			t.Fatalf("write %q: %v", data, err)
		}
		return
	}
	var got []identity
	for _, d := range SplitYAML(b.Bytes()) {
		if isBlank(d.Text) {
			continue
		}
		id, ok := argoIdentityAnyVersion(d.Text)
		if !ok {
			t.Fatalf("Argo CD cannot read a document of the written stream:\n%s", d.Text)
		}
		got = append(got, id)
	}
	if len(got) != len(rs) {
		t.Fatalf("wrote %d resources, Argo CD reads %d:\n%s", len(rs), len(got), b.Bytes())
	}
	for i, r := range rs {
		if want := identityOf(r); !reflect.DeepEqual(normalizeID(got[i]), normalizeID(want)) {
			t.Fatalf("resource %d: Argo CD reads %+v, want %+v, from\n%s", i, got[i], want, b.Bytes())
		}
	}
}

// normalizeID makes an empty map and no map the same.
func normalizeID(id identity) identity {
	if len(id.Labels) == 0 {
		id.Labels = nil
	}
	if len(id.Annotations) == 0 {
		id.Annotations = nil
	}
	return id
}

// BenchmarkWrite writes 300 annotated documents, once with the proof
// (Bytes) and once the splice alone, so the difference is the cost of
// reading each one back. "chart" is the shape charts render (a checksum
// annotation, which the leanest reader leaves to the next), "plugin" the
// three shapes of test/cmpserver's BenchmarkGenerate (flow-style labels).
func BenchmarkWrite(b *testing.B) {
	b.Run("chart", func(b *testing.B) {
		var doc strings.Builder
		for i := 0; i < 300; i++ {
			doc.WriteString("---\n# Source: chart/templates/deploy.yaml\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: prod\n  labels:\n    app.kubernetes.io/name: web\n    helm.sh/chart: web-1.2.3\n  annotations:\n    checksum/config: 0123456789abcdef\nspec:\n  replicas: 2\n  selector:\n    matchLabels:\n      app: web\n  template:\n    metadata:\n      labels:\n        app: web\n    spec:\n      containers:\n      - name: web\n        image: nginx:1.27\n        ports:\n        - containerPort: 80\n")
		}
		benchWrite(b, decodeWith(Options{Reader: Fast}), doc.String())
	})
	b.Run("plugin", func(b *testing.B) {
		var doc strings.Builder
		for i := 0; i < 300; i++ {
			switch i % 3 {
			case 0:
				fmt.Fprintf(&doc, "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: config-%d\n  labels: {app: shop}\ndata:\n  key: value-%d\n", i, i)
			case 1:
				fmt.Fprintf(&doc, "---\napiVersion: v1\nkind: Service\nmetadata:\n  name: svc-%d\nspec:\n  selector: {app: shop}\n  ports: [{port: 80, targetPort: 8080}]\n", i)
			case 2:
				fmt.Fprintf(&doc, "---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web-%d\nspec:\n  replicas: 2\n  selector: {matchLabels: {app: web-%d}}\n  template:\n    metadata: {labels: {app: web-%d}}\n    spec:\n      containers: [{name: web, image: nginx:1.27, ports: [{containerPort: 8080}]}]\n", i, i, i)
			}
		}
		benchWrite(b, decodeWith(Options{AnyVersion: true, Reader: FastStrict}), doc.String())
	})
}

func benchWrite(b *testing.B, dec func(string, []byte) ([]*Resource, error), doc string) {
	for _, mode := range []string{"proven", "splice-only"} {
		b.Run(mode, func(b *testing.B) {
			rs, err := dec("f.yaml", []byte(doc))
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			c0 := cpuTime()
			for i := 0; i < b.N; i++ {
				for _, r := range rs {
					r.changed = nil
					r.SetAnnotation("argocd.argoproj.io/sync-wave", strconv.Itoa(i%2))
					var err error
					if mode == "proven" {
						_, err = r.Bytes()
					} else if _, ok := r.splice(); !ok {
						b.Fatal("not spliced")
					}
					if err != nil {
						b.Fatal(err)
					}
				}
			}
			// On a loaded machine wall time says little; CPU time does.
			b.ReportMetric(float64((cpuTime()-c0).Microseconds())/float64(b.N*len(rs)), "cpu-µs/doc")
		})
	}
}

// cpuTime is the process's CPU time (user and system, all threads).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// argoIdentityAnyVersion is argoIdentity accepting an object without an
// apiVersion (Argo CD's directory source reads it).
func argoIdentityAnyVersion(text []byte) (identity, bool) {
	j, err := sigsyaml.YAMLToJSON(text)
	if err != nil {
		return identity{}, false
	}
	v, err := decodeJSONValue(j)
	if err != nil {
		return identity{}, false
	}
	obj, _ := v.(map[string]any)
	if obj == nil {
		return identity{}, false
	}
	r := &Resource{}
	if err := r.readIdentity(obj); err != nil && !(errors.As(err, new(noKindError)) && r.Kind != "") {
		return identity{}, false
	}
	return identityOf(r), true
}
