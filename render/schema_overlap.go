package render

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime/debug"

	chartutil "helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v4/pkg/chart/common"

	"github.com/syncwave/syncwave/manifest"
)

// Helm validates the values against the charts' values.schema.json before
// it renders, and compiling a schema can cost more than rendering the chart
// (47% of rendering cert-manager, whose schema is large). The validation
// only reads the values and the schemas, so syncwave runs it on a copy of
// the values, alongside the rendering, on one more goroutine. The result
// is Helm's: a validation error wins over anything the rendering did (Helm
// would not have rendered), and the rendering's warnings are given only
// when the validation passed.

// chartRender is a chart with its values coalesced, as either Helm
// version hands it over: what run turns into the release's resources.
type chartRender struct {
	name     string
	values   any                               // .Values
	validate func(map[string]any) error        // the version's ValidateAgainstSchema
	engine   func() (map[string]string, error) // the version's engine
	crds     []renderedFile                    // crds/, which the engine does not see
	mode     releaseMode
	reader   manifest.Reader // how the rendered documents are read (HelmOptions.reader)
}

// run renders: the engine on this goroutine, the crds/ decoding and the
// schema validation alongside it.
func (r chartRender) run(ctx context.Context, warn func(string)) ([]*manifest.Resource, error) {
	crds := decodeAsync(r.crds, r.reader)
	return renderValidated(r.name, r.values, r.validate, func(warn func(string)) ([]*manifest.Resource, error) {
		files, err := r.engine()
		if err != nil {
			return nil, fmt.Errorf("chart %s: %w", r.name, err)
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		return releaseResources(r.name, crds, files, r.mode, r.reader, warn)
	}, warn)
}

// schemaErrorFormat is how Helm's ToRenderValuesWithSchemaValidation words
// a validation failure (the same in Helm 3 and 4).
const schemaErrorFormat = "values don't meet the specifications of the schema(s) in the following chart(s):\n%s"

// renderValidated validates values with validate (the Helm version's
// ValidateAgainstSchema) and renders with render: alongside each other when
// the values can be copied, else one after the other, as Helm does. The
// validation error wins, worded as Helm words it, and render's warnings
// are given only when the validation passed.
func renderValidated(name string, values any, validate func(map[string]any) error, render func(warn func(string)) ([]*manifest.Resource, error), warn func(string)) ([]*manifest.Resource, error) {
	check := func(v any) error {
		var err error
		switch m := v.(type) {
		case map[string]any:
			err = validate(m)
		case common.Values:
			err = validate(m)
		case chartutil.Values:
			err = validate(m)
		default:
			err = fmt.Errorf("values of type %T", v)
		}
		if err != nil {
			return fmt.Errorf("chart %s: values: %w", name, fmt.Errorf(schemaErrorFormat, err.Error()))
		}
		return nil
	}
	vcopy, ok := copyValues(values)
	if !ok {
		if err := check(values); err != nil {
			return nil, err
		}
		return render(warn)
	}
	done := make(chan error, 1)
	go func() {
		defer func() {
			if r := recover(); r != nil {
				done <- fmt.Errorf("chart %s: internal error validating the values: %v\n%s", name, r, debug.Stack())
			}
		}()
		done <- check(vcopy)
	}()
	var held []string
	out, err := render(func(s string) { held = append(held, s) })
	if verr := <-done; verr != nil {
		return nil, verr
	}
	for _, s := range held {
		warn(s)
	}
	return out, err
}

// copyValues deep-copies Helm values (maps, lists and scalars as YAML,
// JSON and --set produce them), keeping every map's own type (Helm's
// validation treats a map[string]any and a named Values map differently),
// so that templates which change .Values while rendering (sprig's set,
// unset, merge) cannot race with or change what the validation reads. ok
// is false for a type it does not know; the caller then validates before
// rendering, as Helm does.
func copyValues(v any) (any, bool) {
	switch t := v.(type) {
	case map[string]any:
		return copyMap(t)
	case common.Values:
		m, ok := copyMap(t)
		return common.Values(m), ok
	case chartutil.Values:
		m, ok := copyMap(t)
		return chartutil.Values(m), ok
	case []any:
		l := make([]any, len(t))
		for i, e := range t {
			c, ok := copyValues(e)
			if !ok {
				return nil, false
			}
			l[i] = c
		}
		return l, true
	case nil, string, bool, int, int64, int32, uint64, float64, float32, json.Number:
		return t, true
	}
	return nil, false
}

func copyMap(t map[string]any) (map[string]any, bool) {
	m := make(map[string]any, len(t))
	for k, e := range t {
		c, ok := copyValues(e)
		if !ok {
			return nil, false
		}
		m[k] = c
	}
	return m, true
}
