package render

// Helm 4 rendering: the same pipeline as helm.go (load through the root,
// values, capabilities, dependencies, engine, decode, helm's order), with
// the Helm v4 SDK's packages, so that a chart renders as Argo CD 3.5+'s
// `helm template` (the Helm 4 binary) renders it. The differences from Helm
// 3 that users can see are asserted one by one in helm4_test.go.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
	"unicode"

	"github.com/Masterminds/semver/v3"
	"helm.sh/helm/v4/pkg/chart/common"
	commonutil "helm.sh/helm/v4/pkg/chart/common/util"
	"helm.sh/helm/v4/pkg/chart/loader/archive"
	chart4 "helm.sh/helm/v4/pkg/chart/v2"
	loader4 "helm.sh/helm/v4/pkg/chart/v2/loader"
	chartutil4 "helm.sh/helm/v4/pkg/chart/v2/util"
	engine4 "helm.sh/helm/v4/pkg/engine"
	releaseutil4 "helm.sh/helm/v4/pkg/release/v1/util"
	strvals4 "helm.sh/helm/v4/pkg/strvals"

	"github.com/syncwave/syncwave/manifest"
)

// Helm major versions whose semantics Helm renders with.
const (
	Helm3 = 3
	Helm4 = 4
	// DefaultHelmVersion is what Argo CD's current release uses (3.5+:
	// the Helm 4 binary).
	DefaultHelmVersion = Helm4
)

// DefaultKubeVersion4 is .Capabilities.KubeVersion in Helm 4 mode when none
// is given: what `helm template` v4.2.1 reports. Helm 4 derives it from the
// client-go it is linked with (v0.36.1 in helm v4.2.1's go.mod → 1.36);
// syncwave links a newer client-go, so the pinned value is kept here and
// checked against the CLI by the fidelity tests.
const DefaultKubeVersion4 = "v1.36.0"

// ParseHelmVersion reads a Helm version setting: "" (the default, Helm 4),
// "3", "v3", "4" or "v4".
func ParseHelmVersion(s string) (int, error) {
	switch strings.TrimPrefix(strings.TrimSpace(s), "v") {
	case "":
		return DefaultHelmVersion, nil
	case "3":
		return Helm3, nil
	case "4":
		return Helm4, nil
	}
	return 0, fmt.Errorf("helm version %q: expected 3 or 4", s)
}

// helmVersionOf is o.HelmVersion with the default applied.
func helmVersionOf(o HelmOptions) int {
	if o.HelmVersion == 0 {
		return DefaultHelmVersion
	}
	return o.HelmVersion
}

// checkChartAPIVersion refuses charts whose Chart.yaml apiVersion Helm 4's
// stable chart loader does not know, as `helm template` v4.2.1 does
// ("invalid chart apiVersion"): apiVersion v3 is Helm 4's experimental chart
// API. Helm 3 renders such a chart as a v2 chart, and so does Helm3 mode.
func checkChartAPIVersion(name, apiVersion string) error {
	switch apiVersion {
	case "", "v1", "v2":
		return nil
	}
	return fmt.Errorf("chart %s: Chart.yaml apiVersion %q is not supported by Helm 4 (it renders apiVersion v1 and v2 charts; v3 is its experimental chart API); use apiVersion v2", name, apiVersion)
}

