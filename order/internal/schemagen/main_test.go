package main

import (
	"maps"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/syncwave/syncwave/annotate"
	"github.com/syncwave/syncwave/internal/golden"
	"github.com/syncwave/syncwave/order"
)

// TestCommittedSchema: order/schema.json (embedded, printed by `syncwave
// schema`) is what the generator writes from the Go types; with -update it
// is rewritten (as `go generate ./order` does).
func TestCommittedSchema(t *testing.T) {
	t.Parallel()

	got, err := Generate("../..", annotate.SyntaxNames())
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
	if _, err := generate("../..", nil, stale); err == nil || !strings.Contains(err.Error(), "Group.nosuchfield") {
		t.Errorf("err = %v", err)
	}
}

func TestMissingSources(t *testing.T) {
	t.Parallel()

	if _, err := Generate(os.TempDir()+"/no-such-dir-schemagen", nil); err == nil {
		t.Error("no error for a missing source directory")
	}
}

// TestSyntaxesInSchema: the dependencies block has one optional boolean
// per syntax it is given, under the syntax's key, beside references; a
// fourth syntax needs no edit here or in order.
func TestSyntaxesInSchema(t *testing.T) {
	t.Parallel()

	names := append(annotate.SyntaxNames(), "argo-rollouts")
	g := &gen{defs: map[string]schema{}, types: typeSchemas(), docs: map[string]string{}, constraints: fieldConstraints, syntaxes: names}
	props := g.structSchema(reflect.TypeFor[order.Dependencies]())["properties"].(schema)
	var keys []string
	for k := range props {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	want := []string{"argoRollouts", "references"}
	for _, n := range annotate.SyntaxNames() {
		want = append(want, order.SyntaxKey(n))
	}
	slices.Sort(want)
	if !slices.Equal(keys, want) {
		t.Fatalf("dependencies keys %q, want %q", keys, want)
	}
	if !reflect.DeepEqual(props["argoRollouts"], schema{"type": []any{"boolean", "null"}}) {
		t.Errorf("argoRollouts: %#v", props["argoRollouts"])
	}
}
