package order

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"sigs.k8s.io/yaml"
)

func compileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(Schema()))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft7)
	if err := c.AddResource("syncorder.json", doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("syncorder.json")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func validateYAML(s *jsonschema.Schema, data []byte) error {
	j, err := yaml.YAMLToJSON(data)
	if err != nil {
		return err
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(j))
	if err != nil {
		return err
	}
	return s.Validate(v)
}

// schemaInvalid are the error cases the schema alone must reject too (the
// others need names, globs or the graph).
var schemaInvalid = []string{"unknown-field", "wrong-types", "wrong-kind", "no-apiversion", "vocabulary", "names", "sources"}

func TestSchema(t *testing.T) {
	if !json.Valid(Schema()) {
		t.Fatal("schema.json is not JSON")
	}
	s := compileSchema(t)
	files, _ := filepath.Glob("testdata/*/syncwave.yaml")
	valid := 0
	for _, f := range files {
		dir := filepath.Dir(f)
		if _, err := os.Stat(filepath.Join(dir, "waves.txt")); err != nil {
			continue
		}
		valid++
		data, _ := os.ReadFile(f)
		if err := validateYAML(s, data); err != nil {
			t.Errorf("%s: valid for Decode but not for the schema: %v", dir, err)
		}
	}
	if valid == 0 {
		t.Error("no valid cases")
	}
	for _, c := range schemaInvalid {
		data, err := os.ReadFile(filepath.Join("testdata", c, "syncwave.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		if err := validateYAML(s, data); err == nil {
			t.Errorf("%s: the schema accepts it", c)
		}
	}
	for _, in := range []string{
		"groups: [{name: a, select: [{}]}]",
		"groups: [{name: a, select: [{apiVersion: v1, group: ''}]}]",
		"groups: [{name: a, hookDeletePolicy: HookSucceeded}]",
		"groups: [{name: a, syncOptions: [CreateNamespace=true]}]",
		"sources: [{directory: {}, helm: {}}]",
		"sources: [{kustomize: {path: ../x}}]",
	} {
		if err := validateYAML(s, []byte("apiVersion: syncwave.io/v1alpha1\nkind: SyncOrder\n"+in)); err == nil {
			t.Errorf("the schema accepts %s", in)
		} else if !strings.Contains(err.Error(), "jsonschema") {
			t.Logf("%s: %v", in, err)
		}
	}
}
