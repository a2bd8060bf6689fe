package order

import (
	"fmt"
	"slices"
	"strings"

	"github.com/syncwave/syncwave/argocd"
)

// APIVersion and Kind identify an ordering file.
const (
	APIVersion = "syncwave.io/v1alpha1"
	Kind       = "SyncOrder"
)

// SyncOrder is the content of syncwave.yaml.
type SyncOrder struct {
	APIVersion string `yaml:"apiVersion" json:"apiVersion"`
	Kind       string `yaml:"kind" json:"kind"`
	// Sources are rendered in order and concatenated. Empty: detected from
	// PATH by the renderer.
	Sources  []Source `yaml:"sources,omitempty" json:"sources,omitempty"`
	Defaults Defaults `yaml:"defaults,omitempty" json:"defaults,omitempty"`
	Groups   []Group  `yaml:"groups,omitempty" json:"groups,omitempty"`
	// AllowEmpty accepts a rendering that produces no resources.
	AllowEmpty bool `yaml:"allowEmpty,omitempty" json:"allowEmpty,omitempty"`
	// Dependencies says which dependency annotations on the resources
	// become ordering edges.
	Dependencies Dependencies `yaml:"dependencies,omitempty" json:"dependencies,omitempty"`
	// Lint says what `syncwave lint` findings do when the plugin renders.
	Lint Lint `yaml:"lint,omitempty" json:"lint,omitempty"`

	file  string         // as given to Decode
	lines map[string]int // field path -> line, filled by Decode
}

// ExistingAnnotations says what happens to the ordering annotations of a
// resource that no group selects.
type ExistingAnnotations string

const (
	// KeepExisting leaves them as they are (the default).
	KeepExisting ExistingAnnotations = "keep"
	// OverrideExisting replaces them by the defaults.
	OverrideExisting ExistingAnnotations = "override"
)

// Validate reports whether e is keep or override.
func (e ExistingAnnotations) Validate() error {
	switch e {
	case KeepExisting, OverrideExisting:
		return nil
	}
	return fmt.Errorf("expected %q or %q, found %q", KeepExisting, OverrideExisting, string(e))
}

// Defaults apply to resources no group selects (and HookDeletePolicy to hook
// groups that set none).
type Defaults struct {
	// Wave is the wave of an unpinned group with no bound, and the wave
	// written on unselected resources that have none. Default 0.
	Wave                *int                  `yaml:"wave,omitempty" json:"wave,omitempty"`
	HookDeletePolicy    argocd.DeletePolicies `yaml:"hookDeletePolicy,omitempty" json:"hookDeletePolicy,omitempty"`
	ExistingAnnotations ExistingAnnotations   `yaml:"existingAnnotations,omitempty" json:"existingAnnotations,omitempty"`
}

// DefaultWave returns Defaults.Wave, or 0 when it is not set.
func (d *Defaults) DefaultWave() int {
	if d.Wave == nil {
		return 0
	}
	return *d.Wave
}

// Group is a set of resources that share a phase, a wave and options.
type Group struct {
	Name   string     `yaml:"name" json:"name"`
	Select []Selector `yaml:"select,omitempty" json:"select,omitempty"`
	// Wave pins the group's wave; nil lets ComputeWaves choose it.
	Wave             *int                  `yaml:"wave,omitempty" json:"wave,omitempty"`
	After            []string              `yaml:"after,omitempty" json:"after,omitempty"`
	Before           []string              `yaml:"before,omitempty" json:"before,omitempty"`
	Hook             argocd.Hook           `yaml:"hook,omitempty" json:"hook,omitempty"`
	HookDeletePolicy argocd.DeletePolicies `yaml:"hookDeletePolicy,omitempty" json:"hookDeletePolicy,omitempty"`
	SyncOptions      []SyncOption          `yaml:"syncOptions,omitempty" json:"syncOptions,omitempty"`
	// Optional groups may select no resource.
	Optional bool `yaml:"optional,omitempty" json:"optional,omitempty"`
}

// Phase is the sync phase of the group's resources.
func (g *Group) Phase() argocd.Phase { return g.Hook.Phase() }

// File is the file name given to Decode ("" for an order built in code).
func (o *SyncOrder) File() string { return o.file }

// Line returns the line of a field path as Decode saw it, e.g. "groups[2]"
// or "groups[2].after[0]". For a path it did not record it tries the
// enclosing paths; 0 when unknown.
func (o *SyncOrder) Line(path string) int {
	for path != "" {
		if l, ok := o.lines[path]; ok {
			return l
		}
		path = parentPath(path)
	}
	return 0
}

