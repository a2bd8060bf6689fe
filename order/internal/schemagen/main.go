// Command schemagen writes order/schema.json, the JSON Schema of
// syncwave.yaml, from the Go types of package order: reflection over the
// yaml/json struct tags gives the properties, their types, nullability and
// required fields; the doc comments of the fields give the descriptions; the
// exported value lists of the vocabulary types (HookTypes, SyncOptionValues,
// DeletePolicyValues) give the enums; annotate's table of dependency
// annotation syntaxes gives the keys of the dependencies block besides
// references (order does not import it). What Go types cannot say (paths that
// must stay inside PATH, DNS-label names, "exactly one of") is in the
// constraint tables below, keyed by type and field.
//
// Run by `go generate ./order`; TestCommittedSchema fails when schema.json
// differs from what this writes.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"reflect"
	"regexp"
	"strings"

	"github.com/syncwave/syncwave/annotate"
	"github.com/syncwave/syncwave/argocd"
	"github.com/syncwave/syncwave/order"
)

func main() {
	out := flag.String("o", "schema.json", "file to write")
	dir := flag.String("src", ".", "directory of package order's sources (for the doc comments)")
	flag.Parse()
	b, err := Generate(*dir, annotate.SyntaxNames())
	if err != nil {
		fmt.Fprintf(os.Stderr, "schemagen: %v\n", err)
		os.Exit(1)
	}
	if err := os.WriteFile(*out, b, 0o644); err != nil {
		fmt.Fprintf(os.Stderr, "schemagen: %v\n", err)
		os.Exit(1)
	}
}

type schema = map[string]any

const dnsLabel = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"

// Reusable definitions named by the field constraints.
var sharedDefs = map[string]schema{
	"relPath": {
		"type":        "string",
		"description": "A path relative to PATH that does not leave it.",
		"not":         schema{"type": "string", "pattern": `^(/|\\|\.\.(/|$))`},
	},
	"glob": {
		"type":        "string",
		"description": "A gobwas glob without separators: * also matches /; {a,b} alternatives.",
	},
	"name": {"type": "string", "maxLength": 63, "pattern": dnsLabel},
}

// typeSchemas: named types whose schema is not their Go kind's.
func typeSchemas() map[reflect.Type]schema {
	policy := "(" + strings.Join(strs(argocd.DeletePolicyValues), "|") + ")"
	return map[reflect.Type]schema{
		reflect.TypeFor[argocd.Hook]():               {"enum": anys(strs(argocd.HookTypes))},
		reflect.TypeFor[order.SyncOption]():          {"enum": anys(strs(order.SyncOptionValues))},
		reflect.TypeFor[order.ExistingAnnotations](): {"enum": anys([]string{string(order.KeepExisting), string(order.OverrideExisting)})},
		reflect.TypeFor[argocd.DeletePolicies](): {
			"type":        "string",
			"description": "Comma-separated: " + strings.Join(strs(argocd.DeletePolicyValues), ", ") + ".",
			"pattern":     "^ *" + policy + " *(, *" + policy + " *)*$",
		},
	}
}

// fieldConstraints: per "Type.jsonName", keywords merged into the field's
// schema ("$ref" replaces it; "items" merges into the items).
var fieldConstraints = map[string]schema{
	"SyncOrder.apiVersion":    {"const": order.APIVersion},
	"SyncOrder.kind":          {"const": order.Kind},
	"DirectorySource.path":    {"$ref": "#/definitions/relPath"},
	"DirectorySource.include": {"$ref": "#/definitions/glob"},
	"DirectorySource.exclude": {"$ref": "#/definitions/glob"},
	"HelmSource.path":         {"$ref": "#/definitions/relPath"},
	"HelmSource.releaseName":  {"maxLength": 53},
	"HelmSource.namespace":    {"maxLength": 63},
	"HelmSource.valueFiles":   {"items": schema{"minLength": 1}},
	"HelmSource.kubeVersion":  {"pattern": `^v?[0-9]+\.[0-9]+(\.[0-9]+)?([-+][0-9A-Za-z.+-]*)?$`},
	"HelmParameter.name":      {"minLength": 1},
	"KustomizeSource.path":    {"$ref": "#/definitions/relPath"},
	"Group.name":              {"$ref": "#/definitions/name"},
	"Group.after":             {"items": schema{"$ref": "#/definitions/name"}},
	"Group.before":            {"items": schema{"$ref": "#/definitions/name"}},
	"Group.syncOptions":       {"uniqueItems": true},
	"Selector.apiVersion":     {"minLength": 1},
	"Selector.kind":           {"pattern": `^[^*?\[{]+$`},
	"Selector.name":           {"$ref": "#/definitions/glob"},
	"Selector.namespace":      {"$ref": "#/definitions/glob"},
	"Selector.path":           {"$ref": "#/definitions/glob"},
}