// helm4 is Helm with Helm 4 semantics; see Helm.
func helm4(ctx context.Context, root *Root, o HelmOptions, warn func(string)) ([]*manifest.Resource, error) {
	dir := path.Clean(o.Path)
	c, err := loadChart4(root, dir, 0)
	if err != nil {
		return nil, fmt.Errorf("load chart: %w", err)
	}
	name := c.Name()
	if err := checkChartAPIVersion(name, c.Metadata.APIVersion); err != nil {
		return nil, err
	}
	if missing := missingDependencies4(c); len(missing) > 0 {
		return nil, fmt.Errorf("chart %s: %w: %s; run `syncwave init %s` to download them (render never uses the network)", name, ErrMissingDependency, strings.Join(missing, ", "), dir)
	}
	switch c.Metadata.Type {
	case "", "application":
	default:
		return nil, fmt.Errorf("chart %s: %s charts are not installable", name, c.Metadata.Type)
	}
	if err := chartutil4.ValidateReleaseName(o.ReleaseName); err != nil {
		return nil, fmt.Errorf("release name %q: %w", o.ReleaseName, err)
	}
	vals, err := helmValues4(root, dir, o)
	if err != nil {
		return nil, err
	}
	caps, err := capabilities4(o)
	if err != nil {
		return nil, err
	}
	if c.Metadata.KubeVersion != "" && !chartutil4.IsCompatibleRange(c.Metadata.KubeVersion, caps.KubeVersion.String()) {
		return nil, fmt.Errorf("chart %s: its kubeVersion %q does not include Kubernetes %s (set kubeVersion in the helm source, or --kube-version)", name, c.Metadata.KubeVersion, caps.KubeVersion.String())
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := chartutil4.ProcessDependencies(c, vals); err != nil {
		return nil, fmt.Errorf("chart %s: dependencies: %w", name, err)
	}
	if err := checkSchemas4(c); err != nil {
		return nil, fmt.Errorf("chart %s: %w", name, err)
	}
	ns := o.Namespace
	if ns == "" {
		ns = DefaultNamespace
	}
	rv, err := commonutil.ToRenderValuesWithSchemaValidation(c, vals, common.ReleaseOptions{
		Name: o.ReleaseName, Namespace: ns, Revision: 1, IsInstall: true,
	}, caps, true) // validated below, alongside the rendering
	if err != nil {
		return nil, fmt.Errorf("chart %s: values: %w", name, err)
	}
	r := chartRender{
		name: name, values: rv["Values"], mode: helm4Release,
		validate: func(m map[string]any) error { return commonutil.ValidateAgainstSchema(c, m) },
		engine:   func() (map[string]string, error) { return engine4.Engine{}.Render(c, rv) },
	}
	if !o.SkipCRDs {
		for _, crd := range c.CRDObjects() {
			r.crds = append(r.crds, renderedFile{filepath.ToSlash(crd.Filename), crd.File.Data})
		}
	}
	return r.run(ctx, warn)
}

// helm4Release: Helm 4 keeps a template's trailing blank lines (SplitHelm4)
// and trims the release's last manifest; its install order adds the
// webhook configurations.
var helm4Release = releaseMode{split: SplitHelm4, order: installOrder4, trimFinal: true}

// installOrder4 is Helm 4's install order of kinds, which adds the webhook
// configurations to Helm 3's.
var installOrder4 = func() map[string]int {
	m := make(map[string]int, len(releaseutil4.InstallOrder))
	for i, k := range releaseutil4.InstallOrder {
		m[k] = i
	}
	return m
}()

// hasKeepChomping reports whether b holds a block scalar header with the
// keep indicator: '|' or '>' followed by '+' or by a digit 1-9 and '+'
// (the regexp `[|>]([1-9]?\+|\+[1-9])`, whose second branch the first
// already covers, without a regexp: one scan at memchr speed, where the
// regexp took 44% of rendering the argo-cd chart, whose last document is a
// 500 KB CRD).
func hasKeepChomping(b []byte) bool {
	for {
		i := bytes.IndexAny(b, "|>")
		if i < 0 {
			return false
		}
		b = b[i+1:]
		switch {
		case len(b) > 0 && b[0] == '+':
			return true
		case len(b) > 1 && b[0] >= '1' && b[0] <= '9' && b[1] == '+':
			return true
		}
	}
}

// SplitHelm4 splits a rendered template as Helm 4's SplitManifests does:
// the same separators as SplitHelm, but a document is trimmed on the left
// only, so the whitespace at the end of a template's last document is kept
// (a keep-chomping block scalar `|+` there keeps its trailing blank lines).
// Whitespace before a separator belongs to the separator in both. When
// there is such whitespace and the document has a keep-chomping block
// scalar, the document ends with it and the newline that `helm template`
// prints after each document, so that it reads as the printed stream does.
func SplitHelm4(s string) []manifest.Document {
	docs := SplitHelm(s)
	if len(docs) == 0 {
		return docs
	}
	body := strings.TrimRightFunc(s, unicode.IsSpace)
	trailing := s[len(body):]
	last := &docs[len(docs)-1]
	if trailing == "" || !strings.HasSuffix(body, string(last.Text)) {
		return docs // the text ends with a separator or an empty document
	}
	if !hasKeepChomping(last.Text) {
		// Trailing whitespace changes a YAML document only through a
		// keep-chomping block scalar (|+, >+, |2+, |+2): without one the
		// trimmed text reads the same, and prints without blank lines.
		return docs
	}
	// The last document ends where s's non-space text ends; append the
	// whitespace that SplitHelm trimmed off.
	text := make([]byte, 0, len(last.Text)+len(trailing)+1)
	text = append(append(append(text, last.Text...), trailing...), '\n')
	last.Text = text
	return docs
}

// trimLastManifest: `helm template` v4 prints the release manifest (the
// non-hook objects, in order) trimmed, so the last one loses the trailing
// blank lines SplitHelm4 kept; it is decoded again from the trimmed text.
// (An object from a List document keeps them: its items are encoded
// afresh, and such a List at the very end of a chart is not worth a copy.)
func trimLastManifest(generic []*manifest.Resource, docs []sourcedDoc) error {
	if len(generic) == 0 {
		return nil
	}
	last := generic[len(generic)-1]
	for _, d := range docs {
		if d.source != last.Source || d.doc.Line != last.Line {
			continue
		}
		text := bytes.TrimRightFunc(d.doc.Text, unicode.IsSpace)
		if len(text) == len(d.doc.Text) {
			return nil
		}
		rs, err := decodeDocument(d.source, manifest.Document{Text: text, Line: d.doc.Line})
		if err != nil {
			return err
		}
		if len(rs) == 1 {
			generic[len(generic)-1] = rs[0]
		}
		return nil
	}
	return nil
}

// helmValues4 merges the values as Helm 4's values.Options.MergeValues
// does: each value file (and each inline values document) may hold several
// YAML documents, merged in order (Helm 3 reads the first only).
func helmValues4(root *Root, dir string, o HelmOptions) (map[string]any, error) {
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
		m, err := loader4.LoadValues(bytes.NewReader(data))
		if err != nil {
			return nil, fmt.Errorf("value file %s: not a YAML mapping: %s", f, yamlMessage4(err))
		}
		base = loader4.MergeMaps(base, m)
	}
	for i, v := range o.Values {
		m, err := loader4.LoadValues(bytes.NewReader(v))
		if err != nil {
			return nil, fmt.Errorf("values[%d]: not a YAML mapping: %s", i, yamlMessage4(err))
		}
		base = loader4.MergeMaps(base, m)
	}
	for _, s := range o.Set {
		if err := strvals4.ParseInto(s, base); err != nil {
			return nil, fmt.Errorf("parameter --set %s: %v", setKey(s), err)
		}
	}
	for _, s := range o.SetString {
		if err := strvals4.ParseIntoString(s, base); err != nil {
			return nil, fmt.Errorf("parameter --set-string %s: %v", setKey(s), err)
		}
	}
	return base, nil
}

