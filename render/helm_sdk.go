package render

// One Helm path over two SDKs: the steps from loading a chart to rendering
// it are written once here (renderChart, loadChartWith, valuesWith), over a
// small adapter per SDK (a helmSDK value: helm3 in helm.go, helm4 in helm4.go)
// that holds only what differs: the packages' types and functions, Helm 4's
// multi-document value files and its capabilities.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"path/filepath"
	"strings"

	"github.com/Masterminds/semver/v3"
	"helm.sh/helm/v3/pkg/chart/loader"

	"github.com/syncwave/syncwave/manifest"
)

// helmChart is what both SDKs' *chart.Chart offer as methods.
type helmChart[C any] interface {
	Name() string
	Dependencies() []C
	AddDependency(...C)
}

// chartMeta is the part of Chart.yaml the steps read.
type chartMeta struct {
	APIVersion, Type, KubeVersion, Version string
	Dependencies                           []chartDependency
}

// chartDependency is one declared dependency (nil entries dropped).
type chartDependency struct{ Name, Repository, Version string }

// helmSDK adapts one Helm SDK (C its chart type, Caps its capabilities) to
// the steps of renderChart: what differs between the SDKs and nothing else.
// helm3 (helm.go) and helm4 (helm4.go) are its two values.
type helmSDK[C helmChart[C], Caps any] struct {
	release   releaseMode
	loadFiles func([]*loader.BufferedFile) (C, error)
	// metadata is the chart's *chart.Metadata, read through the JSON form
	// both SDKs give Chart.yaml (chartMetaOf).
	metadata func(C) any
	// checkChart refuses a chart the SDK's loader does not render.
	checkChart          func(name, apiVersion string) error
	validateReleaseName func(string) error
	values              valueFuncs
	// capabilities are .Capabilities and the Kubernetes version in them.
	capabilities        func(HelmOptions) (caps Caps, kubeVersion string, err error)
	processDependencies func(C, map[string]any) error
	// checkSchemas refuses a values.schema.json of the chart or of a
	// dependency left after processDependencies that refers to another
	// document (schema_refs.go), before the SDK's validator would load it.
	checkSchemas func(C) error
	// renderValues coalesces the values and returns .Values and the
	// engine's rendering of the chart with them.
	renderValues   func(c C, vals map[string]any, opts releaseOptions, caps Caps) (values any, render func() (map[string]string, error), err error)
	validateSchema func(C, map[string]any) error
	crds           func(C) []renderedFile
}

// valueFuncs are an SDK's value readers: read one value file (or inline
// values document), merge two value maps, apply a --set and a --set-string
// argument.
type valueFuncs struct {
	read           func([]byte) (map[string]any, error)
	merge          func(a, b map[string]any) map[string]any
	set, setString func(string, map[string]any) error
}

// releaseOptions are the release's name and namespace, as `helm template`
// installs it (revision 1).
type releaseOptions struct{ name, namespace string }

func (s helmSDK[C, Caps]) meta(c C) chartMeta { return chartMetaOf(s.metadata(c)) }

// chartMetaOf reads a *chart.Metadata of either SDK through its JSON form
// (the two SDKs share Chart.yaml's field names); nil dependencies dropped.
func chartMetaOf(m any) chartMeta {
	var out struct {
		APIVersion, Type, KubeVersion, Version string
		Dependencies                           []*chartDependency
	}
	b, err := json.Marshal(m)
	if err == nil {
		err = json.Unmarshal(b, &out)
	}
	if err != nil { // a struct of strings always round-trips
		panic(fmt.Sprintf("render: chart metadata: %v", err))
	}
	meta := chartMeta{APIVersion: out.APIVersion, Type: out.Type, KubeVersion: out.KubeVersion, Version: out.Version}
	for _, d := range out.Dependencies {
		if d != nil {
			meta.Dependencies = append(meta.Dependencies, *d)
		}
	}
	return meta
}

// crdFiles are the files under a chart's crds/ (its CRDObjects), given the
// SDK's way to read one.
func crdFiles[T any](objs []T, file func(T) (name string, data []byte)) []renderedFile {
	out := make([]renderedFile, 0, len(objs))
	for _, o := range objs {
		name, data := file(o)
		out = append(out, renderedFile{filepath.ToSlash(name), data})
	}
	return out
}