// optionalFields: tagged without omitempty, yet Decode accepts them absent.
var optionalFields = map[string]bool{"HelmParameter.value": true}

// typeConstraints: keywords merged into a struct type's definition.
var typeConstraints = map[string]schema{
	// exactly one of directory, helm, kustomize
	"Source":   {"minProperties": 1, "maxProperties": 1},
	"Selector": {"minProperties": 1, "not": schema{"required": []any{"apiVersion", "group"}}},
	"Group":    {"dependencies": schema{"hookDeletePolicy": []any{"hook"}}},
}

// Generate returns the schema, indented, with a final newline. syntaxes are
// the names of the dependency annotation syntaxes (annotate.SyntaxNames).
func Generate(srcDir string, syntaxes []string) ([]byte, error) {
	return generate(srcDir, syntaxes, fieldConstraints)
}

// generate is Generate with the given field constraints (a test passes a
// stale one).
func generate(srcDir string, syntaxes []string, constraints map[string]schema) ([]byte, error) {
	docs, err := fieldDocs(srcDir)
	if err != nil {
		return nil, err
	}
	g := &gen{defs: map[string]schema{}, types: typeSchemas(), docs: docs, constraints: constraints, syntaxes: syntaxes}
	for k, v := range sharedDefs {
		g.defs[k] = v
	}
	root := g.structSchema(reflect.TypeFor[order.SyncOrder]())
	root["$schema"] = "http://json-schema.org/draft-07/schema#"
	root["$id"] = "https://syncwave.io/schemas/" + strings.TrimPrefix(order.APIVersion, "syncwave.io/") + "/syncorder.json"
	root["title"] = order.Kind
	root["description"] = "syncwave.yaml: how syncwave renders an application and assigns Argo CD sync phases, waves, hooks and sync options."
	root["definitions"] = g.defs
	for key := range constraints {
		if !g.used[key] {
			return nil, fmt.Errorf("constraint for %s: no such field (renamed or removed?)", key)
		}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(root); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

type gen struct {
	defs  map[string]schema
	types map[reflect.Type]schema
	docs  map[string]string // "Type.Field" (Go names) -> doc comment
	used  map[string]bool
	// constraints: per "Type.jsonName", keywords merged into the field's
	// schema (fieldConstraints).
	constraints map[string]schema
	// syntaxes: the names of the dependency annotation syntaxes, each a
	// key of order.Dependencies in the file (order.SyntaxKey).
	syntaxes []string
}

func defName(t reflect.Type) string {
	n := t.Name()
	return strings.ToLower(n[:1]) + n[1:]
}

// structSchema is the object schema of struct type t: one property per
// exported field with a yaml or json tag, additionalProperties false.
func (g *gen) structSchema(t reflect.Type) schema {
	if g.used == nil {
		g.used = map[string]bool{}
	}
	props := schema{}
	var required []any
	for f := range t.Fields() {
		if !f.IsExported() {
			continue
		}
		name, omitempty := tagName(f)
		if name == "-" || name == "" {
			continue
		}
		key := t.Name() + "." + name
		s := g.typeSchema(f.Type)
		if c, ok := g.constraints[key]; ok {
			g.used[key] = true
			s = merge(s, c)
		}
		if d := g.docs[t.Name()+"."+f.Name]; d != "" {
			s["description"] = d
		}
		if omitempty {
			s = nullable(s)
		} else if !optionalFields[key] {
			required = append(required, name)
		}
		props[name] = s
	}
	if t == reflect.TypeFor[order.Dependencies]() {
		// Dependencies.Syntaxes, written as one optional boolean per syntax
		for _, name := range g.syntaxes {
			props[order.SyntaxKey(name)] = nullable(schema{"type": "boolean"})
		}
	}
	s := schema{"type": "object", "additionalProperties": false, "properties": props}
	if len(required) > 0 {
		s["required"] = required
	}
	for k, v := range typeConstraints[t.Name()] {
		s[k] = v
	}
	return s
}

func tagName(f reflect.StructField) (string, bool) {
	tag, ok := f.Tag.Lookup("json")
	if !ok {
		tag, ok = f.Tag.Lookup("yaml")
	}
	if !ok {
		return "", false
	}
	name, opts, _ := strings.Cut(tag, ",")
	return name, strings.Contains(","+opts+",", ",omitempty,")
}

// typeSchema maps a Go type to a schema; named structs become definitions.
func (g *gen) typeSchema(t reflect.Type) schema {
	if s, ok := g.types[t]; ok {
		return clone(s)
	}
	switch t.Kind() {
	case reflect.Pointer:
		return g.typeSchema(t.Elem())
	case reflect.String:
		return schema{"type": "string"}
	case reflect.Bool:
		return schema{"type": "boolean"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return schema{"type": "integer"}
	case reflect.Float32, reflect.Float64:
		return schema{"type": "number"}
	case reflect.Slice, reflect.Array:
		return schema{"type": "array", "items": g.typeSchema(t.Elem())}
	case reflect.Map:
		if t.Elem().Kind() == reflect.Interface {
			return schema{"type": "object"}
		}
		return schema{"type": "object", "additionalProperties": g.typeSchema(t.Elem())}
	case reflect.Interface:
		return schema{}
	case reflect.Struct:
		name := defName(t)
		if _, ok := g.defs[name]; !ok {
			g.defs[name] = schema{} // placeholder against recursion
			g.defs[name] = g.structSchema(t)
		}
		return schema{"$ref": "#/definitions/" + name}
	}
	panic(fmt.Sprintf("schemagen: no schema for Go type %s", t))
}

// merge applies constraint keywords c onto s.
func merge(s, c schema) schema {
	for k, v := range c {
		switch k {
		case "$ref":
			s = schema{"$ref": v}
		case "items":
			items, _ := s["items"].(schema)
			if cv := v.(schema); cv["$ref"] != nil {
				items = schema{}
			}
			s["items"] = merge(items, v.(schema))
		default:
			s[k] = v
		}
	}
	return s
}

// nullable lets an omitempty field be written as null (`key:` in YAML).
func nullable(s schema) schema {
	switch {
	case s["$ref"] != nil:
		return schema{"anyOf": []any{schema{"$ref": s["$ref"]}, schema{"type": "null"}}}
	case s["enum"] != nil:
		s["enum"] = append(s["enum"].([]any), nil)
	case s["const"] != nil:
	case s["type"] != nil:
		s["type"] = []any{s["type"], "null"}
	}
	return s
}

func clone(s schema) schema {
	c := make(schema, len(s))
	for k, v := range s {
		if e, ok := v.([]any); ok {
			v = append([]any(nil), e...)
		}
		c[k] = v
	}
	return c
}

func strs[S ~string](xs []S) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = string(x)
	}
	return out
}

func anys(xs []string) []any {
	out := make([]any, len(xs))
	for i, x := range xs {
		out[i] = x
	}
	return out
}

var space = regexp.MustCompile(`\s+`)

// fieldDocs reads the doc comments of the struct fields of package order
// from its sources in dir: "Type.Field" -> the comment as one line. A
// comment above several fields on one line describes each.
func fieldDocs(dir string) (map[string]string, error) {
	fset := token.NewFileSet()
	pkgs, err := parser.ParseDir(fset, dir, func(fi os.FileInfo) bool { return !strings.HasSuffix(fi.Name(), "_test.go") }, parser.ParseComments)
	if err != nil {
		return nil, fmt.Errorf("read package order's sources: %w", err)
	}
	pkg, ok := pkgs["order"]
	if !ok {
		return nil, fmt.Errorf("%s: no package order", dir)
	}
	docs := map[string]string{}
	for _, f := range pkg.Files {
		ast.Inspect(f, func(n ast.Node) bool {
			ts, ok := n.(*ast.TypeSpec)
			if !ok {
				return true
			}
			st, ok := ts.Type.(*ast.StructType)
			if !ok {
				return false
			}
			for _, fld := range st.Fields.List {
				if fld.Doc == nil {
					continue
				}
				text := strings.TrimSpace(space.ReplaceAllString(fld.Doc.Text(), " "))
				for _, id := range fld.Names {
					docs[ts.Name.Name+"."+id.Name] = text
				}
			}
			return false
		})
	}
	return docs, nil
}
