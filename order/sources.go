package order

import (
	"fmt"
	"strings"
)

// Source kinds. A kind of source is described in this file only: its
// field of Source, its entry type, and its entry of sourceKinds (the name,
// the files that make detection choose it, the defaults and the checks).
// Its renderer, render/<kind>.go, registers under the same name
// (render.RegisterSource). Adding a kind (say Jsonnet) touches these two
// files; schema.json follows by go generate ./order (TestCommittedSchema
// in internal/schemagen fails when it is stale), and
// TestEverySourceKindRenders (pipeline) checks that every kind here has a
// renderer.

// Source is one entry of sources: exactly one of its fields is set.
type Source struct {
	Directory *DirectorySource `yaml:"directory,omitempty" json:"directory,omitempty"`
	Helm      *HelmSource      `yaml:"helm,omitempty" json:"helm,omitempty"`
	Kustomize *KustomizeSource `yaml:"kustomize,omitempty" json:"kustomize,omitempty"`
}

// sourceKind is one kind of source.
type sourceKind struct {
	// name is the key of the entry in sources[i] ("helm").
	name string
	// spec returns the entry's field when it is set, else nil.
	spec func(*Source) sourceSpec
	// detect lists the files (in the application directory) that make
	// detection choose this kind, in the order tried; the kind without any
	// is the fallback.
	detect []string
	// new returns a source of this kind with path ".".
	new func() Source
}

// sourceSpec is what every entry type provides.
type sourceSpec interface {
	// pathField is the entry's path field.
	pathField() *string
	// check reports the entry's own problems at kp ("sources[0].helm").
	check(kp string, addf func(p, format string, args ...any))
}

// sourceKinds are the kinds of source, in the order messages list them.
var sourceKinds = []sourceKind{
	{
		name: "directory",
		spec: func(s *Source) sourceSpec {
			if s.Directory == nil {
				return nil
			}
			return s.Directory
		},
		new: func() Source { return Source{Directory: &DirectorySource{Path: "."}} },
	},
	{
		name: "helm",
		spec: func(s *Source) sourceSpec {
			if s.Helm == nil {
				return nil
			}
			return s.Helm
		},
		detect: []string{"Chart.yaml"},
		new:    func() Source { return Source{Helm: &HelmSource{Path: "."}} },
	},
	{
		name: "kustomize",
		spec: func(s *Source) sourceSpec {
			if s.Kustomize == nil {
				return nil
			}
			return s.Kustomize
		},
		detect: []string{"kustomization.yaml", "kustomization.yml", "Kustomization"},
		new:    func() Source { return Source{Kustomize: &KustomizeSource{Path: "."}} },
	},
}

// SourceKinds returns the names of the kinds of source ("directory",
// "helm", "kustomize"), in the order messages list them.
func SourceKinds() []string {
	names := make([]string, len(sourceKinds))
	for i, k := range sourceKinds {
		names[i] = k.name
	}
	return names
}

// DetectSource chooses the source of an application directory without an
// ordering file's sources: the first kind one of whose files exists
// (Chart.yaml: helm, a kustomization: kustomize), else directory.
func DetectSource(exists func(file string) bool) Source {
	var fallback *sourceKind
	for i := range sourceKinds {
		k := &sourceKinds[i]
		if len(k.detect) == 0 {
			if fallback == nil {
				fallback = k
			}
			continue
		}
		for _, f := range k.detect {
			if exists(f) {
				return k.new()
			}
		}
	}
	return fallback.new()
}

// set returns the kinds whose fields are set, in table order, with their
// entries.
func (s *Source) set() ([]*sourceKind, []sourceSpec) {
	var kinds []*sourceKind
	var specs []sourceSpec
	for i := range sourceKinds {
		if sp := sourceKinds[i].spec(s); sp != nil {
			kinds, specs = append(kinds, &sourceKinds[i]), append(specs, sp)
		}
	}
	return kinds, specs
}

// Kind returns the name of the kind that is set: "directory", "helm",
// "kustomize" ("" when none is set; the first set one when several are,
// which Validate rejects).
func (s *Source) Kind() string {
	if kinds, _ := s.set(); len(kinds) > 0 {
		return kinds[0].name
	}
	return ""
}

// Path returns the path of whichever source is set.
func (s *Source) Path() string {
	if _, specs := s.set(); len(specs) > 0 {
		return *specs[0].pathField()
	}
	return ""
}

// defaultPath sets the path of the first entry that is set and has none
// to ".".
func (s *Source) defaultPath() {
	_, specs := s.set()
	for _, sp := range specs {
		if p := sp.pathField(); *p == "" {
			*p = "."
			return
		}
	}
}

func (o *SyncOrder) validateSource(i int) []*FieldError {
	var errs []*FieldError
	sp := fmt.Sprintf("sources[%d]", i)
	addf := func(p, format string, args ...any) { errs = append(errs, o.Errorf(p, format, args...)) }
	s := &o.Sources[i]
	kinds, specs := s.set()
	switch len(kinds) {
	case 0:
		addf(sp, "expected exactly one of %s; found none", strings.Join(SourceKinds(), ", "))
		return errs
	case 1:
	default:
		names := make([]string, len(kinds))
		for j, k := range kinds {
			names[j] = k.name
		}
		addf(sp, "expected exactly one of %s; found %s", strings.Join(SourceKinds(), ", "), strings.Join(names, " and "))
		return errs
	}
	kp := sp + "." + kinds[0].name
	if err := checkRelPath(s.Path()); err != nil {
		addf(kp+".path", "%s", err.Error())
	}
	specs[0].check(kp, addf)
	return errs
}

