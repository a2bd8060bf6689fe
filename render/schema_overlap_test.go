package render

import (
	"context"
	"strings"
	"testing"

	"helm.sh/helm/v4/pkg/chart/common"
)

// The values schema is validated alongside the rendering; these cases pin
// what Helm does when the two interact.
func TestSchemaValidationAlongsideRendering(t *testing.T) {
	const schema = `{"type":"object","required":["needed"],"properties":{"x":{"type":"integer"}}}`
	for name, tc := range map[string]struct {
		files    map[string]string
		err      string // "" for success
		notErr   string
		warnings int
	}{
		// Helm validates before it renders: the schema error, not the template's.
		"schema and template fail": {files: map[string]string{
			"values.schema.json": schema, "values.yaml": "x: 1\n",
			"templates/a.yaml": `{{ fail "template boom" }}`,
		}, err: "values don't meet the specifications of the schema(s) in the following chart(s):\nw:", notErr: "template boom"},
		// A template that changes .Values does not change what was validated.
		"template sets values": {files: map[string]string{
			"values.schema.json": schema, "values.yaml": "needed: yes\nx: 1\n",
			"templates/a.yaml": "{{ $_ := set .Values \"x\" \"not a number\" }}{{ $_ := unset .Values \"needed\" }}apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {x: {{ .Values.x | quote }}}\n",
		}},
		// The rendering's warnings are not given when the values fail.
		"warning then schema failure": {files: map[string]string{
			"values.schema.json": schema, "values.yaml": "x: 1\n",
			"templates/a.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  annotations: {helm.sh/hook: no-such-hook}\n",
		}, err: "missing property 'needed'"},
		"warning and valid values": {files: map[string]string{
			"values.schema.json": schema, "values.yaml": "needed: 1\n",
			"templates/a.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  annotations: {helm.sh/hook: no-such-hook}\n",
		}, warnings: 1},
		"subchart schema": {files: map[string]string{
			"charts/sub/Chart.yaml":         "apiVersion: v2\nname: sub\nversion: 0.1.0\n",
			"charts/sub/values.schema.json": `{"type":"object","properties":{"port":{"type":"integer"}}}`,
			"values.yaml":                   "sub:\n  port: eighty\n",
		}, err: "sub:"},
	} {
		for _, version := range []int{Helm3, Helm4} {
			t.Run(name+"/helm"+string(rune('0'+version)), func(t *testing.T) {
				t.Parallel()

				root := chartW(t, tc.files)
				var warnings []string
				_, err := Helm(context.Background(), root, HelmOptions{Path: ".", ReleaseName: "r", HelmVersion: version}, func(s string) { warnings = append(warnings, s) })
				switch {
				case tc.err == "" && err != nil:
					t.Fatal(err)
				case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
					t.Fatalf("error %v, want %q", err, tc.err)
				case tc.notErr != "" && strings.Contains(err.Error(), tc.notErr):
					t.Fatalf("error %v names %q", err, tc.notErr)
				}
				if len(warnings) != tc.warnings {
					t.Fatalf("warnings %q, want %d", warnings, tc.warnings)
				}
			})
		}
	}
}

func TestCopyValues(t *testing.T) {
	in := common.Values{"a": map[string]any{"b": []any{int64(1), "s", nil, true, 1.5}}, "c": common.Values{"d": "e"}}
	out, ok := copyValues(in)
	if !ok {
		t.Fatal("not copied")
	}
	c := out.(common.Values)
	if _, named := c["c"].(common.Values); !named {
		t.Errorf("a nested named map lost its type: %T", c["c"])
	}
	c["a"].(map[string]any)["b"].([]any)[0] = "changed"
	if in["a"].(map[string]any)["b"].([]any)[0] != int64(1) {
		t.Error("the copy shares a list with the original")
	}
	if _, ok := copyValues(map[string]any{"f": func() {}}); ok {
		t.Error("a function was copied")
	}
}
