package main

import (
	"maps"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/syncwave/syncwave/internal/golden"
)

// TestCommittedSchema: order/schema.json (embedded, printed by `syncwave
// schema`) is what the generator writes from the Go types; with -update it
// is rewritten (as `go generate ./order` does).
func TestCommittedSchema(t *testing.T) {
	t.Parallel()

	got, err := Generate("../..")
	if err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "../../schema.json", got)
}

// TestEveryFieldInSchema: a field added to the Go types appears in the
// schema with its doc comment, without touching the generator.
func TestEveryFieldInSchema(t *testing.T) {
	t.Parallel()

	type Extra struct {
		// Switch turns it on.
		Switch *bool          `yaml:"switch,omitempty" json:"switch,omitempty"`
		Mode   string         `yaml:"mode" json:"mode"`
		Hidden string         `yaml:"-" json:"-"`
		Counts map[string]int `yaml:"counts,omitempty" json:"counts,omitempty"`
	}
	g := &gen{defs: map[string]schema{}, types: typeSchemas(), docs: map[string]string{"Extra.Switch": "Switch turns it on."}, constraints: fieldConstraints}
	s := g.structSchema(reflect.TypeFor[Extra]())
	props := s["properties"].(schema)
	want := schema{
		"switch": schema{"type": []any{"boolean", "null"}, "description": "Switch turns it on."},
		"mode":   schema{"type": "string"},
		"counts": schema{"type": []any{"object", "null"}, "additionalProperties": schema{"type": "integer"}},
	}
	if !reflect.DeepEqual(props, want) {
		t.Errorf("properties %#v\nwant %#v", props, want)
	}
	if !reflect.DeepEqual(s["required"], []any{"mode"}) {
		t.Errorf("required %v", s["required"])
	}
}

func TestGenerateFailsOnStaleConstraint(t *testing.T) {
	t.Parallel()

	stale := maps.Clone(fieldConstraints)
	stale["Group.nosuchfield"] = schema{"minLength": 1}
	if _, err := generate("../..", stale); err == nil || !strings.Contains(err.Error(), "Group.nosuchfield") {
		t.Errorf("err = %v", err)
	}
}

func TestMissingSources(t *testing.T) {
	t.Parallel()

	if _, err := Generate(os.TempDir() + "/no-such-dir-schemagen"); err == nil {
		t.Error("no error for a missing source directory")
	}
}
