package plugin

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/syncwave/syncwave/annotate"
)

// CollectionType is the shape of a parameter value, as Argo CD names it in
// a ParameterAnnouncement.
type CollectionType string

// The collection types Argo CD knows.
const (
	String CollectionType = "string"
	Array  CollectionType = "array"
	Map    CollectionType = "map"
)

// Parameter is one row of the parameter table.
type Parameter struct {
	// Name as written in the Application's spec.source.plugin.parameters.
	Name    string
	Title   string
	Tooltip string
	// Collection is the shape of the value; ItemType is "" (string) or
	// "boolean" (a hint for the UI: Argo CD sends every value as a string).
	Collection CollectionType
	ItemType   string
	// Default is what applies when neither a parameter nor an environment
	// variable sets a value (and the ordering file says nothing). It is
	// also what the static announcement shows, because Argo CD never sends
	// announced defaults to the plugin: the code must apply them itself.
	// Only the field matching Collection is used.
	Default Value
}

// Value is a parameter value: exactly one of its fields is meaningful,
// according to the parameter's Collection.
type Value struct {
	String string
	Array  []string
	Map    map[string]string
}

// empty reports whether v has nothing in the field its collection uses.
// Empty counts as not set: Argo CD 2.14 drops empty environment values and
// 3.x passes them, and both must behave the same.
func (v Value) empty(c CollectionType) bool {
	switch c {
	case Array:
		return len(v.Array) == 0
	case Map:
		return len(v.Map) == 0
	}
	return v.String == ""
}

// Parameter names.
const (
	ParamOrderFile      = "order-file"
	ParamOrder          = "order"
	ParamValuesFiles    = "values-files"
	ParamValues         = "values"
	ParamHelmParameters = "helm-parameters"
	ParamReleaseName    = "release-name"
	ParamAllowEmpty     = "allow-empty"
	ParamDependencies   = "dependency-annotations"
	ParamHelmVersion    = "helm-version"
	ParamArgoCDVersion  = "argocd-version"
	ParamPlanRecord     = "plan-record"
)

// Parameters is the table of plugin parameters. The static announcement in
// plugin.yaml, the defaults FromEnv applies, the environment variable names
// and the table of docs/install.md are all produced from it.
//
// order-file announces no default on purpose: an Application saved from
// the UI sends the announced value back, and an explicit order-file must
// exist, whereas the built-in default (syncwave.yaml when present) may be
// absent.
var Parameters = []Parameter{
	{
		Name:       ParamOrderFile,
		Title:      "Ordering file",
		Tooltip:    "Path of the ordering file (SyncOrder), relative to the application directory; a path starting with / is relative to the repository root. Default: syncwave.yaml in the application directory, when present.",
		Collection: String,
	},
	{
		Name:       ParamOrder,
		Title:      "Inline ordering",
		Tooltip:    "A whole SyncOrder document (YAML). Wins over the ordering file: use it to order a third-party chart without adding a file to its repository.",
		Collection: String,
	},
	{
		Name:       ParamValuesFiles,
		Title:      "Helm value files",
		Tooltip:    "Helm value files, read in order after those of the ordering file's helm source: relative to the chart directory, or from the repository root when they start with /. They must stay inside the repository.",
		Collection: Array,
	},
	{
		Name:       ParamValues,
		Title:      "Helm values",
		Tooltip:    "Helm values (a YAML document), merged after the value files.",
		Collection: String,
	},
	{
		Name:       ParamHelmParameters,
		Title:      "Helm parameters",
		Tooltip:    "Helm parameters (--set key=value), applied last. Keys use Helm's --set syntax (image.tag, list[0]); commas in values are escaped as Argo CD does.",
		Collection: Map,
	},
	{
		Name:       ParamReleaseName,
		Title:      "Helm release name",
		Tooltip:    "Helm release name. Default: the ordering file's releaseName, else the Application name (without its <namespace>_ prefix), else the chart name.",
		Collection: String,
	},
	{
		Name:       ParamAllowEmpty,
		Title:      "Allow empty output",
		Tooltip:    "Accept a rendering with no resources. Careful: with auto-prune an empty manifest set deletes every resource of the Application.",
		Collection: String,
		ItemType:   "boolean",
		Default:    Value{String: "false"},
	},
	{
		Name:       ParamDependencies,
		Title:      "Dependency annotations",
		Tooltip:    "Which dependency annotations on the resources become ordering edges: a comma list of " + annotate.SyntaxList() + ", or none. Default: all of them, unless the ordering file's dependencies block switches some off.",
		Collection: String,
	},
	{
		// No announced default: an Application saved from the UI would
		// send it back and override the ordering file's version.
		Name:       ParamHelmVersion,
		Title:      "Helm version",
		Tooltip:    "Render charts with Helm 3 or Helm 4 semantics: 3 or 4 (v3, v4 too). Argo CD up to 3.4 runs Helm 3, 3.5 and later Helm 4. Wins over a helm source's version in the ordering file. Default: the ordering file's version, else 4.",
		Collection: String,
	},
	{
		Name:       ParamArgoCDVersion,
		Title:      "Argo CD version",
		Tooltip:    "The Argo CD line syncwave matches where Argo CD's behaviour changed (the sync-option vocabulary of the ordering file): 2.14, 3.0 ... 3.5. Default: the current 3.x.",
		Collection: String,
	},
	{
		Name:       ParamPlanRecord,
		Title:      "Plan record",
		Tooltip:    "Add one ConfigMap, <app>-syncwave-plan, holding the sync plan (steps, reasons, what each wave waits for) for the Sync plan view of Argo CD's UI. It is synced in the first wave of the Sync phase and gates nothing; only it changes when only a reason changes.",
		Collection: String,
		ItemType:   "boolean",
		Default:    Value{String: "false"},
	},
}

