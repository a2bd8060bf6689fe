package plugin

import (
	"sort"
	"strings"

	"github.com/syncwave/syncwave/pipeline"
	"github.com/syncwave/syncwave/render"
)

// PipelineOptions turns the inputs into the options of the one pipeline
// that `syncwave render` also runs. The ordering file then fills what the
// inputs leave unset; Argo CD's environment (application name, namespace,
// Kubernetes version and API versions) only provides defaults that a helm
// entry of the ordering file wins over.
func (in Inputs) PipelineOptions() pipeline.Options {
	var allowEmpty *bool
	if in.AllowEmptySet {
		allowEmpty = &in.AllowEmpty
	}
	return pipeline.Options{
		Path:         in.AppDir,
		RepoRoot:     in.RepoRoot,
		OrderFile:    in.OrderFile,
		Order:        in.Order,
		AllowEmpty:   allowEmpty,
		Dependencies: in.Dependencies,
		HelmInputs: render.HelmInputs{
			ValueFiles:  in.ValueFiles,
			Values:      in.Values,
			Set:         in.SetArgs(),
			ReleaseName: in.ReleaseName,
			AppName:     in.AppName,
			Namespace:   in.Namespace,
			KubeVersion: in.KubeVersion,
			APIVersions: in.APIVersions,
			HelmVersion: in.HelmVersion,
		},
		ArgoCDVersion: in.ArgoCDVersion,
	}
}

// SetArgs turns helm-parameters into helm --set arguments, sorted by key so
// that the output does not depend on map order. Commas in values are
// escaped unless the value is a {a,b} list, as Argo CD does for its own
// Helm parameters.
func (in Inputs) SetArgs() []string {
	keys := make([]string, 0, len(in.HelmParameters))
	for k := range in.HelmParameters {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out []string
	for _, k := range keys {
		out = append(out, k+"="+escapeSetValue(in.HelmParameters[k]))
	}
	return out
}

func escapeSetValue(v string) string {
	if strings.HasPrefix(v, "{") && strings.HasSuffix(v, "}") {
		return v
	}
	var b strings.Builder
	var prev rune
	for _, r := range v {
		if r == ',' && prev != '\\' {
			b.WriteString(`\,`)
		} else {
			b.WriteRune(r)
		}
		prev = r
	}
	return b.String()
}
