package lint

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// sarifSchema compiles the published SARIF 2.1.0 schema
// (testdata/sarif-schema-2.1.0.json, see testdata/README.md).
func sarifSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	f, err := os.Open("testdata/sarif-schema-2.1.0.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource(SARIFSchema, doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile(SARIFSchema)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func sarifFindings() []Finding {
	return []Finding{
		{Rule: "gate-without-health", Severity: Warning, Resource: "Application argocd/edge", Source: "apps/edge.yaml:3", Reason: "wave 1 starts at once", Fix: "add the health check"},
		{Rule: "reference-planned-later", Severity: Error, Resource: "Deployment shop/api", Source: "chart/templates/api.yaml", Reason: "its ServiceAccount comes later.", Fix: "order it"},
		{Rule: "wave-cost", Severity: Info, Reason: "3 waves cost at least 6s", Fix: ""},
	}
}

func TestSARIFValidates(t *testing.T) {
	s := sarifSchema(t)
	for name, fs := range map[string][]Finding{"findings": sarifFindings(), "none": nil} {
		var b bytes.Buffer
		locate := func(src string) (Location, bool) {
			if strings.HasPrefix(src, "apps/edge.yaml") {
				return Location{URI: "deploy/apps/edge.yaml", Line: 3}, true
			}
			if strings.HasPrefix(src, "chart/") {
				return Location{URI: "deploy/templates/api.yaml"}, true
			}
			return Location{}, false
		}
		if err := WriteSARIF(&b, fs, "1.2.3", locate); err != nil {
			t.Fatal(err)
		}
		v, err := jsonschema.UnmarshalJSON(bytes.NewReader(b.Bytes()))
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Validate(v); err != nil {
			t.Errorf("%s: %v\n%s", name, err, b.String())
		}
	}
}

// TestSARIFSchemaRejects: the schema is really applied (a log with a
// level SARIF does not know fails).
func TestSARIFSchemaRejects(t *testing.T) {
	s := sarifSchema(t)
	var b bytes.Buffer
	if err := WriteSARIF(&b, sarifFindings(), "1", nil); err != nil {
		t.Fatal(err)
	}
	bad := strings.Replace(b.String(), `"level": "note"`, `"level": "info"`, 1)
	v, err := jsonschema.UnmarshalJSON(strings.NewReader(bad))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Validate(v); err == nil {
		t.Error("a result with level info validated")
	}
}

func TestSARIFContent(t *testing.T) {
	var b bytes.Buffer
	locate := func(src string) (Location, bool) {
		if src == "apps/edge.yaml:3" {
			return Location{URI: "deploy/apps/edge.yaml", Line: 3}, true
		}
		return Location{}, false
	}
	if err := WriteSARIF(&b, sarifFindings(), "1.2.3", locate); err != nil {
		t.Fatal(err)
	}
	var log struct {
		Runs []struct {
			Tool struct {
				Driver struct {
					Name  string
					Rules []struct{ ID string }
				}
			}
			Results []struct {
				RuleID    string
				RuleIndex int
				Level     string
				Message   struct{ Text string }
				Locations []struct {
					PhysicalLocation *struct {
						ArtifactLocation struct{ URI string }
						Region           *struct{ StartLine int }
					}
					LogicalLocations []struct{ Name, Kind string }
				}
			}
		}
	}
	if err := json.Unmarshal(b.Bytes(), &log); err != nil {
		t.Fatal(err)
	}
	run := log.Runs[0]
	if run.Tool.Driver.Name != "syncwave" || len(run.Results) != 3 {
		t.Fatalf("%s", b.String())
	}
	for _, r := range run.Results {
		if run.Tool.Driver.Rules[r.RuleIndex].ID != r.RuleID {
			t.Errorf("ruleIndex %d is %s, not %s", r.RuleIndex, run.Tool.Driver.Rules[r.RuleIndex].ID, r.RuleID)
		}
	}
	r0 := run.Results[0]
	if r0.Level != "warning" || r0.Message.Text != "wave 1 starts at once. Fix: add the health check" ||
		r0.Locations[0].PhysicalLocation == nil || r0.Locations[0].PhysicalLocation.ArtifactLocation.URI != "deploy/apps/edge.yaml" ||
		r0.Locations[0].PhysicalLocation.Region.StartLine != 3 || r0.Locations[0].LogicalLocations[0].Name != "Application argocd/edge" {
		t.Errorf("first result: %+v", r0)
	}
	if run.Results[1].Level != "error" || run.Results[1].Locations[0].PhysicalLocation != nil {
		t.Errorf("second result: %+v", run.Results[1])
	}
	if run.Results[2].Level != "note" || run.Results[2].Locations[0].LogicalLocations[0].Kind != "module" {
		t.Errorf("third result: %+v", run.Results[2])
	}
}
