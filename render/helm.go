package render

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"path"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"unsafe"

	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/engine"
	"helm.sh/helm/v3/pkg/releaseutil"
	"helm.sh/helm/v3/pkg/strvals"
	"sigs.k8s.io/yaml"

	"github.com/syncwave/syncwave/argocd"
	"github.com/syncwave/syncwave/manifest"
)

// DefaultKubeVersion is .Capabilities.KubeVersion when neither the source
// nor the environment names one: the Kubernetes minor of the client-go the
// Helm SDK is built with (helm v3.22 → client-go v0.37 → 1.37), as helm's own
// release builds set it. The SDK's built-in default (1.20) would make real
// charts with a kubeVersion constraint refuse to render.
const DefaultKubeVersion = "v1.37.0"

// DefaultNamespace is the release namespace when none is given, as for
// `helm template` without --namespace and without a kubeconfig.
const DefaultNamespace = "default"

// HelmOptions are the inputs of one chart rendering, already merged from the
// ordering file and Argo CD's parameters.
type HelmOptions struct {
	// Path is the chart directory, slash separated, relative to the root.
	Path string
	// ReleaseName must be set (the caller applies the default chain);
	// Namespace "" means DefaultNamespace.
	ReleaseName string
	Namespace   string
	// ValueFiles are read in order: relative paths from the chart
	// directory, absolute ones from the repository root; they must resolve,
	// symlinks included, strictly inside the root. URLs are refused.
	ValueFiles              []string
	IgnoreMissingValueFiles bool
	// Values are YAML documents merged after the value files, in order.
	Values [][]byte
	// Set and SetString are helm --set and --set-string arguments, applied
	// last (all of Set, then all of SetString, as helm does).
	Set, SetString []string
	// KubeVersion is "1.29", "1.29.3" or "v1.29.3"; "" means
	// DefaultKubeVersion.
	KubeVersion string
	// APIVersions are added to .Capabilities.APIVersions ("group/version"
	// or "group/version/Kind").
	APIVersions []string
	// SkipCRDs leaves out the files under crds/.
	SkipCRDs bool
	// HelmVersion is Helm3 or Helm4 (helm4.go); 0 means DefaultHelmVersion.
	HelmVersion int

	// fullParse reads the rendered documents with manifest.Full instead of
	// manifest.Fast (see reader); the tests that prove the two equal set it.
	fullParse bool
}

// reader is how the rendered documents are read. Rendered charts are
// mostly specs and CRD schemas that syncwave never reads, so only the
// top-level keys and the metadata block are parsed (manifest.Fast);
// TestFastDecodeOnHelmCharts proves the result equal to the full parse on
// Helm's own test charts.
func (o HelmOptions) reader() manifest.Reader {
	if o.fullParse {
		return manifest.Full
	}
	return manifest.Fast
}

// Helm renders a chart in-process, as `helm template --include-crds` of
// o.HelmVersion (Helm 4 by default; the steps are renderChart) does, without a
// cluster (lookup returns empty) and without the network: every
// dependency must be vendored under charts/ or be a local file:// chart.
//
// Resources come in helm template's order: CRDs from crds/ directories,
// then the templates' objects sorted by helm's install order of kinds, then
// the hooks (test hooks included; documents with an unknown helm.sh/hook are
// dropped, as helm drops them, with a warning). Each resource's Source is
// its template path, e.g. "mychart/templates/deployment.yaml".
func Helm(ctx context.Context, root *Root, o HelmOptions, warn func(string)) ([]*manifest.Resource, error) {
	if helmVersionOf(o) == Helm4 {
		return renderChart(ctx, helm4, root, o, warn)
	}
	return renderChart(ctx, helm3, root, o, warn)
}

// helm3 is the Helm v3 SDK behind renderChart: `helm template` of Argo CD
// up to 3.4.
var helm3 = &helmSDK[*chart.Chart, *chartutil.Capabilities]{
	release:   helm3Release,
	loadFiles: loader.LoadFiles,
	metadata:  func(c *chart.Chart) any { return c.Metadata },
	// Helm 3 renders an apiVersion v3 chart as a v2 one.
	checkChart:          func(string, string) error { return nil },
	validateReleaseName: chartutil.ValidateReleaseName,
	values:              valueFuncs{readValues3, mergeMaps, strvals.ParseInto, strvals.ParseIntoString},
	checkSchemas:        checkSchemas3,
	capabilities:        capabilities3,
	processDependencies: func(c *chart.Chart, v map[string]any) error { return chartutil.ProcessDependenciesWithMerge(c, v) },
	renderValues: func(c *chart.Chart, vals map[string]any, o releaseOptions, caps *chartutil.Capabilities) (any, func() (map[string]string, error), error) {
		rv, err := chartutil.ToRenderValuesWithSchemaValidation(c, vals, chartutil.ReleaseOptions{Name: o.name, Namespace: o.namespace, Revision: 1, IsInstall: true}, caps, true) // validated by chartRender
		return rv["Values"], func() (map[string]string, error) { return engine.Engine{}.Render(c, rv) }, err
	},
	validateSchema: chartutil.ValidateAgainstSchema,
	crds: func(c *chart.Chart) []renderedFile {
		return crdFiles(c.CRDObjects(), func(o chart.CRD) (string, []byte) { return o.Filename, o.File.Data })
	},
}

