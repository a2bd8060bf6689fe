package manifest

import (
	// every test package takes the one -update flag (go test ./... -update)
	_ "github.com/syncwave/syncwave/internal/golden"

	"reflect"
	"strings"
	"testing"

	sigsyaml "sigs.k8s.io/yaml"
)

// argoIdentity reads a document the way Argo CD does: sigs.k8s.io/yaml to
// JSON, then apiVersion, kind, metadata.namespace/name/labels/annotations.
// ok is false when the oracle refuses the document.
func argoIdentity(text []byte) (id identity, ok bool) {
	j, err := sigsyaml.YAMLToJSON(text)
	if err != nil {
		return id, false
	}
	v, err := decodeJSONValue(j)
	if err != nil {
		return id, false
	}
	obj, _ := v.(map[string]any)
	if obj == nil {
		return id, false
	}
	r := &Resource{}
	if r.readIdentity(obj) != nil {
		return id, false
	}
	return identityOf(r), true
}

type identity struct {
	APIVersion, Kind, Namespace, Name string
	Labels, Annotations               map[string]string
}

func identityOf(r *Resource) identity {
	return identity{r.APIVersion, r.Kind, r.Namespace, r.Name, r.Labels, r.Annotations}
}

// argoCases are documents on which syncwave used to read something other
// than Argo CD. want is the identity as "Kind ns/name" plus annotations, or
// err a part of the error.
var argoCases = []struct {
	name, in string
	want     string
	ann      map[string]string
	err      string
}{
	{name: "lone CR line break", in: "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\r  namespace: kube-system\n  annotations:\n    x: \"1\"\n", want: "ConfigMap kube-system/a", ann: map[string]string{"x": "1"}},
	{name: "NEL line break", in: "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\u0085  namespace: kube-system\n  annotations:\n    x: \"1\"\n", want: "ConfigMap kube-system/a", ann: map[string]string{"x": "1"}},
	{name: "LS line break", in: "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  annotations:\n    x: \"1\"\u2028  name: a\n", want: "ConfigMap a", ann: map[string]string{"x": "1"}},
	{name: "PS line break", in: "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\u2029  annotations:\n    x: \"1\"\n", want: "ConfigMap a", ann: map[string]string{"x": "1"}},
	{name: "lone CR hides a repeated kind", in: "apiVersion: v1\rkind: Secret\nkind: ConfigMap\nmetadata:\n  name: a\n", want: "ConfigMap a"},
	{name: "NEL hides a repeated name", in: "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: first\u0085  name: last\n", want: "ConfigMap last"},
	{name: "double-quoted scalar at column 0", in: "apiVersion: v1\nkind: ConfigMap\ndata:\n  x: \"a\nmetadata:\n  namespace: kube-system\n  name: b\"\n", want: "ConfigMap "},
	{name: "single-quoted scalar at column 0", in: "apiVersion: v1\nkind: ConfigMap\ndata:\n  x: 'it''s\nmetadata:\n  namespace: kube-system\n  name: b'\n", want: "ConfigMap "},
	{name: "flow collection at column 0", in: "apiVersion: v1\ndata: [a,\nkind: Secret]\nkind: ConfigMap\nmetadata:\n  name: a\n", want: "ConfigMap a"},
	{name: "true as a label key", in: "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  labels:\n    true: x\n", want: "ConfigMap a"},
	{name: "yes as a label key", in: "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  labels:\n    yes: x\n", want: "ConfigMap a"},
	{name: "null as a label key", in: "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  labels:\n    null: x\n", err: "f.yaml:1: invalid YAML: a mapping key is null"},
	{name: "keys that become the same JSON key", in: "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  labels:\n    yes: a\n    \"true\": b\n", err: "both become \"true\" for Argo CD"},
	{name: "0 and 0.0 as keys", in: "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  labels:\n    0: a\n    0.0: b\n", err: "the keys 0 and 0 both become \"0\""},
	{name: "control byte in a quoted name", in: "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: \"a\x01\"\n", err: "invalid YAML"},
	{name: "invalid UTF-8 in a quoted name", in: "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: \"a\xff\"\n", err: "invalid YAML"},
	{name: "duplicate name", in: "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: first\n  name: last\n", want: "ConfigMap last"},
	{name: "duplicate metadata", in: "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: first\nmetadata:\n  name: last\n", want: "ConfigMap last"},
	{name: "duplicate annotations", in: "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  annotations:\n    x: \"1\"\n  annotations:\n    argocd.argoproj.io/sync-wave: \"5\"\n", want: "ConfigMap a", ann: map[string]string{"argocd.argoproj.io/sync-wave": "5"}},
	{name: "merge key in metadata", in: "base: &b\n  name: a\n  annotations:\n    x: \"1\"\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  <<: *b\n  namespace: n1\n", want: "ConfigMap n1/a", ann: map[string]string{"x": "1"}},
	{name: "yes in a name", in: "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: yes\n", err: "metadata.name: expected a string, found bool true"},
	{name: "unquoted yes annotation", in: "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  annotations:\n    argocd.argoproj.io/sync-wave: \"1\"\n    enabled: yes\n", err: "ConfigMap a metadata.annotations.enabled: expected a string, found bool true"},
	{name: "unquoted on annotation", in: "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  annotations: {enabled: on}\n", err: "metadata.annotations.enabled: expected a string, found bool true"},
	{name: "unquoted true annotation", in: "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  annotations:\n    enabled: true\n", err: "metadata.annotations.enabled: expected a string, found bool true"},
}

