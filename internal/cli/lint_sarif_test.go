package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/syncwave/syncwave/lint"
)

// TestLintSARIF: lint -o sarif on examples validates against the published
// SARIF 2.1.0 schema, every physical location names a file that exists
// (relative to the repository root) and the exit code is lint's.
func TestLintSARIF(t *testing.T) {
	f, err := os.Open("../../lint/testdata/sarif-schema-2.1.0.json")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource(lint.SARIFSchema, doc); err != nil {
		t.Fatal(err)
	}
	schema, err := c.Compile(lint.SARIFSchema)
	if err != nil {
		t.Fatal(err)
	}
	root, _ := filepath.Abs("../..")
	located := 0
	for _, ex := range []string{"examples/app-of-apps", "examples/chart-with-hooks", "examples/inferred-dependencies"} {
		t.Run(filepath.Base(ex), func(t *testing.T) {
			_, tableErr, tableCode := run(t, root, "lint", ex)
			out, errOut, code := run(t, root, "lint", "-o", "sarif", ex)
			if code != tableCode {
				t.Errorf("exit %d, table exit %d: %s %s", code, tableCode, errOut, tableErr)
			}
			v, err := jsonschema.UnmarshalJSON(bytes.NewReader([]byte(out)))
			if err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			if err := schema.Validate(v); err != nil {
				t.Fatal(err)
			}
			var log struct {
				Runs []struct {
					Results []struct {
						Locations []struct {
							PhysicalLocation *struct{ ArtifactLocation struct{ URI string } }
						}
					}
				}
			}
			if err := json.Unmarshal([]byte(out), &log); err != nil {
				t.Fatal(err)
			}
			for _, r := range log.Runs[0].Results {
				if p := r.Locations[0].PhysicalLocation; p != nil {
					located++
					if _, err := os.Stat(filepath.Join(root, p.ArtifactLocation.URI)); err != nil {
						t.Errorf("location %s: %v", p.ArtifactLocation.URI, err)
					}
				}
			}
		})
	}
	if located == 0 {
		t.Error("no result has a file location")
	}
}
