package render

import (
	"context"
	"errors"
	"fmt"
	"path"
	"path/filepath"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/syncwave/syncwave/manifest"
	"github.com/syncwave/syncwave/order"
)

// SourceRequest is one entry of an ordering file's sources (or the source
// detected) to render.
type SourceRequest struct {
	// AppRel is the application directory, relative to the root.
	AppRel string
	Source order.Source
	// Skip are root-relative files a directory source leaves out (the
	// ordering file).
	Skip []string
	// Helm are the inputs that extend or override every helm entry.
	Helm HelmInputs
	Warn func(string)
}

// HelmInputs are the Helm inputs of one rendering beyond the helm entry,
// as pipeline.Options describes them: ValueFiles, Values, Set and
// SetString come after the entry's own, ReleaseName replaces its
// releaseName, and AppName, Namespace, KubeVersion and APIVersions are
// defaults that the entry's fields win over. HelmVersion wins over the
// entry's version.
type HelmInputs struct {
	ValueFiles  []string
	Values      string
	Set         []string
	SetString   []string
	ReleaseName string
	AppName     string
	Namespace   string
	KubeVersion string
	APIVersions []string
	HelmVersion string
}

// SourceRenderer renders one kind of source.
type SourceRenderer func(ctx context.Context, root *Root, req SourceRequest) ([]*manifest.Resource, error)

var sourceRenderers = map[string]SourceRenderer{}

// RegisterSource makes f the renderer of the sources of kind (a name of
// order.SourceKinds). The file that holds a kind's renderer registers it,
// from init.
func RegisterSource(kind string, f SourceRenderer) {
	if _, dup := sourceRenderers[kind]; dup {
		panic("render: source kind " + kind + " registered twice")
	}
	sourceRenderers[kind] = f
}

// HasSource reports whether a renderer is registered for kind.
func HasSource(kind string) bool { _, ok := sourceRenderers[kind]; return ok }

// RenderSource renders req.Source with the renderer of its kind.
func RenderSource(ctx context.Context, root *Root, req SourceRequest) ([]*manifest.Resource, error) {
	kind := req.Source.Kind()
	f, ok := sourceRenderers[kind]
	if !ok {
		if kind == "" {
			return nil, errors.New("empty source entry")
		}
		return nil, fmt.Errorf("no renderer for %s sources", kind)
	}
	return f(ctx, root, req)
}

// The renderers of the kinds this package has always had; a new kind
// registers from its own file.
func init() {
	RegisterSource("directory", renderDirectorySource)
	RegisterSource("helm", renderHelmSource)
	RegisterSource("kustomize", renderKustomizeSource)
}

func renderDirectorySource(ctx context.Context, root *Root, req SourceRequest) ([]*manifest.Resource, error) {
	d := req.Source.Directory
	dir := path.Join(req.AppRel, d.Path)
	if leavesRoot(dir) {
		return nil, fmt.Errorf("directory %s: %w", d.Path, ErrEscape)
	}
	rs, err := Directory(ctx, root, DirectoryOptions{
		Path: dir, Recurse: d.Recurse, Include: d.Include, Exclude: d.Exclude, Skip: req.Skip,
	}, req.Warn)
	if err != nil {
		return nil, err
	}
	prefixSources(rs, req.AppRel, dir)
	return rs, nil
}

func renderHelmSource(ctx context.Context, root *Root, req SourceRequest) ([]*manifest.Resource, error) {
	h := req.Source.Helm
	dir := path.Join(req.AppRel, h.Path)
	if leavesRoot(dir) {
		return nil, fmt.Errorf("helm chart %s: %w", h.Path, ErrEscape)
	}
	ho, err := helmSourceOptions(root, dir, h, &req.Helm)
	if err != nil {
		return nil, fmt.Errorf("helm chart %s: %w", shownPath(dir), err)
	}
	rs, err := Helm(ctx, root, ho, req.Warn)
	if err != nil {
		return nil, fmt.Errorf("helm chart %s: %w", shownPath(dir), err)
	}
	return rs, nil
}

