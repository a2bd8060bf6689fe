package render

import (
	"errors"
	"testing"
)

func TestCheckSchemaRefs(t *testing.T) {
	for _, tc := range []struct {
		schema string
		bad    string // "" when accepted, else the member refused
	}{
		{schema: ``},
		{schema: `not json`},
		{schema: `{"$schema": "http://json-schema.org/draft-07/schema#", "type": "object"}`},
		{schema: `{"$schema": "https://json-schema.org/draft/2020-12/schema", "$defs": {"a": {"type": "string"}}, "properties": {"x": {"$ref": "#/$defs/a"}}}`},
		{schema: `{"$id": "https://example.com/s.json", "properties": {"x": {"$ref": "https://example.com/s.json#/$defs/a"}}, "$defs": {"a": {}}}`},
		{schema: `{"properties": {"$ref": {"type": "string"}}}`},
		{schema: `{"$ref": "http://127.0.0.1:8080/x.json"}`, bad: `$ref "http://127.0.0.1:8080/x.json" at /$ref`},
		{schema: `{"properties": {"a": {"items": [{"$ref": "file:///etc/passwd"}]}}}`, bad: `$ref "file:///etc/passwd" at /properties/a/items/0/$ref`},
		{schema: `{"properties": {"a": {"$ref": "other.json#/x"}}}`, bad: `$ref "other.json#/x" at /properties/a/$ref`},
		{schema: `{"$dynamicRef": "https://169.254.169.254/latest"}`, bad: `$dynamicRef "https://169.254.169.254/latest"`},
		{schema: `{"$schema": "http://127.0.0.1/meta.json"}`, bad: `$schema "http://127.0.0.1/meta.json"`},
		{schema: `{"$schema": "file:///etc/hostname"}`, bad: `$schema "file:///etc/hostname"`},
	} {
		err := checkSchemaRefs("c/values.schema.json", []byte(tc.schema))
		switch {
		case tc.bad == "" && err != nil:
			t.Errorf("%s: %v", tc.schema, err)
		case tc.bad != "" && (err == nil || !errors.Is(err, ErrSchemaRef)):
			t.Errorf("%s: %v, want %s", tc.schema, err, tc.bad)
		case tc.bad != "" && err.Error()[:len("c/values.schema.json: ")+len(tc.bad)] != "c/values.schema.json: "+tc.bad:
			t.Errorf("%s: %v, want %s", tc.schema, err, tc.bad)
		}
	}
}