// Lookup returns the table row of a parameter name.
func Lookup(name string) (Parameter, bool) {
	for _, p := range Parameters {
		if p.Name == name {
			return p, true
		}
	}
	return Parameter{}, false
}

// Names returns the parameter names in table order.
func Names() []string {
	names := make([]string, len(Parameters))
	for i, p := range Parameters {
		names[i] = p.Name
	}
	return names
}

// Escape is Argo CD's escaping of a parameter name (or map key) in PARAM_*
// variable names: upper case, then every character outside [A-Z0-9_]
// replaced by _.
func Escape(s string) string {
	return invalidEnvChar.ReplaceAllString(strings.ToUpper(s), "_")
}

var invalidEnvChar = regexp.MustCompile(`[^A-Z0-9_]`)

// EnvName is the sidecar variable of a parameter, e.g. SYNCWAVE_ORDER_FILE.
// An Application sets the same through plugin.env with that name, which
// Argo CD passes as ARGOCD_ENV_SYNCWAVE_ORDER_FILE.
func (p Parameter) EnvName() string { return envPrefix + Escape(p.Name) }

// AppEnvName is the variable an Application's plugin.env entry named
// EnvName arrives as.
func (p Parameter) AppEnvName() string { return appEnvPrefix + p.EnvName() }

const (
	envPrefix    = "SYNCWAVE_"
	appEnvPrefix = "ARGOCD_ENV_"
	paramPrefix  = "PARAM_"
)

// Announcement is Argo CD's ParameterAnnouncement, field for field (its
// JSON names are those of reposerver/apiclient ParameterAnnouncement).
type Announcement struct {
	Name           string            `json:"name,omitempty" yaml:"name,omitempty"`
	Title          string            `json:"title,omitempty" yaml:"title,omitempty"`
	Tooltip        string            `json:"tooltip,omitempty" yaml:"tooltip,omitempty"`
	Required       bool              `json:"required,omitempty" yaml:"required,omitempty"`
	ItemType       string            `json:"itemType,omitempty" yaml:"itemType,omitempty"`
	CollectionType string            `json:"collectionType,omitempty" yaml:"collectionType,omitempty"`
	String         string            `json:"string,omitempty" yaml:"string,omitempty"`
	Array          []string          `json:"array,omitempty" yaml:"array,omitempty"`
	Map            map[string]string `json:"map,omitempty" yaml:"map,omitempty"`
}

// Announce returns the announcement of a table row.
func (p Parameter) Announce() Announcement {
	a := Announcement{
		Name:           p.Name,
		Title:          p.Title,
		Tooltip:        p.Tooltip,
		ItemType:       p.ItemType,
		CollectionType: string(p.Collection),
	}
	switch p.Collection {
	case Array:
		a.Array = slices.Clone(p.Default.Array)
	case Map:
		a.Map = maps.Clone(p.Default.Map)
	default:
		a.String = p.Default.String
	}
	return a
}

// Static returns the static announcement: one entry per table row.
func Static() []Announcement {
	out := make([]Announcement, len(Parameters))
	for i, p := range Parameters {
		out[i] = p.Announce()
	}
	return out
}

var mdEscape = strings.NewReplacer("<", "&lt;", ">", "&gt;", "|", `\|`)

// MarkdownTable is the parameter table of docs/install.md.
func MarkdownTable() string {
	var b strings.Builder
	b.WriteString("| parameter | type | `plugin.env` / sidecar variable | default | meaning |\n")
	b.WriteString("|---|---|---|---|---|\n")
	for _, p := range Parameters {
		typ := string(p.Collection)
		if p.ItemType != "" {
			typ = p.ItemType
		}
		def := "—"
		switch {
		case p.Collection == String && p.Default.String != "":
			def = fmt.Sprintf("`%s`", p.Default.String)
		}
		fmt.Fprintf(&b, "| `%s` | %s | `%s` | %s | %s |\n", p.Name, typ, p.EnvName(), def, mdEscape.Replace(p.Tooltip))
	}
	return b.String()
}
