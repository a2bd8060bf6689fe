package lint

import (
	"encoding/json"
	"io"
	"sort"
	"strings"
)

// SARIFSchema is the JSON schema of SARIF 2.1.0 (OASIS, errata 01), named
// in the log's $schema.
const SARIFSchema = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"

// RuleDocs are the rules lint reports, with the sentence that describes
// each (SARIF's rule metadata, shown by code scanning next to a result).
var RuleDocs = map[string]string{
	"gate-without-health":     "A wave gates the next one, but none of its resources has a health check Argo CD waits on.",
	"reference-planned-later": "A workload or hook references a ServiceAccount, ConfigMap, Secret, claim or role that the plan applies later.",
	"hook-identity":           "A hook runs before an object it needs (its ServiceAccount and the role behind it, a ConfigMap, Secret or claim) is created.",
	"named-hook-runs-once":    "A hook with a fixed name and no delete policy that removes it runs only on the first sync.",
	"crd-after-cr":            "A custom resource is planned before its CustomResourceDefinition.",
	"cr-without-crd":          "A custom resource's definition is neither in the output nor served by the cluster.",
	"wave-cost":               "What the waves of the plan cost in time.",
}

// Location is where a finding's resource is in the repository.
type Location struct {
	// URI is the file, relative to the repository root, slash separated.
	URI string
	// Line is the line where the resource starts (0: unknown).
	Line int
}

type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool    sarifTool     `json:"tool"`
	Results []sarifResult `json:"results"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	Version        string      `json:"version,omitempty"`
	InformationURI string      `json:"informationUri"`
	Rules          []sarifRule `json:"rules"`
}

type sarifRule struct {
	ID               string       `json:"id"`
	ShortDescription sarifMessage `json:"shortDescription"`
	DefaultConfig    *sarifConfig `json:"defaultConfiguration,omitempty"`
}

type sarifConfig struct {
	Level string `json:"level"`
}

type sarifMessage struct {
	Text string `json:"text"`
}

type sarifResult struct {
	RuleID    string          `json:"ruleId"`
	RuleIndex int             `json:"ruleIndex"`
	Level     string          `json:"level"`
	Message   sarifMessage    `json:"message"`
	Locations []sarifLocation `json:"locations"`
}

type sarifLocation struct {
	Physical *sarifPhysical `json:"physicalLocation,omitempty"`
	Logical  []sarifLogical `json:"logicalLocations,omitempty"`
}

type sarifPhysical struct {
	Artifact sarifArtifact `json:"artifactLocation"`
	Region   *sarifRegion  `json:"region,omitempty"`
}

type sarifArtifact struct {
	URI string `json:"uri"`
}

type sarifRegion struct {
	StartLine int `json:"startLine"`
}

type sarifLogical struct {
	Name string `json:"name"`
	Kind string `json:"kind"`
}

// level is SARIF's name of a severity.
func (s Severity) level() string {
	switch s {
	case Error:
		return "error"
	case Warning:
		return "warning"
	}
	return "note"
}

// WriteSARIF writes the findings as one SARIF 2.1.0 log for code scanning:
// one run of the tool syncwave (version), its rules, and a result per
// finding with its rule id, level, message (the reason, then the fix) and
// location: the file and line locate returns for the finding's source
// (nil, or false: none known), and the resource as a logical location.
func WriteSARIF(w io.Writer, fs []Finding, version string, locate func(source string) (Location, bool)) error {
	ids := map[string]bool{}
	for _, f := range fs {
		ids[f.Rule] = true
	}
	for id := range RuleDocs {
		ids[id] = true
	}
	var sorted []string
	for id := range ids {
		sorted = append(sorted, id)
	}
	sort.Strings(sorted)
	index := map[string]int{}
	drv := sarifDriver{Name: "syncwave", Version: version, InformationURI: "https://github.com/syncwave/syncwave", Rules: []sarifRule{}}
	for i, id := range sorted {
		index[id] = i
		var level *sarifConfig // the schema's default (warning) when unseen
		for _, f := range fs {
			if f.Rule == id {
				level = &sarifConfig{f.Severity.level()}
				break
			}
		}
		doc := RuleDocs[id]
		if doc == "" {
			doc = id
		}
		drv.Rules = append(drv.Rules, sarifRule{ID: id, ShortDescription: sarifMessage{doc}, DefaultConfig: level})
	}
	run := sarifRun{Tool: sarifTool{drv}, Results: []sarifResult{}}
	for _, f := range fs {
		msg := f.Reason
		if f.Fix != "" {
			if !strings.HasSuffix(msg, ".") {
				msg += "."
			}
			msg += " Fix: " + f.Fix
		}
		loc := sarifLocation{}
		if locate != nil && f.Source != "" {
			if l, ok := locate(f.Source); ok && l.URI != "" {
				loc.Physical = &sarifPhysical{Artifact: sarifArtifact{l.URI}}
				if l.Line > 0 {
					loc.Physical.Region = &sarifRegion{l.Line}
				}
			}
		}
		name := f.Resource
		kind := "resource"
		if name == "" {
			name, kind = "application", "module"
		}
		loc.Logical = []sarifLogical{{Name: name, Kind: kind}}
		run.Results = append(run.Results, sarifResult{
			RuleID: f.Rule, RuleIndex: index[f.Rule], Level: f.Severity.level(),
			Message: sarifMessage{msg}, Locations: []sarifLocation{loc},
		})
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(sarifLog{Schema: SARIFSchema, Version: "2.1.0", Runs: []sarifRun{run}})
}