// readValues3 reads the first YAML document, as Helm 3 does.
func readValues3(data []byte) (map[string]any, error) {
	m := map[string]any{}
	if err := yaml.Unmarshal(data, &m); err != nil {
		return nil, errors.New(yamlMessage(err))
	}
	return m, nil
}

// capabilities3 are helm template's client-only capabilities with our
// Kubernetes version default.
func capabilities3(o HelmOptions) (*chartutil.Capabilities, string, error) {
	kv := kubeVersionOf(o, DefaultKubeVersion)
	v, err := chartutil.ParseKubeVersion(kv)
	if err != nil {
		return nil, "", badKubeVersion(kv)
	}
	caps := chartutil.DefaultCapabilities.Copy()
	caps.KubeVersion = *v
	caps.APIVersions = append(append(chartutil.VersionSet(nil), caps.APIVersions...), extraAPIVersions(o)...)
	caps.HelmVersion.Version = helmSDKVersion()
	return caps, caps.KubeVersion.String(), nil
}

// decodeAsync decodes files on another goroutine, so that a chart's crds/
// (up to megabytes of CRDs, which Helm does not template) are read while
// the engine renders the templates on this one, and returns the function
// that waits for the result.
func decodeAsync(files []renderedFile, reader manifest.Reader) func() ([]*manifest.Resource, error) {
	if len(files) == 0 {
		return func() ([]*manifest.Resource, error) { return nil, nil }
	}
	type result struct {
		rs  []*manifest.Resource
		err error
	}
	done := make(chan result, 1)
	go func() {
		var r result
		defer func() {
			if p := recover(); p != nil {
				r = result{err: fmt.Errorf("internal error decoding crds/: %v\n%s", p, debug.Stack())}
			}
			done <- r
		}()
		for _, f := range files {
			rs, err := decodeStream(f.name, f.data, reader)
			if err != nil {
				r.err = err
				return
			}
			r.rs = append(r.rs, rs...)
		}
	}()
	return sync.OnceValues(func() ([]*manifest.Resource, error) {
		r := <-done
		return r.rs, r.err
	})
}

// renderedFile is a chart file that is part of the release as it is (a CRD
// of crds/).
type renderedFile struct {
	name string
	data []byte
}

// releaseMode is what differs between Helm 3 and Helm 4 once a chart is
// rendered: how a template's output splits into documents, the install
// order of kinds, and whether the release's last manifest is trimmed.
type releaseMode struct {
	split     func(string) []manifest.Document
	order     map[string]int
	trimFinal bool
}

var helm3Release = releaseMode{split: SplitHelm, order: installOrder}

// releaseResources turns a rendered chart into the release's resources as
// helm template prints them: the CRDs of crds/ first, then the templates'
// objects sorted by kind in install order, then the hooks (unknown hook
// events left out with a warning, as helm leaves them out). reader reads
// the templates' documents.
func releaseResources(name string, crds func() ([]*manifest.Resource, error), files map[string]string, m releaseMode, reader manifest.Reader, warn func(string)) ([]*manifest.Resource, error) {
	out, err := crds()
	if err != nil {
		return nil, fmt.Errorf("chart %s: %w", name, err)
	}
	docs := templateDocuments(files, m.split)
	rs, err := decodeParallel(docs, reader)
	if err != nil {
		return nil, fmt.Errorf("chart %s: %w", name, err)
	}
	var generic, hooks []*manifest.Resource
	for _, r := range rs {
		hook, ok := r.Annotations[argocd.AnnotationHelmHook]
		if !ok {
			generic = append(generic, r)
			continue
		}
		if !argocd.KnownHelmHooks(hook) {
			warn(fmt.Sprintf("%s: %s left out: unknown %s %q (helm template leaves it out too)", r.Where(), r, argocd.AnnotationHelmHook, hook))
			continue
		}
		hooks = append(hooks, r)
	}
	sortByOrder(generic, m.order)
	sortByOrder(hooks, m.order)
	if m.trimFinal {
		if err := trimLastManifest(generic, docs, reader); err != nil {
			return nil, fmt.Errorf("chart %s: %w", name, err)
		}
	}
	out = append(out, generic...)
	return append(out, hooks...), nil
}