// TestArgoCDReading: the full and the fast reader read what Argo CD reads,
// and what syncwave writes after changing an annotation still means, to
// Argo CD, the input with that change.
func TestArgoCDReading(t *testing.T) {
	t.Parallel()
	for _, tc := range argoCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			for _, fast := range []bool{false, true} {
				opts := Options{Format: OneDocument, Line: 1}
				if fast {
					opts.Reader = Fast
				}
				rs, err := Decode("f.yaml", []byte(tc.in), opts)
				if tc.err != "" {
					if err == nil || !strings.Contains(err.Error(), tc.err) {
						t.Fatalf("fast %v: error %v, want %q", fast, err, tc.err)
					}
					continue
				}
				if err != nil {
					t.Fatalf("fast %v: %v", fast, err)
				}
				if len(rs) != 1 {
					t.Fatalf("fast %v: %d resources", fast, len(rs))
				}
				r := rs[0]
				if got := r.String(); got != tc.want {
					t.Errorf("fast %v: read %q, want %q", fast, got, tc.want)
				}
				if tc.ann != nil && !reflect.DeepEqual(r.Annotations, tc.ann) {
					t.Errorf("fast %v: annotations %v, want %v", fast, r.Annotations, tc.ann)
				}
				want, ok := argoIdentity([]byte(tc.in))
				if !ok || !reflect.DeepEqual(identityOf(r), want) {
					t.Errorf("fast %v: identity %+v, Argo CD reads %+v (ok %v)", fast, identityOf(r), want, ok)
				}
			}
			checkAnnotate(t, []byte(tc.in), map[string]*string{"argocd.argoproj.io/sync-wave": ptr("-2"), "z": ptr("yes")})
		})
	}
}

// TestReencodeKeepsYAML11: objects encoded afresh (List items, flow-style
// metadata, .json files) keep YAML 1.1 booleans booleans and strings strings
// for a YAML 1.1 reader.
func TestReencodeKeepsYAML11(t *testing.T) {
	t.Parallel()
	for _, in := range []string{
		"apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: a}\n  data: {a: yes, b: on, c: off, d: 'yes', e: y, f: 0777, g: 1:20}\n",
		"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {a: yes, b: on, c: off, d: 'on', e: n}\n",
		"apiVersion: v1\nkind: ConfigMap\nmetadata: &m {name: a}\nspec: {enabled: yes, m: *m}\n",
	} {
		checkAnnotate(t, []byte(in), map[string]*string{"argocd.argoproj.io/sync-wave": ptr("1")})
		rs, err := Decode("f.yaml", []byte(in), Options{})
		if err != nil {
			t.Fatal(err)
		}
		rs[0].SetAnnotation("argocd.argoproj.io/sync-wave", "1")
		b, _ := rs[0].Bytes()
		if strings.Contains(string(b), "a: \"yes\"") || !strings.Contains(string(b), ": true") {
			t.Errorf("yes became a string:\n%s", b)
		}
	}
	rs, err := Decode("f.json", []byte(`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a"},"data":{"a":"yes","b":"on","n":12345678901234567890}}`), Options{Format: OneJSON})
	if err != nil {
		t.Fatal(err)
	}
	rs[0].SetAnnotation("argocd.argoproj.io/sync-wave", "1")
	b, _ := rs[0].Bytes()
	j, _ := sigsyaml.YAMLToJSON(b)
	if !strings.Contains(string(j), `"a":"yes"`) || !strings.Contains(string(j), `"b":"on"`) || !strings.Contains(string(j), "12345678901234567890") {
		t.Errorf(".json re-encoded changed meaning:\n%s\n%s", b, j)
	}
}