func yamlMessage4(err error) string {
	msg := strings.TrimPrefix(err.Error(), "cannot unmarshal yaml document: ")
	msg = strings.TrimPrefix(msg, "error reading yaml document: ")
	return yamlMessage(errors.New(msg))
}

// capabilities4 are `helm template` v4's client-only capabilities: the
// pinned CLI's default Kubernetes version, the API versions of the client-go
// scheme plus the extra ones.
func capabilities4(o HelmOptions) (*common.Capabilities, error) {
	kv := o.KubeVersion
	if kv == "" {
		kv = DefaultKubeVersion4
	}
	v, err := common.ParseKubeVersion(kv)
	if err != nil {
		return nil, fmt.Errorf("kube version %q: expected MAJOR.MINOR or MAJOR.MINOR.PATCH, with or without a leading v", kv)
	}
	caps := common.DefaultCapabilities.Copy()
	caps.KubeVersion = *v
	caps.APIVersions = append(common.VersionSet(nil), defaultAPIVersions4...)
	for _, a := range o.APIVersions {
		if a = strings.TrimSpace(a); a != "" {
			caps.APIVersions = append(caps.APIVersions, a)
		}
	}
	caps.HelmVersion.Version = helm4SDKVersion()
	caps.HelmVersion.KubeClientVersion = kubeClientVersion4
	return caps, nil
}

