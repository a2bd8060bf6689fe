package plugin

import (
	"encoding/json"
	"reflect"
	"testing"
)

// FuzzParseParameters: ARGOCD_APP_PARAMETERS comes from tenants' Application
// specs. The parser must never panic; what it accepts must be known
// parameters of the table's collection, and must survive a round trip
// through Argo CD's own JSON form.
func FuzzParseParameters(f *testing.F) {
	for _, s := range []string{
		`null`, `[]`, `{}`, `[{"name":"order","string":"x"}]`,
		`[{"array":["a.yaml",""],"name":"values-files"},{"map":{"image.tag":"v1"},"name":"helm-parameters"}]`,
		`[{"name":"values-files","string":"a"}]`, `[{"name":"x"}]`, `[1, "a", null]`,
		`[{"name":"allow-empty","string":"true","array":[],"map":{}}]`, `[{"name":"order","string":"a"},{"name":"order"}]`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := ParseParameters(data)
		if err != nil {
			return
		}
		var list []map[string]any
		for name, v := range got {
			p, ok := Lookup(name)
			if !ok {
				t.Fatalf("accepted unknown parameter %q", name)
			}
			e := map[string]any{"name": name}
			switch p.Collection {
			case String:
				if v.Array != nil || v.Map != nil {
					t.Fatalf("%s: string parameter with %+v", name, v)
				}
				e["string"] = v.String
			case Array:
				if v.String != "" || v.Map != nil {
					t.Fatalf("%s: array parameter with %+v", name, v)
				}
				for _, s := range v.Array {
					if s == "" {
						t.Fatalf("%s: empty array element kept", name)
					}
				}
				e["array"] = v.Array
			case Map:
				if v.String != "" || v.Array != nil {
					t.Fatalf("%s: map parameter with %+v", name, v)
				}
				e["map"] = v.Map
			}
			list = append(list, e)
		}
		b, err := json.Marshal(list)
		if err != nil {
			t.Fatal(err)
		}
		again, err := ParseParameters(b)
		if err != nil {
			t.Fatalf("round trip of %s: %v", b, err)
		}
		for name, v := range got {
			w := again[name]
			if v.empty(mustLookup(name).Collection) && w.empty(mustLookup(name).Collection) {
				continue
			}
			if !reflect.DeepEqual(v, w) {
				t.Fatalf("round trip of %s: %+v became %+v", name, v, w)
			}
		}
	})
}

func mustLookup(name string) Parameter {
	p, _ := Lookup(name)
	return p
}

// FuzzFlattenValues: values files come from tenants' repositories.
func FuzzFlattenValues(f *testing.F) {
	for _, s := range []string{"a: 1\nb: {c: [1, {d: x}]}\n", "a: &x {b: 1}\nc: *x\nd:\n  <<: *x\n  e: 2\n", "- 1\n", "~", "a: [[], {}]"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		_ = FlattenValues(data, map[string]string{})
	})
}