// renderChart is `helm template --include-crds` of one SDK: load, check,
// values, capabilities, dependencies, render; see Helm.
func renderChart[C helmChart[C], Caps any](ctx context.Context, sdk *helmSDK[C, Caps], root *Root, o HelmOptions, warn func(string)) ([]*manifest.Resource, error) {
	dir := path.Clean(o.Path)
	c, err := loadChartWith(sdk, root, dir, 0)
	if err != nil {
		return nil, fmt.Errorf("load chart: %w", err)
	}
	name, meta := c.Name(), sdk.meta(c)
	if err := sdk.checkChart(name, meta.APIVersion); err != nil {
		return nil, err
	}
	if missing := missingDependencies(c, meta); len(missing) > 0 {
		return nil, fmt.Errorf("chart %s: %w: %s; run `syncwave init %s` to download them (render never uses the network)", name, ErrMissingDependency, strings.Join(missing, ", "), dir)
	}
	switch meta.Type {
	case "", "application":
	default:
		return nil, fmt.Errorf("chart %s: %s charts are not installable", name, meta.Type)
	}
	if err := sdk.validateReleaseName(o.ReleaseName); err != nil {
		return nil, fmt.Errorf("release name %q: %w", o.ReleaseName, err)
	}
	vals, err := valuesWith(sdk, root, dir, o)
	if err != nil {
		return nil, err
	}
	caps, kv, err := sdk.capabilities(o)
	if err != nil {
		return nil, err
	}
	if meta.KubeVersion != "" && !isCompatibleRange(meta.KubeVersion, kv) {
		return nil, fmt.Errorf("chart %s: its kubeVersion %q does not include Kubernetes %s (set kubeVersion in the helm source, or --kube-version)", name, meta.KubeVersion, kv)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := sdk.processDependencies(c, vals); err != nil {
		return nil, fmt.Errorf("chart %s: dependencies: %w", name, err)
	}
	if err := sdk.checkSchemas(c); err != nil {
		return nil, fmt.Errorf("chart %s: %w", name, err)
	}
	ns := o.Namespace
	if ns == "" {
		ns = DefaultNamespace
	}
	values, engine, err := sdk.renderValues(c, vals, releaseOptions{o.ReleaseName, ns}, caps)
	if err != nil {
		return nil, fmt.Errorf("chart %s: values: %w", name, err)
	}
	r := chartRender{
		name: name, values: values, mode: sdk.release, reader: o.reader(),
		validate: func(m map[string]any) error { return sdk.validateSchema(c, m) },
		engine:   engine,
	}
	if !o.SkipCRDs {
		r.crds = sdk.crds(c)
	}
	return r.run(ctx, warn)
}

// loadChartWith loads the chart in the root-relative directory dir the way
// helm's loader.LoadDir does (.helmignore, sorted walk, UTF-8 BOM stripped),
// but through the repository root (chartFiles): a symlink whose target
// leaves the root is an error, symlinked directories are followed only
// inside it, and nothing outside the root is ever read. Local file://
// dependencies that are not vendored are loaded from their directory
// (relative to the chart, inside the root), their version checked against
// the constraint, as `helm dependency build` would package them.
func loadChartWith[C helmChart[C], Caps any](sdk *helmSDK[C, Caps], root *Root, dir string, depth int) (C, error) {
	var zero C
	files, err := chartFiles(root, dir)
	if err != nil {
		return zero, err
	}
	c, err := sdk.loadFiles(files)
	if err != nil {
		return zero, err
	}
	for _, d := range sdk.meta(c).Dependencies {
		if !strings.HasPrefix(d.Repository, "file://") || hasDependency(c, d.Name) {
			continue
		}
		depDir, err := localDependencyDir(dir, d.Name, d.Repository, depth)
		if err != nil {
			return zero, err
		}
		sub, err := loadChartWith(sdk, root, depDir, depth+1)
		if err != nil {
			return zero, fmt.Errorf("dependency %s (%s): %w", d.Name, d.Repository, err)
		}
		if err := checkLocalDependency(d.Name, d.Repository, d.Version, sub.Name(), sdk.meta(sub).Version); err != nil {
			return zero, err
		}
		c.AddDependency(sub)
	}
	return c, nil
}

// hasDependency reports whether c holds a loaded dependency named name.
func hasDependency[C helmChart[C]](c C, name string) bool {
	for _, d := range c.Dependencies() {
		if d.Name() == name {
			return true
		}
	}
	return false
}

// missingDependencies lists the declared dependencies absent from charts/,
// as helm's action.CheckDependencies does.
func missingDependencies[C helmChart[C]](c C, meta chartMeta) []string {
	var missing []string
	for _, d := range meta.Dependencies {
		if !hasDependency(c, d.Name) {
			missing = append(missing, d.Name)
		}
	}
	return missing
}

// valuesWith merges the values as helm's values.Options.MergeValues does:
// value files, then the inline values, then --set, then --set-string.
func valuesWith[C helmChart[C], Caps any](sdk *helmSDK[C, Caps], root *Root, dir string, o HelmOptions) (map[string]any, error) {
	base := map[string]any{}
	for _, f := range o.ValueFiles {
		rel, err := valueFilePath(root, dir, f)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				if o.IgnoreMissingValueFiles {
					continue
				}
				return nil, fmt.Errorf("value file %s: %w (paths are relative to the chart directory %s; set ignoreMissingValueFiles to skip missing files)", f, err, dir)
			}
			return nil, fmt.Errorf("value file %s: %w", f, err)
		}
		data, err := root.ReadFile(rel)
		if err != nil {
			return nil, fmt.Errorf("value file %s (%s): %w", f, rel, err)
		}
		m, err := sdk.values.read(data)
		if err != nil {
			return nil, fmt.Errorf("value file %s: not a YAML mapping: %w", f, err)
		}
		base = sdk.values.merge(base, m)
	}
	for i, v := range o.Values {
		m, err := sdk.values.read(v)
		if err != nil {
			return nil, fmt.Errorf("values[%d]: not a YAML mapping: %w", i, err)
		}
		base = sdk.values.merge(base, m)
	}
	for _, s := range o.Set {
		if err := sdk.values.set(s, base); err != nil {
			return nil, fmt.Errorf("parameter --set %s: %v", setKey(s), err)
		}
	}
	for _, s := range o.SetString {
		if err := sdk.values.setString(s, base); err != nil {
			return nil, fmt.Errorf("parameter --set-string %s: %v", setKey(s), err)
		}
	}
	return base, nil
}