// defaultAPIVersions4 is .Capabilities.APIVersions of `helm template`
// v4.2.1 without --api-versions, in its order: the API groups of the
// client-go v0.36.1 scheme it links. syncwave links client-go v0.37, whose
// scheme (and so common.DefaultVersionSet here) adds lifecycle.k8s.io/v1alpha1
// and storagemigration.k8s.io/v1 and has scheduling.k8s.io/v1alpha3 instead
// of v1alpha2. The fidelity tests compare it with the CLI's.
var defaultAPIVersions4 = common.VersionSet{
	"v1", "admissionregistration.k8s.io/v1",
	"admissionregistration.k8s.io/v1alpha1",
	"admissionregistration.k8s.io/v1beta1", "internal.apiserver.k8s.io/v1alpha1",
	"apps/v1", "apps/v1beta1", "apps/v1beta2", "authentication.k8s.io/v1",
	"authentication.k8s.io/v1alpha1", "authentication.k8s.io/v1beta1",
	"authorization.k8s.io/v1", "authorization.k8s.io/v1beta1", "autoscaling/v1",
	"autoscaling/v2", "batch/v1", "batch/v1beta1", "certificates.k8s.io/v1",
	"certificates.k8s.io/v1beta1", "certificates.k8s.io/v1alpha1",
	"coordination.k8s.io/v1alpha2", "coordination.k8s.io/v1beta1",
	"coordination.k8s.io/v1", "discovery.k8s.io/v1", "discovery.k8s.io/v1beta1",
	"events.k8s.io/v1", "events.k8s.io/v1beta1", "extensions/v1beta1",
	"flowcontrol.apiserver.k8s.io/v1", "flowcontrol.apiserver.k8s.io/v1beta1",
	"flowcontrol.apiserver.k8s.io/v1beta2",
	"flowcontrol.apiserver.k8s.io/v1beta3", "networking.k8s.io/v1",
	"networking.k8s.io/v1beta1", "node.k8s.io/v1", "node.k8s.io/v1alpha1",
	"node.k8s.io/v1beta1", "policy/v1", "policy/v1beta1",
	"rbac.authorization.k8s.io/v1", "rbac.authorization.k8s.io/v1beta1",
	"rbac.authorization.k8s.io/v1alpha1", "resource.k8s.io/v1",
	"resource.k8s.io/v1beta2", "resource.k8s.io/v1beta1",
	"resource.k8s.io/v1alpha3", "scheduling.k8s.io/v1alpha2",
	"scheduling.k8s.io/v1beta1", "scheduling.k8s.io/v1", "storage.k8s.io/v1beta1",
	"storage.k8s.io/v1", "storage.k8s.io/v1alpha1",
	"storagemigration.k8s.io/v1beta1", "apiextensions.k8s.io/v1beta1",
	"apiextensions.k8s.io/v1",
}

// kubeClientVersion4 is .Capabilities.HelmVersion.KubeClientVersion of the
// pinned CLI (major.minor of DefaultKubeVersion4).
var kubeClientVersion4 = func() string {
	v := semver.MustParse(DefaultKubeVersion4)
	return fmt.Sprintf("v%d.%d", v.Major(), v.Minor())
}()

var helm4SDKVersion = sync.OnceValue(func() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, m := range bi.Deps {
			if m.Path == "helm.sh/helm/v4" && strings.HasPrefix(m.Version, "v") {
				return m.Version
			}
		}
	}
	return sdkVersion4
})

// The Helm SDK versions in go.mod, for .Capabilities.HelmVersion where the
// build carries no module information (test binaries);
// TestHelmSDKVersionsMatchGoMod keeps them in step.
const (
	sdkVersion3 = "v3.22.0"
	sdkVersion4 = "v4.2.1"
)

// loadChart4 is loadChart with Helm 4's chart loader.
func loadChart4(root *Root, dir string, depth int) (*chart4.Chart, error) {
	files, err := chartFiles(root, dir)
	if err != nil {
		return nil, err
	}
	bf := make([]*archive.BufferedFile, len(files))
	for i, f := range files {
		bf[i] = &archive.BufferedFile{Name: f.Name, Data: f.Data}
	}
	c, err := loader4.LoadFiles(bf)
	if err != nil {
		return nil, err
	}
	for _, d := range c.Metadata.Dependencies {
		if d == nil || !strings.HasPrefix(d.Repository, "file://") || hasDependency4(c, d.Name) {
			continue
		}
		depDir, err := localDependencyDir(dir, d.Name, d.Repository, depth)
		if err != nil {
			return nil, err
		}
		sub, err := loadChart4(root, depDir, depth+1)
		if err != nil {
			return nil, fmt.Errorf("dependency %s (%s): %w", d.Name, d.Repository, err)
		}
		if err := checkLocalDependency(d.Name, d.Repository, d.Version, sub.Name(), sub.Metadata.Version); err != nil {
			return nil, err
		}
		c.AddDependency(sub)
	}
	return c, nil
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

func hasDependency4(c *chart4.Chart, name string) bool {
	for _, d := range c.Dependencies() {
		if d.Name() == name {
			return true
		}
	}
	return false
}

func missingDependencies4(c *chart4.Chart) []string {
	var missing []string
	for _, d := range c.Metadata.Dependencies {
		if d != nil && !hasDependency4(c, d.Name) {
			missing = append(missing, d.Name)
		}
	}
	return missing
}
