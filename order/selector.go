package order

import (
	"fmt"
	"strings"

	"github.com/gobwas/glob"

	"github.com/syncwave/syncwave/manifest"
)

// Selector picks resources. Every field given must match; a resource joins
// a group when any of the group's selectors matches it.
type Selector struct {
	// APIVersion matches apiVersion exactly ("apps/v1"). Not with Group.
	APIVersion string `yaml:"apiVersion,omitempty" json:"apiVersion,omitempty"`
	// Group matches the API group ("" for the core group). Not with
	// APIVersion.
	Group *string `yaml:"group,omitempty" json:"group,omitempty"`
	// Kind matches kind exactly.
	Kind string `yaml:"kind,omitempty" json:"kind,omitempty"`
	// Name, Namespace and Path are globs (see CompileGlob). Namespace is
	// metadata.namespace as rendered ("" when unset); Path is the source
	// path (file relative to PATH, or the Helm template path).
	Name      string `yaml:"name,omitempty" json:"name,omitempty"`
	Namespace string `yaml:"namespace,omitempty" json:"namespace,omitempty"`
	Path      string `yaml:"path,omitempty" json:"path,omitempty"`
	// Labels and Annotations: each key must be present with this value.
	Labels      map[string]string `yaml:"labels,omitempty" json:"labels,omitempty"`
	Annotations map[string]string `yaml:"annotations,omitempty" json:"annotations,omitempty"`

	c *compiledSelector // set by Compile
}

type compiledSelector struct {
	name, namespace, path glob.Glob // nil when the field is empty
}

// CompileGlob compiles a glob the way Argo CD compiles directory
// include/exclude patterns: gobwas/glob without separators, so "*" also
// matches "/", and {a,b} alternatives work. It never panics.
func CompileGlob(pattern string) (g glob.Glob, err error) {
	defer func() {
		if r := recover(); r != nil {
			g, err = nil, fmt.Errorf("invalid glob %q: %v", pattern, r)
		}
	}()
	if strings.IndexByte(pattern, 0) >= 0 {
		// gobwas/glob reads NUL as the end of the pattern.
		return nil, fmt.Errorf("invalid glob %q: contains a NUL character", pattern)
	}
	g, err = glob.Compile(pattern)
	if err != nil {
		return nil, fmt.Errorf("invalid glob %q: %w", pattern, err)
	}
	return g, nil
}

// IsLiteral reports whether a glob pattern has no special characters, so
// that it matches only itself.
func IsLiteral(pattern string) bool { return !strings.ContainsAny(pattern, `*?[]{}\!`) }

// IsEmpty reports whether s has no field set (and so would match
// everything, which Validate rejects).
func (s *Selector) IsEmpty() bool {
	return s.APIVersion == "" && s.Group == nil && s.Kind == "" && s.Name == "" &&
		s.Namespace == "" && s.Path == "" && len(s.Labels) == 0 && len(s.Annotations) == 0
}

// Compile checks the selector and compiles its globs for Matches. Validate
// calls it; it need not be called again. Not safe for concurrent use with
// Matches.
func (s *Selector) Compile() error {
	c, err := s.compile()
	if err != nil {
		return err
	}
	s.c = c
	return nil
}

func (s *Selector) compile() (*compiledSelector, error) {
	var errs []error
	if s.IsEmpty() {
		errs = append(errs, fmt.Errorf("empty selector would match every resource; give at least one of apiVersion, group, kind, name, namespace, path, labels, annotations"))
	}
	if s.APIVersion != "" && s.Group != nil {
		errs = append(errs, fmt.Errorf("apiVersion %q and group %q both given; use one (group matches every version)", s.APIVersion, *s.Group))
	}
	if strings.ContainsAny(s.Kind, "*?[{") {
		errs = append(errs, fmt.Errorf("kind %q: kind is matched exactly, globs are not supported", s.Kind))
	}
	c := &compiledSelector{}
	for _, f := range []struct {
		name, pattern string
		g             *glob.Glob
	}{{"name", s.Name, &c.name}, {"namespace", s.Namespace, &c.namespace}, {"path", s.Path, &c.path}} {
		if f.pattern == "" {
			continue
		}
		g, err := CompileGlob(f.pattern)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", f.name, err))
			continue
		}
		*f.g = g
	}
	if err := joinMsgs(errs); err != nil {
		return nil, err
	}
	return c, nil
}

// Matches reports whether every field given in s matches r. A selector that
// was not compiled is compiled for this call only (slow); one that does not
// compile matches nothing.
func (s *Selector) Matches(r *manifest.Resource) bool {
	c := s.c
	if c == nil {
		var err error
		if c, err = s.compile(); err != nil {
			return false
		}
	}
	if s.Kind != "" && s.Kind != r.Kind {
		return false
	}
	if s.APIVersion != "" && s.APIVersion != r.APIVersion {
		return false
	}
	if s.Group != nil && *s.Group != r.Group() {
		return false
	}
	if c.name != nil && !c.name.Match(r.Name) {
		return false
	}
	if c.namespace != nil && !c.namespace.Match(r.Namespace) {
		return false
	}
	if c.path != nil && !c.path.Match(r.Source) {
		return false
	}
	for k, v := range s.Labels {
		if got, ok := r.Labels[k]; !ok || got != v {
			return false
		}
	}
	for k, v := range s.Annotations {
		if got, ok := r.Annotations[k]; !ok || got != v {
			return false
		}
	}
	return true
}