// GroupLine returns the line where groups[i] starts (0 when unknown).
func (o *SyncOrder) GroupLine(i int) int { return o.Line(groupPath(i)) }

// Errorf returns a FieldError at path with the file and line Decode saw.
func (o *SyncOrder) Errorf(path, format string, args ...any) *FieldError {
	return NewFieldError(o.file, o.Line(path), path, format, args...)
}

func groupPath(i int) string { return fmt.Sprintf("groups[%d]", i) }

// parentPath strips the last element of a field path: "a.b[2]" -> "a.b",
// "a.b" -> "a", "a" -> "".
func parentPath(p string) string {
	for i := len(p) - 1; i >= 0; i-- {
		switch p[i] {
		case '.':
			return p[:i]
		case '[':
			if i > 0 {
				return p[:i]
			}
			return ""
		case '"':
			// a quoted key: labels["a.b/c"]; skip to its opening quote
			j := i - 1
			for j >= 0 && p[j] != '"' {
				j--
			}
			if j > 0 && p[j-1] == '[' {
				return p[:j-1]
			}
			i = j
		}
	}
	return ""
}

// Dependencies switches each dependency annotation syntax on or off (an
// unset one is on) and the edges inferred from references (off unless
// set). order does not know the syntaxes: annotate's table does, and its
// names reach Decode and ParseSyntaxList as a list. In the ordering file a
// syntax's key is its name in lower camel case (SyntaxKey: depends-on is
// dependsOn), beside references.
type Dependencies struct {
	// Syntaxes switches syntaxes by name ("depends-on"); one it does not
	// hold is on.
	Syntaxes map[string]bool `yaml:"-" json:"-"`
	// References, when true, turns the references a workload's pod template
	// makes (its ServiceAccount, ConfigMaps, Secrets) and those of a
	// RoleBinding or ClusterRoleBinding (its Role or ClusterRole, its
	// subject ServiceAccounts) into edges: the referrer comes after the
	// object it references when both are in the output and in the same
	// phase. These are the references of lint's reference-planned-later
	// rule, except PersistentVolumeClaims (see annotate). Off by default: it
	// changes the waves of resources nobody ordered.
	References *bool `yaml:"references,omitempty" json:"references,omitempty"`
}

// SyntaxKey returns the key that switches a syntax in the ordering file's
// dependencies block: its name in lower camel case ("depends-on" ->
// "dependsOn", "helm" -> "helm").
func SyntaxKey(name string) string {
	var b strings.Builder
	upper := false
	for _, c := range name {
		switch {
		case c == '-':
			upper = true
		case upper:
			b.WriteString(strings.ToUpper(string(c)))
			upper = false
		default:
			b.WriteRune(c)
		}
	}
	return b.String()
}

// InferReferences reports whether references become edges (References).
func (d Dependencies) InferReferences() bool { return d.References != nil && *d.References }

// Enabled reports whether a syntax is read: unless Syntaxes switches it
// off (so a name no syntax has is "on" too; callers ask about the table).
func (d Dependencies) Enabled(syntax string) bool {
	on, set := d.Syntaxes[syntax]
	return !set || on
}

// ParseSyntaxList reads the value of --dependency-annotations: a comma
// list of the syntaxes to read ("depends-on,helm"), or "none", against the
// names of the known syntaxes. Every syntax it does not name is switched
// off.
func ParseSyntaxList(s string, syntaxes []string) (Dependencies, error) {
	on := map[string]bool{}
	if strings.TrimSpace(s) != "none" {
		for _, item := range strings.Split(s, ",") {
			item = strings.TrimSpace(item)
			if !slices.Contains(syntaxes, item) {
				return Dependencies{}, fmt.Errorf("unknown dependency annotation syntax %q%s; expected a comma list of %s, or \"none\"", item, didYouMean(item, syntaxes), quoteList(syntaxes))
			}
			on[item] = true
		}
	}
	d := Dependencies{Syntaxes: make(map[string]bool, len(syntaxes))}
	for _, name := range syntaxes {
		d.Syntaxes[name] = on[name]
	}
	return d, nil
}

// Lint configures the lint findings of the plugin's generate: they are
// printed as warnings (to the repo-server's log) and fail the rendering only
// at or above FailOn.
type Lint struct {
	// FailOn is "error", "warning" or "" (never fail: the default, so that a
	// false positive cannot block a deploy).
	FailOn string `yaml:"failOn,omitempty" json:"failOn,omitempty"`
}