func renderKustomizeSource(ctx context.Context, root *Root, req SourceRequest) ([]*manifest.Resource, error) {
	k := req.Source.Kustomize
	dir := path.Join(req.AppRel, k.Path)
	if leavesRoot(dir) {
		return nil, fmt.Errorf("kustomization %s: %w", k.Path, ErrEscape)
	}
	rs, err := Kustomize(ctx, root, KustomizeOptions{Path: dir, Warn: req.Warn})
	if err != nil {
		return nil, fmt.Errorf("kustomization %s: %w", shownPath(dir), err)
	}
	prefixSources(rs, req.AppRel, dir)
	return rs, nil
}

// helmSourceOptions merges a helm source entry with the inputs the way
// Argo CD combines an Application's parameters with its environment.
func helmSourceOptions(root *Root, dir string, h *order.HelmSource, in *HelmInputs) (HelmOptions, error) {
	o := HelmOptions{
		Path:                    dir,
		ReleaseName:             h.ReleaseName,
		Namespace:               h.Namespace,
		ValueFiles:              append(append([]string(nil), h.ValueFiles...), in.ValueFiles...),
		IgnoreMissingValueFiles: h.IgnoreMissingValueFiles,
		KubeVersion:             h.KubeVersion,
		APIVersions:             h.APIVersions,
		SkipCRDs:                h.SkipCRDs,
	}
	if len(h.Values) > 0 {
		b, err := yaml.Marshal(h.Values)
		if err != nil {
			return o, fmt.Errorf("values: %w", err)
		}
		o.Values = append(o.Values, b)
	}
	if in.Values != "" {
		o.Values = append(o.Values, []byte(in.Values))
	}
	for _, p := range h.Parameters {
		if p.ForceString {
			o.SetString = append(o.SetString, p.Name+"="+p.Value)
		} else {
			o.Set = append(o.Set, p.Name+"="+p.Value)
		}
	}
	o.Set = append(o.Set, in.Set...)
	o.SetString = append(o.SetString, in.SetString...)
	if in.ReleaseName != "" {
		o.ReleaseName = in.ReleaseName
	}
	if o.ReleaseName == "" && in.AppName != "" {
		o.ReleaseName = in.AppName
		if _, name, ok := strings.Cut(in.AppName, "_"); ok {
			o.ReleaseName = name
		}
	}
	if o.ReleaseName == "" {
		name, err := ChartName(root, dir)
		if err != nil {
			return o, err
		}
		o.ReleaseName = name
	}
	if o.Namespace == "" {
		o.Namespace = in.Namespace
	}
	if o.KubeVersion == "" {
		o.KubeVersion = in.KubeVersion
	}
	if len(o.APIVersions) == 0 {
		o.APIVersions = in.APIVersions
	}
	hv := h.Version
	if in.HelmVersion != "" {
		hv = in.HelmVersion
	}
	v, err := ParseHelmVersion(hv)
	if err != nil {
		return o, err
	}
	o.HelmVersion = v
	return o, nil
}

// leavesRoot reports whether a root-relative directory is outside the root.
func leavesRoot(dir string) bool { return dir == ".." || strings.HasPrefix(dir, "../") }

// shownPath is a root-relative path for messages ("." for the root).
func shownPath(rel string) string {
	if rel == "" {
		return "."
	}
	return rel
}

// prefixSources makes the resources' source paths, relative to dir,
// relative to the application directory.
func prefixSources(rs []*manifest.Resource, appRel, dir string) {
	prefix := dir
	switch {
	case appRel == dir:
		prefix = ""
	case appRel == ".":
	default:
		if r, err := filepath.Rel(appRel, dir); err == nil {
			prefix = filepath.ToSlash(r)
		}
	}
	for _, r := range rs {
		r.Source = path.Join(prefix, r.Source)
	}
}
