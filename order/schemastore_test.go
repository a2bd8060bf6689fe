package order

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/gobwas/glob"
)

// TestSchemaStore: the SchemaStore material under schemastore/ is in
// order: the catalog entry has SchemaStore's fields, its fileMatch matches
// the default ordering file and its url serves this schema; every
// positive test file validates and decodes, every negative one fails the
// schema.
func TestSchemaStore(t *testing.T) {
	data, err := os.ReadFile("schemastore/catalog-entry.json")
	if err != nil {
		t.Fatal(err)
	}
	var entry map[string]any
	if err := json.Unmarshal(data, &entry); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"name", "description", "fileMatch", "url"} {
		if _, ok := entry[k]; !ok {
			t.Errorf("catalog entry lacks %s", k)
		}
	}
	if len(entry) != 4 {
		t.Errorf("catalog entry has %d fields, want name, description, fileMatch, url", len(entry))
	}
	matched := false
	for _, m := range entry["fileMatch"].([]any) {
		g := glob.MustCompile(m.(string), '/')
		for _, p := range []string{"syncwave.yaml", "apps/shop/syncwave.yaml"} {
			if g.Match(filepath.Base(p)) {
				matched = true
			}
		}
	}
	if !matched {
		t.Error("fileMatch does not match syncwave.yaml")
	}
	if u := entry["url"].(string); filepath.Base(u) != "schema.json" || filepath.Base(filepath.Dir(u)) != "order" {
		t.Errorf("url %s does not serve order/schema.json", u)
	}
	var root map[string]any
	if err := json.Unmarshal(Schema(), &root); err != nil {
		t.Fatal(err)
	}
	if root["$schema"] != "http://json-schema.org/draft-07/schema#" {
		t.Errorf("schema draft %v, want draft-07 (SchemaStore's default)", root["$schema"])
	}

	// The schema's keys for the dependency annotation syntaxes (annotate's
	// table, which order does not import) serve as their names: SyntaxKey
	// leaves a name without "-" as it is.
	var syntaxes []string
	deps := root["definitions"].(map[string]any)["dependencies"].(map[string]any)["properties"].(map[string]any)
	for key := range deps {
		if key != "references" {
			syntaxes = append(syntaxes, key)
		}
	}
	if len(syntaxes) == 0 {
		t.Fatal("the schema's dependencies block has no syntax")
	}
	s := compileSchema(t)
	pos, _ := filepath.Glob("schemastore/test/syncwave/*.yaml")
	neg, _ := filepath.Glob("schemastore/negative_test/syncwave/*.yaml")
	if len(pos) < 3 || len(neg) < 5 {
		t.Fatalf("%d positive, %d negative test files", len(pos), len(neg))
	}
	for _, f := range pos {
		data, _ := os.ReadFile(f)
		if err := validateYAML(s, data); err != nil {
			t.Errorf("%s: %v", f, err)
		}
		if _, err := Decode(f, data, syntaxes); err != nil {
			t.Errorf("%s: the schema accepts it but Decode does not: %v", f, err)
		}
	}
	for _, f := range neg {
		data, _ := os.ReadFile(f)
		if err := validateYAML(s, data); err == nil {
			t.Errorf("%s: the schema accepts it", f)
		}
		if _, err := Decode(f, data, syntaxes); err == nil {
			t.Errorf("%s: Decode accepts it", f)
		}
	}
}