// DirectorySource renders plain manifests with Argo CD's directory
// semantics. Include and Exclude are globs without separators matched
// against the file path relative to PATH (see CompileGlob).
type DirectorySource struct {
	Path    string `yaml:"path,omitempty" json:"path,omitempty"`
	Recurse bool   `yaml:"recurse,omitempty" json:"recurse,omitempty"`
	Include string `yaml:"include,omitempty" json:"include,omitempty"`
	Exclude string `yaml:"exclude,omitempty" json:"exclude,omitempty"`
}

// HelmSource renders a chart as `helm template` would. This package only
// decodes and validates it.
type HelmSource struct {
	Path                    string   `yaml:"path,omitempty" json:"path,omitempty"`
	ReleaseName             string   `yaml:"releaseName,omitempty" json:"releaseName,omitempty"`
	Namespace               string   `yaml:"namespace,omitempty" json:"namespace,omitempty"`
	ValueFiles              []string `yaml:"valueFiles,omitempty" json:"valueFiles,omitempty"`
	IgnoreMissingValueFiles bool     `yaml:"ignoreMissingValueFiles,omitempty" json:"ignoreMissingValueFiles,omitempty"`
	// Values is a free-form mapping, applied after ValueFiles. Nested
	// mappings are map[string]any.
	Values      map[string]any  `yaml:"values,omitempty" json:"values,omitempty"`
	Parameters  []HelmParameter `yaml:"parameters,omitempty" json:"parameters,omitempty"`
	KubeVersion string          `yaml:"kubeVersion,omitempty" json:"kubeVersion,omitempty"`
	APIVersions []string        `yaml:"apiVersions,omitempty" json:"apiVersions,omitempty"`
	SkipCRDs    bool            `yaml:"skipCrds,omitempty" json:"skipCrds,omitempty"`
	// Version is the Helm whose semantics render the chart, as Argo CD's
	// spec.source.helm.version: "v3" (Argo CD up to 3.4) or "v4" (3.5+);
	// "" leaves it to --helm-version / the plugin (default v4).
	Version string `yaml:"version,omitempty" json:"version,omitempty"`
}

// HelmParameter is one --set (or, with ForceString, --set-string).
type HelmParameter struct {
	Name        string `yaml:"name" json:"name"`
	Value       string `yaml:"value" json:"value"`
	ForceString bool   `yaml:"forceString,omitempty" json:"forceString,omitempty"`
}

// KustomizeSource renders a Kustomize overlay.
type KustomizeSource struct {
	Path string `yaml:"path,omitempty" json:"path,omitempty"`
}

func (d *DirectorySource) pathField() *string { return &d.Path }

func (d *DirectorySource) check(kp string, addf func(p, format string, args ...any)) {
	for _, f := range []struct{ name, pattern string }{{"include", d.Include}, {"exclude", d.Exclude}} {
		if f.pattern == "" {
			continue
		}
		if _, err := CompileGlob(f.pattern); err != nil {
			addf(kp+"."+f.name, "%s", err.Error())
		}
	}
}

func (h *HelmSource) pathField() *string { return &h.Path }

func (h *HelmSource) check(kp string, addf func(p, format string, args ...any)) {
	if h.ReleaseName != "" && (len(h.ReleaseName) > 53 || !dns1123Subdomain.MatchString(h.ReleaseName)) {
		addf(kp+".releaseName", "invalid release name %q: expected at most 53 lower-case letters, digits, '-' and '.', starting and ending with a letter or digit", h.ReleaseName)
	}
	if h.Namespace != "" && (len(h.Namespace) > 63 || !dns1123Label.MatchString(h.Namespace)) {
		addf(kp+".namespace", "invalid namespace %q: expected a DNS-1123 label", h.Namespace)
	}
	for j, vf := range h.ValueFiles {
		if strings.TrimSpace(vf) == "" {
			addf(fmt.Sprintf("%s.valueFiles[%d]", kp, j), "empty value file name")
		}
	}
	for j, p := range h.Parameters {
		if strings.TrimSpace(p.Name) == "" {
			addf(fmt.Sprintf("%s.parameters[%d]", kp, j), "missing name")
		}
	}
	if h.KubeVersion != "" && !kubeVersionRe.MatchString(h.KubeVersion) {
		addf(kp+".kubeVersion", "invalid Kubernetes version %q: expected e.g. 1.29 or v1.29.3", h.KubeVersion)
	}
	switch h.Version {
	case "", "v3", "v4", "3", "4":
	default:
		addf(kp+".version", "invalid Helm version %q: expected v3 or v4", h.Version)
	}
	for j, av := range h.APIVersions {
		if !apiVersionRe.MatchString(av) {
			addf(fmt.Sprintf("%s.apiVersions[%d]", kp, j), "invalid API version %q: expected group/version or group/version/Kind, e.g. apps/v1 or monitoring.coreos.com/v1/ServiceMonitor", av)
		}
	}
}

func (k *KustomizeSource) pathField() *string { return &k.Path }

func (k *KustomizeSource) check(string, func(p, format string, args ...any)) {}