// isCompatibleRange is chartutil.IsCompatibleRange, the same code in both
// SDKs: whether version satisfies the semver constraint (false when either
// does not parse).
func isCompatibleRange(constraint, version string) bool {
	v, err := semver.NewVersion(version)
	if err != nil {
		return false
	}
	c, err := semver.NewConstraint(constraint)
	return err == nil && c.Check(v)
}

// setKey is the key part of a --set argument, for messages that must not
// show values.
func setKey(s string) string {
	if i := strings.IndexByte(s, '='); i >= 0 {
		return strings.TrimSpace(s[:i])
	}
	return s
}

// kubeVersionOf is o.KubeVersion, else the SDK mode's default.
func kubeVersionOf(o HelmOptions, def string) string {
	if o.KubeVersion == "" {
		return def
	}
	return o.KubeVersion
}

// badKubeVersion is the error of a kube version neither SDK parses.
func badKubeVersion(kv string) error {
	return fmt.Errorf("kube version %q: expected MAJOR.MINOR or MAJOR.MINOR.PATCH, with or without a leading v", kv)
}

// extraAPIVersions are o.APIVersions, trimmed, empty ones dropped.
func extraAPIVersions(o HelmOptions) []string {
	var out []string
	for _, a := range o.APIVersions {
		if a = strings.TrimSpace(a); a != "" {
			out = append(out, a)
		}
	}
	return out
}

// localDependencyDir is the root-relative directory of a file://
// dependency of the chart in dir.
func localDependencyDir(dir, name, repo string, depth int) (string, error) {
	if depth >= maxLocalDependencyDepth {
		return "", fmt.Errorf("dependency %s: more than %d nested file:// dependencies (a cycle?)", name, maxLocalDependencyDepth)
	}
	ref := strings.TrimPrefix(repo, "file://")
	if filepath.IsAbs(ref) || path.IsAbs(ref) {
		return "", fmt.Errorf("dependency %s: repository %s: absolute file:// paths are not supported; use a path relative to the chart", name, repo)
	}
	depDir := path.Join(dir, filepath.ToSlash(ref))
	if depDir == ".." || strings.HasPrefix(depDir, "../") {
		return "", fmt.Errorf("dependency %s: repository %s: %w", name, repo, ErrEscape)
	}
	return depDir, nil
}

// checkLocalDependency checks a loaded file:// dependency's name and
// version against its declaration, as `helm dependency build` does.
func checkLocalDependency(name, repo, constraint, gotName, gotVersion string) error {
	if gotName != name {
		return fmt.Errorf("dependency %s: the chart at %s is named %q", name, repo, gotName)
	}
	if constraint == "" {
		return nil
	}
	cons, err := semver.NewConstraint(constraint)
	if err != nil {
		return fmt.Errorf("dependency %s: version %q is not a valid constraint: %v", name, constraint, err)
	}
	v, err := semver.NewVersion(gotVersion)
	if err != nil {
		return fmt.Errorf("dependency %s: chart version %q is not valid semver: %v", name, gotVersion, err)
	}
	if !cons.Check(v) {
		return fmt.Errorf("dependency %s: the chart at %s has version %s, which does not satisfy %q", name, repo, gotVersion, constraint)
	}
	return nil
}
