package render

// Helm 4 rendering: the Helm v4 SDK's adapter to renderChart (helm_sdk.go),
// so that a chart renders as Argo CD 3.5+'s `helm template` (the Helm 4
// binary) renders it, and what Helm 4 does differently after rendering
// (SplitHelm4, the last manifest trimmed, its install order). The
// differences from Helm 3 that users can see are asserted one by one in
// helm_modes_test.go.

import (
	"bytes"
	"errors"
	"fmt"
	"runtime/debug"
	"strings"
	"sync"
	"unicode"

	"github.com/Masterminds/semver/v3"
	"helm.sh/helm/v3/pkg/chart/loader"
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

// helm4 is the Helm v4 SDK behind renderChart: `helm template` of Argo CD
// 3.5+ (the Helm 4 binary).
var helm4 = &helmSDK[*chart4.Chart, *common.Capabilities]{
	release:             helm4Release,
	loadFiles:           loadFiles4,
	metadata:            func(c *chart4.Chart) any { return c.Metadata },
	checkChart:          checkChartAPIVersion,
	validateReleaseName: chartutil4.ValidateReleaseName,
	values:              valueFuncs{readValues4, loader4.MergeMaps, strvals4.ParseInto, strvals4.ParseIntoString},
	checkSchemas:        checkSchemas4,
	capabilities:        capabilities4,
	processDependencies: func(c *chart4.Chart, v map[string]any) error { return chartutil4.ProcessDependencies(c, v) },
	renderValues: func(c *chart4.Chart, vals map[string]any, o releaseOptions, caps *common.Capabilities) (any, func() (map[string]string, error), error) {
		rv, err := commonutil.ToRenderValuesWithSchemaValidation(c, vals, common.ReleaseOptions{Name: o.name, Namespace: o.namespace, Revision: 1, IsInstall: true}, caps, true) // validated by chartRender
		return rv["Values"], func() (map[string]string, error) { return engine4.Engine{}.Render(c, rv) }, err
	},
	validateSchema: func(c *chart4.Chart, m map[string]any) error { return commonutil.ValidateAgainstSchema(c, m) },
	crds: func(c *chart4.Chart) []renderedFile {
		return crdFiles(c.CRDObjects(), func(o chart4.CRD) (string, []byte) { return o.Filename, o.File.Data })
	},
}

// loadFiles4 is Helm 4's chart loader over the files chartFiles read.
func loadFiles4(files []*loader.BufferedFile) (*chart4.Chart, error) {
	bf := make([]*archive.BufferedFile, len(files))
	for i, f := range files {
		bf[i] = &archive.BufferedFile{Name: f.Name, Data: f.Data}
	}
	return loader4.LoadFiles(bf)
}

// readValues4 reads every YAML document of a value file (or inline values)
// and merges them in order, as Helm 4 does (Helm 3 reads the first only).
func readValues4(data []byte) (map[string]any, error) {
	m, err := loader4.LoadValues(bytes.NewReader(data))
	if err != nil {
		return nil, errors.New(yamlMessage4(err))
	}
	return m, nil
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
func trimLastManifest(generic []*manifest.Resource, docs []sourcedDoc, reader manifest.Reader) error {
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
		rs, err := decodeDocument(d.source, manifest.Document{Text: text, Line: d.doc.Line}, reader)
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

func yamlMessage4(err error) string {
	msg := strings.TrimPrefix(err.Error(), "cannot unmarshal yaml document: ")
	msg = strings.TrimPrefix(msg, "error reading yaml document: ")
	return yamlMessage(errors.New(msg))
}

// capabilities4 are `helm template` v4's client-only capabilities: the
// pinned CLI's default Kubernetes version, the API versions of the client-go
// scheme plus the extra ones.
func capabilities4(o HelmOptions) (*common.Capabilities, string, error) {
	kv := kubeVersionOf(o, DefaultKubeVersion4)
	v, err := common.ParseKubeVersion(kv)
	if err != nil {
		return nil, "", badKubeVersion(kv)
	}
	caps := common.DefaultCapabilities.Copy()
	caps.KubeVersion = *v
	caps.APIVersions = append(append(common.VersionSet(nil), defaultAPIVersions4...), extraAPIVersions(o)...)
	caps.HelmVersion.Version = helm4SDKVersion()
	caps.HelmVersion.KubeClientVersion = kubeClientVersion4
	return caps, caps.KubeVersion.String(), nil
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