var installOrder = func() map[string]int {
	m := make(map[string]int, len(releaseutil.InstallOrder))
	for i, k := range releaseutil.InstallOrder {
		m[k] = i
	}
	return m
}()

// sortByOrder is helm's sort by kind: known kinds in the given install
// order, then unknown kinds alphabetically, stable otherwise.
func sortByOrder(rs []*manifest.Resource, order map[string]int) {
	sort.SliceStable(rs, func(i, j int) bool {
		a, b := rs[i].Kind, rs[j].Kind
		ai, aok := order[a]
		bi, bok := order[b]
		switch {
		case !aok && !bok:
			return a < b
		case !aok:
			return false
		case !bok:
			return true
		}
		return ai < bi
	})
}

type sourcedDoc struct {
	source string
	doc    manifest.Document
}

// templateDocuments returns the documents of the rendered templates in
// helm's order (template paths sorted, documents in file order), leaving
// out partials, NOTES.txt and empty files.
func templateDocuments(files map[string]string, split func(string) []manifest.Document) []sourcedDoc {
	names := make([]string, 0, len(files))
	for n, content := range files {
		if strings.HasPrefix(path.Base(n), "_") || strings.HasSuffix(n, "NOTES.txt") || strings.TrimSpace(content) == "" {
			continue
		}
		names = append(names, n)
	}
	sort.Strings(names)
	var docs []sourcedDoc
	for _, n := range names {
		for _, d := range split(files[n]) {
			docs = append(docs, sourcedDoc{source: n, doc: d})
		}
	}
	return docs
}

// decodeDocument parses one rendered document with reader
// (HelmOptions.reader).
func decodeDocument(source string, d manifest.Document, reader manifest.Reader) ([]*manifest.Resource, error) {
	return manifest.Decode(source, d.Text, manifest.Options{Format: manifest.OneDocument, Line: d.Line, Reader: reader})
}

// decodeStream is the same for the chart's crds/ files.
func decodeStream(source string, data []byte, reader manifest.Reader) ([]*manifest.Resource, error) {
	return manifest.Decode(source, data, manifest.Options{Reader: reader})
}

// decodeParallel decodes documents on all CPUs; the result keeps their order.
func decodeParallel(docs []sourcedDoc, reader manifest.Reader) ([]*manifest.Resource, error) {
	return inParallel(len(docs), func(i int) ([]*manifest.Resource, error) {
		return decodeDocument(docs[i].source, docs[i].doc, reader)
	})
}

// inParallel runs f for 0..n-1 on all CPUs (one goroutine below 8 items)
// and concatenates the results in index order; the error of the lowest
// failing index wins, so the outcome does not depend on scheduling.
func inParallel(n int, f func(i int) ([]*manifest.Resource, error)) ([]*manifest.Resource, error) {
	results := make([][]*manifest.Resource, n)
	errs := make([]error, n)
	workers := min(runtime.GOMAXPROCS(0), n)
	if n < 8 {
		workers = 1
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := int(next.Add(1)) - 1; i < n; i = int(next.Add(1)) - 1 {
				results[i], errs[i] = f(i)
			}
		})
	}
	wg.Wait()
	var out []*manifest.Resource
	for i := range n {
		if errs[i] != nil {
			return nil, errs[i]
		}
		out = append(out, results[i]...)
	}
	return out, nil
}

// SplitHelm splits a rendered template into documents with helm's
// semantics (releaseutil.SplitManifests, the regexp `(?:^|\s*\n)---\s*` on
// the trimmed text), without the regexp: "---" at the start of the text or
// right after a newline separates documents whatever follows it on the line
// ("---# comment" too); the whitespace after the dashes belongs to the
// separator; each document is trimmed and empty ones are left out. Line is
// the 1-based line of the document's first character in s.
func SplitHelm(s string) []manifest.Document {
	var docs []manifest.Document
	lead := len(s) - len(strings.TrimLeft(s, " \t\n\r\v\f\u0085\u00a0"))
	body := strings.TrimSpace(s)
	off := lead // offset of body in s
	line, counted := 1, 0
	lineAt := func(i int) int { // i is an offset in s, never decreasing
		line += strings.Count(s[counted:i], "\n")
		counted = i
		return line
	}
	add := func(from, to int) {
		seg := body[from:to]
		d := strings.TrimSpace(seg)
		if d == "" {
			return
		}
		first := from + strings.Index(seg, d)
		docs = append(docs, manifest.Document{Text: readOnlyBytes(d), Line: lineAt(off + first)})
	}
	start := 0
	if strings.HasPrefix(body, "---") {
		start = skipMarkers(body, 3)
	}
	for i := start; ; {
		j := strings.Index(body[i:], "\n---")
		if j < 0 {
			break
		}
		sep := i + j
		add(start, sep)
		start = skipMarkers(body, sep+4)
		i = start
	}
	add(start, len(body))
	return docs
}

