package render

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"helm.sh/helm/v3/pkg/chart"
	chart4 "helm.sh/helm/v4/pkg/chart/v2"

	"github.com/syncwave/syncwave/internal/sealproof"
)

// ErrSchemaRef is returned for a values.schema.json that refers to another
// document: Helm's schema loader fetches http(s) references with a client
// of its own and reads file:// references anywhere on the machine.
var ErrSchemaRef = errors.New("refers outside the schema (syncwave renders from the repository alone: put the referenced definitions into the schema, under $defs)")

// checkSchemaRefs refuses a chart's values.schema.json (file names it in
// messages) whose $ref, $dynamicRef or $recursiveRef names another document
// than itself (a URL, or a relative path Helm resolves against
// file:///values.schema.json), or whose $schema is not a meta-schema the
// validator knows without loading it. A reference to an $id of the same
// document is its own. A schema that is not JSON is left to Helm's error.
// It runs before Helm compiles the schema; the kernel seal is the second
// line (a sealed process can neither connect nor open a file outside the
// repository).
func checkSchemaRefs(file string, data []byte) error {
	if len(data) == 0 || sealproof.Enabled {
		return nil
	}
	var doc any
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil
	}
	ids := map[string]bool{}
	walkSchema(doc, "", func(ptr, key, val string) error {
		if key == "$id" || key == "id" {
			ids[strings.TrimSuffix(val, "#")] = true
		}
		return nil
	})
	return walkSchema(doc, "", func(ptr, key, val string) error {
		switch key {
		case "$ref", "$dynamicRef", "$recursiveRef":
			doc, _, _ := strings.Cut(val, "#")
			if doc == "" || ids[doc] {
				return nil
			}
		case "$schema":
			if knownMetaSchema(val) {
				return nil
			}
		default:
			return nil
		}
		return fmt.Errorf("%s: %s %q at %s: %w", file, key, val, ptr+"/"+key, ErrSchemaRef)
	})
}

// walkSchema calls f for every string member of every object, in a fixed
// order, with the JSON pointer of the object; the first error stops it.
func walkSchema(v any, ptr string, f func(ptr, key, val string) error) error {
	switch t := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if s, ok := t[k].(string); ok {
				if err := f(ptr, k, s); err != nil {
					return err
				}
				continue
			}
			esc := strings.NewReplacer("~", "~0", "/", "~1").Replace(k)
			if err := walkSchema(t[k], ptr+"/"+esc, f); err != nil {
				return err
			}
		}
	case []any:
		for i, e := range t {
			if err := walkSchema(e, fmt.Sprintf("%s/%d", ptr, i), f); err != nil {
				return err
			}
		}
	}
	return nil
}

// knownMetaSchema reports whether the JSON-schema validator Helm uses
// (santhosh-tekuri/jsonschema v6) knows the $schema URL without loading
// it: drafts 4, 6, 7, 2019-09 and 2020-12, over http or https, with an
// empty fragment at most.
func knownMetaSchema(u string) bool {
	u = strings.TrimSuffix(u, "#")
	if s, ok := strings.CutPrefix(u, "http://"); ok {
		u = s
	} else if s, ok := strings.CutPrefix(u, "https://"); ok {
		u = s
	} else {
		return false
	}
	switch u {
	case "json-schema.org/schema", "json-schema.org/draft/2020-12/schema", "json-schema.org/draft/2019-09/schema",
		"json-schema.org/draft-07/schema", "json-schema.org/draft-06/schema", "json-schema.org/draft-04/schema":
		return true
	}
	return false
}

// checkSchemas3 checks the schema of a Helm 3 chart and of every
// dependency left after ProcessDependencies (those Helm validates).
func checkSchemas3(c *chart.Chart) error {
	if err := checkSchemaRefs(c.ChartFullPath()+"/values.schema.json", c.Schema); err != nil {
		return err
	}
	for _, d := range c.Dependencies() {
		if err := checkSchemas3(d); err != nil {
			return err
		}
	}
	return nil
}

// checkSchemas4 is checkSchemas3 for a Helm 4 chart.
func checkSchemas4(c *chart4.Chart) error {
	if err := checkSchemaRefs(c.ChartFullPath()+"/values.schema.json", c.Schema); err != nil {
		return err
	}
	for _, d := range c.Dependencies() {
		if err := checkSchemas4(d); err != nil {
			return err
		}
	}
	return nil
}
