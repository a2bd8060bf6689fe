package manifest

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	sigsyaml "sigs.k8s.io/yaml"
)

func TestSplitYAML(t *testing.T) {
	t.Parallel()
	in := "a: 1\n---\nb: 2\n--- # comment\nc: 3\n---x\nd: 4\n--- \n"
	docs := SplitYAML([]byte(in))
	var got []string
	for _, d := range docs {
		got = append(got, strings.TrimSpace(string(d.Text)))
	}
	want := []string{"a: 1", "b: 2", "c: 3\n---x\nd: 4", ""}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
	if docs[2].Line != 5 {
		t.Errorf("third document starts at line %d, want 5", docs[2].Line)
	}
}

func TestDecode(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, in string
		want     []string // String() of each resource
		err      string
	}{
		{name: "multi", in: "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: ns}\n---\n---\nnull\n---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: b\n", want: []string{"ConfigMap ns/a", "Secret b"}},
		{name: "list", in: "apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: a}}\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: b}}\n", want: []string{"ConfigMap a", "ConfigMap b"}},
		{name: "any kind with items array is a list", in: "apiVersion: x/v1\nkind: Thing\nitems:\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: a}}\n", want: []string{"ConfigMap a"}},
		{name: "items null dropped", in: "apiVersion: v1\nkind: List\nitems: null\n"},
		{name: "json stream", in: "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"a\"}}\n{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"b\"}}", want: []string{"ConfigMap a", "ConfigMap b"}},
		{name: "comment only", in: "# nothing here\n---\n# still nothing\n"},
		{name: "no kind", in: "apiVersion: v1\nmetadata:\n  name: a\n", err: "f.yaml:1: object has no kind"},
		{name: "no apiVersion", in: "kind: ConfigMap\nmetadata:\n  name: a\n", err: "f.yaml:1: ConfigMap has no apiVersion"},
		{name: "scalar", in: "---\nhello\n", err: "f.yaml:2: expected a Kubernetes object"},
		{name: "bad yaml line", in: "apiVersion: v1\nkind: ConfigMap\n---\napiVersion: v1\nkind: [\n", err: "f.yaml:5: invalid YAML: did not find expected node content"},
		{name: "annotation not a string", in: "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  annotations:\n    argocd.argoproj.io/sync-wave: 1\n", err: "metadata.annotations.argocd.argoproj.io/sync-wave: expected a string, found int 1 (quote the value"},
		{name: "list item without kind", in: "apiVersion: v1\nkind: List\nitems:\n- {metadata: {name: a}}\n", err: "items[0].object has no kind"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rs, err := Decode("f.yaml", []byte(tc.in), Options{})
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want it to contain %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, r := range rs {
				got = append(got, r.String())
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestDecodeJSONOneObject(t *testing.T) {
	t.Parallel()
	_, err := Decode("a.json", []byte(`{"apiVersion":"v1","kind":"ConfigMap"} {"apiVersion":"v1","kind":"ConfigMap"}`), Options{Format: OneJSON})
	if err == nil || !strings.Contains(err.Error(), "expected one object") {
		t.Fatalf("got %v", err)
	}
}

// spliceCases are documents of many shapes; each is annotated and the
// spliced text must mean the same as the object with the annotations set.
var spliceCases = []string{
	"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  k: v\n",
	"# Source: chart/templates/cm.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n    name: a # trailing\n    labels:\n        x: y\n",
	"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  annotations:\n    other: \"1\"\n    argocd.argoproj.io/sync-wave: \"5\"\n",
	"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  annotations: {}\n",
	"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  annotations:\n",
	"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  annotations: {x: \"y\", argocd.argoproj.io/sync-wave: \"3\"}\n",
	"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n",
	"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  annotations:\n    argocd.argoproj.io/sync-wave: >-\n      7\n",
	"apiVersion: v1\nkind: ConfigMap\nmetadata: &m\n  name: a\nx: *m\n",
	"{\"apiVersion\": \"v1\", \"kind\": \"ConfigMap\", \"metadata\": {\"name\": \"a\"}}\n",
	"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  annotations:\n    argocd.argoproj.io/sync-options: Prune=false\n    argocd.argoproj.io/hook: PreSync\n",
	"apiVersion: v1\r\nkind: ConfigMap\r\nmetadata:\r\n  name: a\r\n  annotations:\r\n    z: \"1\"\r\n",
	"kind: ConfigMap\napiVersion: v1\nmetadata:\n  annotations:\n    argocd.argoproj.io/sync-wave: \"1\"\n    argocd.argoproj.io/sync-wave: \"2\"\n  name: a\n",
}

func TestSpliceKeepsMeaning(t *testing.T) {
	t.Parallel()
	for _, in := range spliceCases {
		checkAnnotate(t, []byte(in), map[string]*string{
			"argocd.argoproj.io/sync-wave":    ptr("-1"),
			"argocd.argoproj.io/hook":         ptr("PostSync"),
			"argocd.argoproj.io/sync-options": nil,
			"key with: colon":                 ptr("a 'quoted' \"value\" <&>"),
		})
	}
}

func TestSpliceKeepsText(t *testing.T) {
	t.Parallel()
	in := "# Source: chart/templates/cm.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a # keep me\n  annotations:\n    a: \"1\"\n    argocd.argoproj.io/sync-wave: \"5\"\ndata:\n  k: |\n    text\n"
	rs, err := Decode("f.yaml", []byte(in), Options{})
	if err != nil {
		t.Fatal(err)
	}
	rs[0].SetAnnotation("argocd.argoproj.io/sync-wave", "2")
	rs[0].SetAnnotation("argocd.argoproj.io/hook", "PreSync")
	got, err := rs[0].Bytes()
	if err != nil {
		t.Fatal(err)
	}
	want := "# Source: chart/templates/cm.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a # keep me\n  annotations:\n    argocd.argoproj.io/hook: PreSync\n    a: \"1\"\n    argocd.argoproj.io/sync-wave: \"2\"\ndata:\n  k: |\n    text\n"
	if string(got) != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
}

func ptr(s string) *string { return &s }

// checkAnnotate applies the changes to every resource of in and checks the
// written text against the expected object: what Argo CD reads
// (sigs.k8s.io/yaml) from the input, with the annotations changed, must be
// what it reads from the output.
func checkAnnotate(t *testing.T, in []byte, changes map[string]*string) {
	t.Helper()
	checkAnnotateWith(t, decodeWith(Options{}), in, changes)
}

// checkAnnotateWith is checkAnnotate with the resources read by dec. A
// document whose text Argo CD cannot read (the fast reader does not read
// all of it) is skipped.
func checkAnnotateWith(t *testing.T, dec func(string, []byte) ([]*Resource, error), in []byte, changes map[string]*string) {
	t.Helper()
	rs, err := dec("f.yaml", in)
	if err != nil {
		return
	}
	for _, r := range rs {
		if r.raw != nil {
			if _, err := sigsyaml.YAMLToJSON(r.raw); err != nil {
				continue
			}
		}
		want := oracleObject(t, r)
		for k, v := range changes {
			if v == nil {
				r.DeleteAnnotation(k)
			} else {
				r.SetAnnotation(k, *v)
			}
		}
		meta, _ := want["metadata"].(map[string]any)
		if meta == nil {
			meta = map[string]any{}
			want["metadata"] = meta
		}
		ann := map[string]any{}
		for k, v := range r.Annotations {
			ann[k] = v
		}
		if len(ann) > 0 {
			meta["annotations"] = ann
		} else {
			delete(meta, "annotations")
		}
		b, err := r.Bytes()
		if err != nil {
			t.Fatalf("write %q: %v", in, err)
		}
		j, err := sigsyaml.YAMLToJSON(b)
		if err != nil {
			t.Fatalf("output of %q is not YAML: %v\n%s", in, err, b)
		}
		gv, err := decodeJSONValue(j)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := gv.(map[string]any)
		if gm, ok := got["metadata"].(map[string]any); ok {
			if am, ok := gm["annotations"].(map[string]any); ok && len(am) == 0 {
				delete(gm, "annotations")
			}
		}
		if !reflect.DeepEqual(normalize(got), normalize(want)) {
			t.Fatalf("input:\n%q\noutput:\n%s\nmeans %#v\nwant %#v", in, b, got, want)
		}
		if rs2, err := dec("f.yaml", b); err != nil || len(rs2) != 1 {
			t.Fatalf("output does not decode back to one resource: %v\n%s", err, b)
		}
	}
}

// oracleObject is the whole object as Argo CD reads it, before any change.
func oracleObject(t *testing.T, r *Resource) map[string]any {
	t.Helper()
	if r.raw == nil {
		b, err := json.Marshal(r.obj)
		if err != nil {
			t.Fatal(err)
		}
		v, _ := decodeJSONValue(b)
		return v.(map[string]any)
	}
	j, err := sigsyaml.YAMLToJSON(r.raw)
	if err != nil {
		t.Fatalf("raw text of a decoded document does not parse: %v", err)
	}
	v, err := decodeJSONValue(j)
	if err != nil {
		t.Fatal(err)
	}
	return v.(map[string]any)
}

// normalize makes numbers comparable (1 and 1.0 are the same JSON number).
func normalize(v any) any {
	switch x := v.(type) {
	case map[string]any:
		m := map[string]any{}
		for k, e := range x {
			m[k] = normalize(e)
		}
		return m
	case json.Number:
		f, err := strconv.ParseFloat(string(x), 64)
		if err != nil {
			return string(x)
		}
		return f
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = normalize(e)
		}
		return out
	}
	return v
}

func TestWriteSeparatesDocuments(t *testing.T) {
	t.Parallel()
	rs, err := Decode("f.yaml", []byte("apiVersion: v1\nkind: A\n---\napiVersion: v1\nkind: B"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := Write(&b, rs); err != nil {
		t.Fatal(err)
	}
	if got, want := b.String(), "apiVersion: v1\nkind: A\n---\napiVersion: v1\nkind: B\n"; got != want {
		t.Fatalf("got %q want %q", got, want)
	}
}

// FuzzDecode: the stream reader never panics, reads of every document it
// accepts the identity sigs.k8s.io/yaml (Argo CD's reader) reads, refuses
// what sigs.k8s.io/yaml refuses, and whatever it accepts can be annotated
// and written back to text that means, to sigs.k8s.io/yaml, the original
// object plus the annotations.
func FuzzDecode(f *testing.F) {
	for _, c := range spliceCases {
		f.Add([]byte(c))
	}
	f.Add([]byte("apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: A}\n"))
	f.Add([]byte("{\"apiVersion\":\"v1\",\"kind\":\"A\"}"))
	for _, c := range argoCases {
		f.Add([]byte(c.in))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		done := make(chan struct{})
		go func() {
			defer close(done)
			for _, d := range SplitYAML(data) {
				if isBlank(d.Text) || bytes.HasPrefix(bytes.TrimLeft(data, " \t\r\n"), []byte("{")) {
					continue
				}
				rs, err := Decode("f.yaml", d.Text, Options{Format: OneDocument, Line: d.Line})
				if j, err := sigsyaml.YAMLToJSON(d.Text); err == nil && bytes.Contains(j, []byte(`"items":`)) {
					continue // possibly a List: its items are checked by checkAnnotate
				}
				want, wok := argoIdentity(d.Text)
				switch {
				case err == nil && len(rs) == 1 && !wok:
					t.Errorf("accepted %q, which Argo CD refuses", d.Text)
				case err == nil && len(rs) == 1 && !reflect.DeepEqual(identityOf(rs[0]), want):
					t.Errorf("read %+v from %q; Argo CD reads %+v", identityOf(rs[0]), d.Text, want)
				}
			}
			checkAnnotate(t, data, map[string]*string{
				"argocd.argoproj.io/sync-wave": ptr("3"),
				"argocd.argoproj.io/hook":      nil,
			})
		}()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatalf("took longer than 5s on %q", data)
		}
	})
}