// skipMarkers skips the whitespace after a separator's dashes (the
// regexp's trailing \s*). When that reaches another "---" followed by
// whitespace or the end, helm keeps it as the start of the next document,
// where YAML reads it as an explicit document start; it is skipped here too,
// so that no document starts with a marker: the parsed objects are the same.
func skipMarkers(s string, i int) int {
	i = skipRegexpSpace(s, i)
	for strings.HasPrefix(s[i:], "---") && (len(s) == i+3 || strings.ContainsRune(" \t\n\r", rune(s[i+3]))) {
		i = skipRegexpSpace(s, i+3)
	}
	return i
}

// skipRegexpSpace skips the characters of RE2's \s from i.
func skipRegexpSpace(s string, i int) int {
	for i < len(s) {
		switch s[i] {
		case ' ', '\t', '\n', '\f', '\r':
			i++
			continue
		}
		break
	}
	return i
}

// yamlMessage drops sigs.k8s.io/yaml's wrapping prefixes.
func yamlMessage(err error) string {
	msg := err.Error()
	msg = strings.TrimPrefix(msg, "error converting YAML to JSON: ")
	msg = strings.TrimPrefix(msg, "error unmarshaling JSON: while decoding JSON: ")
	return msg
}

// valueFilePath resolves a value file as Argo CD's repo-server does: a
// relative path from the chart directory, an absolute one from the
// repository root; symlinks resolved; the result strictly inside the root.
// It returns the root-relative path.
func valueFilePath(root *Root, dir, f string) (string, error) {
	if u, err := url.Parse(f); err == nil && u.Scheme != "" && len(u.Scheme) > 1 {
		return "", errors.New("URLs are not allowed (render never uses the network); put the file in the repository")
	}
	var p string
	if path.IsAbs(filepath.ToSlash(f)) {
		p = path.Clean(strings.TrimLeft(filepath.ToSlash(f), "/"))
	} else {
		p = path.Join(dir, filepath.ToSlash(f))
	}
	if p == ".." || strings.HasPrefix(p, "../") {
		return "", ErrEscape
	}
	if p == "." {
		return "", errors.New("resolves to the repository root itself")
	}
	real, err := root.Resolve(p)
	if err != nil {
		return "", err
	}
	rel, err := root.relReal(real)
	if err != nil {
		return "", err
	}
	if rel == "." {
		return "", errors.New("resolves to the repository root itself")
	}
	return rel, nil
}

// mergeMaps is helm's values merge (pkg/cli/values): maps merge
// recursively, anything else in b replaces a's value.
func mergeMaps(a, b map[string]any) map[string]any {
	out := make(map[string]any, len(a))
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		if v, ok := v.(map[string]any); ok {
			if bv, ok := out[k]; ok {
				if bv, ok := bv.(map[string]any); ok {
					out[k] = mergeMaps(bv, v)
					continue
				}
			}
		}
		out[k] = v
	}
	return out
}

var helmSDKVersion = sync.OnceValue(func() string {
	v := sdkVersion3
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, m := range bi.Deps {
			if m.Path == "helm.sh/helm/v3" && strings.HasPrefix(m.Version, "v") {
				return m.Version
			}
		}
	}
	return v
})

// ChartName returns the name in the chart's Chart.yaml (for the default
// release name).
func ChartName(root *Root, dir string) (string, error) {
	data, err := root.ReadFile(path.Join(path.Clean(dir), "Chart.yaml"))
	if err != nil {
		return "", fmt.Errorf("Chart.yaml: %w", err)
	}
	var m chart.Metadata
	if err := yaml.Unmarshal(data, &m); err != nil {
		return "", fmt.Errorf("Chart.yaml: %s", yamlMessage(err))
	}
	return m.Name, nil
}

// readOnlyBytes views a string as bytes without copying it. The rendered
// chart is ~all of syncwave's output; copying it doubles the memory for
// nothing: manifest never writes to a document's text.
func readOnlyBytes(s string) []byte {
	if s == "" {
		return nil
	}
	return unsafe.Slice(unsafe.StringData(s), len(s))
}
