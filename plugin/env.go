package plugin

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/syncwave/syncwave/annotate"
	"github.com/syncwave/syncwave/argocd"
	"github.com/syncwave/syncwave/order"
	"github.com/syncwave/syncwave/render"
)

// DefaultTimeout is syncwave's own deadline for one generation. The
// repo-server's gRPC deadline (60 s by default) is the only limit Argo CD
// applies to a sidecar command and it kills the command without a useful
// message; failing first gives the user a clear error.
const DefaultTimeout = 45 * time.Second

// Argo CD's build environment, as the cmp-server passes it to plugin
// commands.
const (
	EnvAppName       = "ARGOCD_APP_NAME"
	EnvAppNamespace  = "ARGOCD_APP_NAMESPACE"
	EnvAppProject    = "ARGOCD_APP_PROJECT_NAME" // Argo CD 3.x only
	EnvAppRevision   = "ARGOCD_APP_REVISION"
	EnvSourcePath    = "ARGOCD_APP_SOURCE_PATH"
	EnvSourceRepoURL = "ARGOCD_APP_SOURCE_REPO_URL"
	EnvKubeVersion   = "KUBE_VERSION"
	EnvAPIVersions   = "KUBE_API_VERSIONS"
	EnvAppParameters = "ARGOCD_APP_PARAMETERS"
	// EnvTimeout is syncwave's own deadline, set in the sidecar.
	EnvTimeout = "SYNCWAVE_TIMEOUT"
	// EnvArgoCDCM names Argo CD's argocd-cm ConfigMap in the sidecar (a
	// YAML file, or the directory a configMap volume mounts): its health
	// checks count in what lint reports.
	EnvArgoCDCM = "SYNCWAVE_ARGOCD_CM"
	// EnvMaxMemory and EnvMaxOutput are the memory budget and the output
	// size limit of a rendering, set in the sidecar (read by the CLI).
	EnvMaxMemory = "SYNCWAVE_MAX_MEMORY"
	EnvMaxOutput = "SYNCWAVE_MAX_OUTPUT"
	// EnvSandbox is how the kernel seal treats a missing layer: require
	// (refuse to run), off (no seal, for debugging), else degrade with a
	// warning (read by the CLI; internal/sandbox/seal).
	EnvSandbox = "SYNCWAVE_SANDBOX"
	// EnvRegistryConfig is the path of the OCI registry credentials file
	// that `syncwave init` uses (render.EnvRegistryConfig).
	EnvRegistryConfig = "SYNCWAVE_REGISTRY_CONFIG"
	// EnvRepositoryConfig (a repositories.yaml file) and EnvRepoURL,
	// EnvRepoUsername, EnvRepoPassword are the chart repository
	// credentials of `syncwave init` (render.EnvRepositoryConfig, …).
	EnvRepositoryConfig = "SYNCWAVE_REPOSITORY_CONFIG"
	EnvRepoURL          = "SYNCWAVE_REPO_URL"
	EnvRepoUsername     = "SYNCWAVE_REPO_USERNAME"
	EnvRepoPassword     = "SYNCWAVE_REPO_PASSWORD"
	// EnvRegistryCAFile is a PEM file of certificate authorities trusted
	// for OCI registries (render.EnvRegistryCAFile).
	EnvRegistryCAFile = "SYNCWAVE_REGISTRY_CA_FILE"
	// EnvAllowHosts and EnvAllowNetworks open the sidecar's connect policy
	// (egress.EnvAllowHosts, egress.EnvAllowNetworks).
	EnvAllowHosts    = "SYNCWAVE_ALLOW_HOSTS"
	EnvAllowNetworks = "SYNCWAVE_ALLOW_NETWORKS"
)

// sidecarOnly are the variables the operator sets in the sidecar's
// environment; an Application's plugin.env cannot set them.
var sidecarOnly = []string{EnvTimeout, EnvArgoCDCM, EnvMaxMemory, EnvMaxOutput, EnvParallelism, EnvRegistryConfig, EnvRegistryCAFile,
	EnvRepositoryConfig, EnvRepoURL, EnvRepoUsername, EnvRepoPassword, EnvAllowHosts, EnvAllowNetworks, EnvSandbox}

// Inputs is everything one plugin command takes from Argo CD, already
// merged by precedence. The zero value of a field means "not set", so the
// ordering file (and then the built-in defaults) decide.
type Inputs struct {
	// AppDir is the working directory: the application's path inside the
	// unpacked repository. RepoRoot is the boundary no path may leave.
	AppDir   string
	RepoRoot string

	// From the plugin parameters, the Application's plugin.env and the
	// sidecar's environment, in that order of precedence.
	OrderFile      string // absolute; "" for syncwave.yaml when present
	Order          []byte // inline SyncOrder; wins over OrderFile
	ValueFiles     []string
	Values         string
	HelmParameters map[string]string
	ReleaseName    string
	AllowEmpty     bool
	// AllowEmptySet says allow-empty was given (by a parameter or a
	// variable), so that it overrides the ordering file's allowEmpty.
	AllowEmptySet bool
	// PlanRecord asks generate to add the plan record (plan.Record).
	PlanRecord bool
	// Dependencies is dependency-annotations, nil when not given.
	Dependencies *order.Dependencies
	// HelmVersion is "3" or "4" (or v3, v4); "" leaves it to the ordering
	// file, else Helm 4.
	HelmVersion string
	// ArgoCDVersion is the Argo CD line to match ("" the current 3.x).
	ArgoCDVersion string

	// From Argo CD's build environment.
	AppName     string // may be "<namespace>_<name>"
	Namespace   string
	Project     string // Argo CD 3.x only
	Revision    string
	SourcePath  string
	RepoURL     string
	KubeVersion string // "1.29" (2.14) or "1.29.3" (3.4+), as given
	APIVersions []string

	// Timeout bounds one generation.
	Timeout time.Duration
	// ArgoCDCM is the argocd-cm file or directory (SYNCWAVE_ARGOCD_CM), "" for none.
	ArgoCDCM string

	// Origins says where each parameter's value came from: "parameter",
	// the variable name, or "default".
	Origins map[string]string
	// Warnings are problems that do not stop the command (unknown
	// SYNCWAVE_* variables in the sidecar's environment).
	Warnings []string
}

// FromEnv reads the inputs of a plugin command from an environment list
// (KEY=VALUE entries, later entries winning as in os/exec) and the working
// directory. It is a pure function: it reads no variable, file or clock.
//
// Precedence, highest first: the Application's plugin parameters
// (ARGOCD_APP_PARAMETERS when present, else PARAM_*), its plugin.env
// (ARGOCD_ENV_SYNCWAVE_*), the sidecar's own SYNCWAVE_*, then (applied by
// the pipeline) the ordering file, then the table's defaults. An empty
// value counts as not set.
func FromEnv(environ []string, workDir string) (Inputs, error) {
	env := envMap(environ)
	in := Inputs{
		AppDir:      filepath.Clean(workDir),
		AppName:     env[EnvAppName],
		Namespace:   env[EnvAppNamespace],
		Project:     env[EnvAppProject],
		Revision:    env[EnvAppRevision],
		SourcePath:  env[EnvSourcePath],
		RepoURL:     env[EnvSourceRepoURL],
		Timeout:     DefaultTimeout,
		Origins:     map[string]string{},
		APIVersions: splitList(env[EnvAPIVersions]),
	}
	if !filepath.IsAbs(in.AppDir) {
		return Inputs{}, fmt.Errorf("working directory %q is not absolute", workDir)
	}
	in.RepoRoot = RepoRoot(in.AppDir, in.SourcePath)

	var errs []error
	if kv := strings.TrimSpace(env[EnvKubeVersion]); kv != "" {
		if !kubeVersionRe.MatchString(kv) {
			errs = append(errs, fmt.Errorf("%s=%q: expected a Kubernetes version such as 1.29 or 1.29.3", EnvKubeVersion, kv))
		}
		// Argo CD 2.14 sends the cluster's MAJOR.MINOR ("1.29") and runs
		// Helm 3.16, which reads it as 1.29.0: .Capabilities.KubeVersion
		// .Version is "v1.29.0" there. Argo CD 3.4+ sends 1.29.3.
		if strings.Count(strings.TrimPrefix(kv, "v"), ".") == 1 {
			kv += ".0"
		}
		in.KubeVersion = kv
	}
	if s := env[EnvTimeout]; s != "" {
		d, err := parseTimeout(s)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s=%q: %w", EnvTimeout, s, err))
		}
		in.Timeout = d
	}
	in.ArgoCDCM = env[EnvArgoCDCM]
	unknown, warnings := unknownVariables(env)
	errs = append(errs, unknown...)
	in.Warnings = warnings

	params, err := appParameters(env)
	if err != nil {
		errs = append(errs, err)
	}
	values := map[string]Value{}
	for _, p := range Parameters {
		v, origin, err := resolve(p, params, env)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		values[p.Name] = v
		in.Origins[p.Name] = origin
	}
	if err := summarise(errs); err != nil {
		return Inputs{}, err
	}

	if f := values[ParamOrderFile].String; f != "" {
		if strings.HasPrefix(f, "/") {
			in.OrderFile = filepath.Join(in.RepoRoot, filepath.FromSlash(f))
		} else {
			in.OrderFile = filepath.Join(in.AppDir, filepath.FromSlash(f))
		}
	}
	if o := values[ParamOrder].String; o != "" {
		in.Order = []byte(o)
	}
	in.ValueFiles = values[ParamValuesFiles].Array
	in.Values = values[ParamValues].String
	in.HelmParameters = values[ParamHelmParameters].Map
	in.ReleaseName = values[ParamReleaseName].String
	allow := values[ParamAllowEmpty].String
	b, err := parseBool(allow)
	if err != nil {
		return Inputs{}, fmt.Errorf("parameter %q (%s): %w", ParamAllowEmpty, in.Origins[ParamAllowEmpty], err)
	}
	in.AllowEmpty = b
	if in.PlanRecord, err = parseBool(values[ParamPlanRecord].String); err != nil {
		return Inputs{}, fmt.Errorf("parameter %q (%s): %w", ParamPlanRecord, in.Origins[ParamPlanRecord], err)
	}
	in.ArgoCDVersion = values[ParamArgoCDVersion].String
	if _, err := argocd.Parse(in.ArgoCDVersion); err != nil {
		return Inputs{}, fmt.Errorf("parameter %q (%s): %w", ParamArgoCDVersion, in.Origins[ParamArgoCDVersion], err)
	}
	in.HelmVersion = values[ParamHelmVersion].String
	if _, err := render.ParseHelmVersion(in.HelmVersion); err != nil {
		return Inputs{}, fmt.Errorf("parameter %q (%s): %w", ParamHelmVersion, in.Origins[ParamHelmVersion], err)
	}
	in.AllowEmptySet = in.Origins[ParamAllowEmpty] != "default"
	if s := values[ParamDependencies].String; s != "" {
		d, err := order.ParseSyntaxList(s, annotate.SyntaxNames())
		if err != nil {
			return Inputs{}, fmt.Errorf("parameter %q (%s): %w", ParamDependencies, in.Origins[ParamDependencies], err)
		}
		in.Dependencies = &d
	}
	return in, nil
}

// resolve picks a parameter's value by precedence.
func resolve(p Parameter, params map[string]Value, env map[string]string) (Value, string, error) {
	if v, ok := params[p.Name]; ok && !v.empty(p.Collection) {
		return v, "parameter", nil
	}
	for _, name := range []string{p.AppEnvName(), p.EnvName()} {
		s := env[name]
		if s == "" {
			continue
		}
		v, err := parseEnvValue(p, s)
		if err != nil {
			return Value{}, "", fmt.Errorf("%s (parameter %q): %w", name, p.Name, err)
		}
		if !v.empty(p.Collection) {
			return v, name, nil
		}
	}
	return p.Default, "default", nil
}

// parseEnvValue reads a parameter from one variable: a string as is; an
// array as a JSON list or a comma-separated list; a map as a JSON object or
// comma-separated key=value pairs.
func parseEnvValue(p Parameter, s string) (Value, error) {
	switch p.Collection {
	case Array:
		if strings.HasPrefix(strings.TrimSpace(s), "[") {
			var a []string
			if err := json.Unmarshal([]byte(s), &a); err != nil {
				return Value{}, fmt.Errorf("expected a JSON list of strings: %w", err)
			}
			return Value{Array: dropEmpty(a)}, nil
		}
		return Value{Array: splitList(s)}, nil
	case Map:
		if strings.HasPrefix(strings.TrimSpace(s), "{") {
			var m map[string]string
			if err := json.Unmarshal([]byte(s), &m); err != nil {
				return Value{}, fmt.Errorf("expected a JSON object of strings: %w", err)
			}
			return Value{Map: m}, nil
		}
		m := map[string]string{}
		for _, kv := range splitList(s) {
			k, v, ok := strings.Cut(kv, "=")
			if !ok || strings.TrimSpace(k) == "" {
				return Value{}, fmt.Errorf("expected key=value pairs separated by commas (or a JSON object), found %q", kv)
			}
			m[strings.TrimSpace(k)] = v
		}
		return Value{Map: m}, nil
	}
	return Value{String: s}, nil
}

// appParameters reads the Application's plugin parameters:
// ARGOCD_APP_PARAMETERS when present (Argo CD always sends it alongside
// PARAM_*), else the PARAM_* variables.
func appParameters(env map[string]string) (map[string]Value, error) {
	if s := env[EnvAppParameters]; s != "" {
		return ParseParameters([]byte(s))
	}
	return paramVariables(env)
}

// rawParameter is one element of ARGOCD_APP_PARAMETERS.
type rawParameter struct {
	Name   string          `json:"name"`
	String json.RawMessage `json:"string"`
	Array  json.RawMessage `json:"array"`
	Map    json.RawMessage `json:"map"`
}

// ParseParameters parses ARGOCD_APP_PARAMETERS: Argo CD's JSON list of
// {name, string | array | map} ("null" when the Application has a plugin
// section without parameters). Every parameter must be in the table, appear
// once, and carry the collection the table says; unknown JSON fields are
// ignored for forward compatibility. Empty array elements are dropped.
func ParseParameters(data []byte) (map[string]Value, error) {
	var list []json.RawMessage
	if err := json.Unmarshal(data, &list); err != nil {
		return nil, fmt.Errorf("%s: malformed JSON, expected a list of {name, string|array|map}: %w", EnvAppParameters, err)
	}
	out := map[string]Value{}
	var errs []error
	var unknown []string
	for i, raw := range list {
		var rp rawParameter
		if err := json.Unmarshal(raw, &rp); err != nil {
			errs = append(errs, fmt.Errorf("%s[%d]: expected an object {name, string|array|map}, found %s", EnvAppParameters, i, abbreviate(raw)))
			continue
		}
		if rp.Name == "" {
			errs = append(errs, fmt.Errorf("%s[%d]: parameter without a name", EnvAppParameters, i))
			continue
		}
		p, ok := Lookup(rp.Name)
		if !ok {
			unknown = append(unknown, strconv.Quote(rp.Name))
			continue
		}
		if _, dup := out[p.Name]; dup {
			errs = append(errs, fmt.Errorf("parameter %q is given twice", p.Name))
			continue
		}
		v, err := decodeParameter(p, rp)
		if err != nil {
			errs = append(errs, fmt.Errorf("parameter %q: %w", p.Name, err))
			continue
		}
		out[p.Name] = v
	}
	if len(unknown) > 0 {
		errs = append([]error{unknownParameters(unknown, "")}, errs...)
	}
	return out, summarise(errs)
}

// maxListed is how many names or errors a message lists before it
// summarises the rest: Argo CD stores a plugin's error in the
// Application's status, so a tenant's 10,000 bad parameters must not
// become 10,000 lines there.
const maxListed = 10

// maxErrors is how many distinct errors summarise lists: each message about
// a variable carries the list of known ones, so a screenful is eight.
const maxErrors = 8

// unknownParameters is one error for every unknown parameter name, the
// first maxListed of them listed.
func unknownParameters(names []string, suffix string) error {
	word := "parameter"
	if len(names) > 1 {
		word = "parameters"
	}
	return fmt.Errorf("unknown %s %s%s (known: %s)", word, listSome(names), suffix, strings.Join(Names(), ", "))
}

func listSome(names []string) string {
	if len(names) <= maxListed {
		return strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(names[:maxListed], ", "), len(names)-maxListed)
}

// summarise joins errors, the identical ones once with a count, and at
// most maxErrors of them, then a count of the rest.
func summarise(errs []error) error {
	if len(errs) == 0 {
		return nil
	}
	count := map[string]int{}
	var distinct []error
	for _, e := range errs {
		if count[e.Error()]++; count[e.Error()] == 1 {
			distinct = append(distinct, e)
		}
	}
	var out []error
	for i, e := range distinct {
		if i == maxErrors {
			out = append(out, fmt.Errorf("… and %d more errors", len(distinct)-maxErrors))
			break
		}
		if n := count[e.Error()]; n > 1 {
			e = fmt.Errorf("%w (%d times)", e, n)
		}
		out = append(out, e)
	}
	return errors.Join(out...)
}

func decodeParameter(p Parameter, rp rawParameter) (Value, error) {
	// A field counts as given when it holds something: null, "", [] and
	// {} do not (so a UI that sends an empty string next to an array is
	// not a conflict).
	present := func(r json.RawMessage) bool {
		switch string(bytes.Join(bytes.Fields(r), nil)) {
		case "", "null", `""`, "[]", "{}":
			return false
		}
		return true
	}
	var given []CollectionType
	for _, g := range []struct {
		c CollectionType
		r json.RawMessage
	}{{String, rp.String}, {Array, rp.Array}, {Map, rp.Map}} {
		if present(g.r) {
			given = append(given, g.c)
		}
	}
	want := p.Collection
	switch {
	case len(given) == 0:
		return Value{}, nil
	case len(given) > 1:
		return Value{}, fmt.Errorf("expected only %s, found %s", describe(want), joinTypes(given))
	case given[0] != want:
		return Value{}, fmt.Errorf("expected %s, found %s", describe(want), describe(given[0]))
	}
	var v Value
	var err error
	switch want {
	case String:
		err = json.Unmarshal(rp.String, &v.String)
	case Array:
		err = json.Unmarshal(rp.Array, &v.Array)
		v.Array = dropEmpty(v.Array)
	case Map:
		err = json.Unmarshal(rp.Map, &v.Map)
	}
	if err != nil {
		return Value{}, fmt.Errorf("expected %s: %s", describe(want), jsonReason(err))
	}
	return v, nil
}

func describe(c CollectionType) string {
	switch c {
	case Array:
		return "an array (array: [...])"
	case Map:
		return "a map (map: {...})"
	}
	return "a string (string: ...)"
}

func joinTypes(cs []CollectionType) string {
	s := make([]string, len(cs))
	for i, c := range cs {
		s[i] = string(c)
	}
	return strings.Join(s, " and ")
}

func jsonReason(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return "found a JSON " + te.Value
	}
	return err.Error()
}

func abbreviate(b []byte) string {
	s := string(b)
	if len(s) > 40 {
		s = s[:40] + "…"
	}
	return s
}

// paramVariables reads PARAM_* variables, Argo CD's per-parameter form:
// PARAM_<ESC(name)> for a string, PARAM_<ESC(name)>_<i> for array
// elements, PARAM_<ESC(name)>_<ESC(key)> for map entries. The map form
// loses the keys' spelling (image.tag becomes IMAGE_TAG), so a map
// parameter is only accepted through ARGOCD_APP_PARAMETERS.
func paramVariables(env map[string]string) (map[string]Value, error) {
	type elem struct {
		i int
		v string
	}
	arrays := map[string][]elem{}
	out := map[string]Value{}
	var errs []error
	var unknownVars []string
	// longest escaped names first, so PARAM_ORDER_FILE is order-file and
	// not a map key FILE of order
	byLen := slices.Clone(Parameters)
	sort.SliceStable(byLen, func(i, j int) bool { return len(Escape(byLen[i].Name)) > len(Escape(byLen[j].Name)) })
	for _, k := range sortedKeys(env) {
		if !strings.HasPrefix(k, paramPrefix) {
			continue
		}
		rest := k[len(paramPrefix):]
		var p Parameter
		var suffix string
		found := false
		for _, q := range byLen {
			e := Escape(q.Name)
			if rest == e || strings.HasPrefix(rest, e+"_") {
				p, suffix, found = q, strings.TrimPrefix(rest, e), true
				break
			}
		}
		if !found {
			unknownVars = append(unknownVars, k)
			continue
		}
		shape := String
		idx := 0
		if suffix != "" {
			shape = Map
			if n, err := strconv.Atoi(suffix[1:]); err == nil && n >= 0 && strconv.Itoa(n) == suffix[1:] {
				shape, idx = Array, n
			}
		}
		switch {
		case p.Collection == Map:
			errs = append(errs, fmt.Errorf("%s: map parameter %q cannot be read from PARAM_* variables (Argo CD rewrites its keys); pass it through %s", k, p.Name, EnvAppParameters))
		case shape != p.Collection:
			errs = append(errs, fmt.Errorf("%s: parameter %q expected %s, found %s", k, p.Name, describe(p.Collection), describe(shape)))
		case shape == Array:
			arrays[p.Name] = append(arrays[p.Name], elem{idx, env[k]})
		default:
			out[p.Name] = Value{String: env[k]}
		}
	}
	for name, es := range arrays {
		sort.Slice(es, func(i, j int) bool { return es[i].i < es[j].i })
		var a []string
		for _, e := range es {
			if e.v != "" {
				a = append(a, e.v)
			}
		}
		out[name] = Value{Array: a}
	}
	switch len(unknownVars) {
	case 0:
	case 1:
		errs = append([]error{fmt.Errorf("%s: unknown parameter (known: %s)", unknownVars[0], strings.Join(Names(), ", "))}, errs...)
	default:
		errs = append([]error{fmt.Errorf("unknown parameters %s (known: %s)", listSome(unknownVars), strings.Join(Names(), ", "))}, errs...)
	}
	return out, summarise(errs)
}

// unknownVariables reports variables in syncwave's namespaces that it does
// not know: a misspelt name must not be silently ignored. An unknown
// ARGOCD_ENV_SYNCWAVE_* (an Application's plugin.env) is an error; an
// unknown SYNCWAVE_* in the sidecar's own environment only a warning, as
// that environment may hold other tools' variables (the cmp-server passes
// all of it).
func unknownVariables(env map[string]string) (errs []error, warnings []string) {
	known := map[string]bool{}
	for _, n := range sidecarOnly {
		known[n] = true
	}
	for _, p := range Parameters {
		known[p.EnvName()] = true
		known[p.AppEnvName()] = true
	}
	for _, k := range sortedKeys(env) {
		upper := strings.ToUpper(k)
		if !strings.HasPrefix(upper, envPrefix) && !strings.HasPrefix(upper, appEnvPrefix+envPrefix) {
			continue
		}
		if known[k] {
			continue
		}
		if strings.HasPrefix(upper, appEnvPrefix) {
			// plugin.env: only the parameters' variables.
			names := appEnvNames()
			name := k[len(appEnvPrefix):]
			if slices.Contains(sidecarOnly, name) {
				errs = append(errs, fmt.Errorf("%s: %s is set in the sidecar's environment by the operator, not through an Application's plugin.env; plugin.env may set: %s", k, name, strings.Join(names, ", ")))
				continue
			}
			hint := ""
			for _, n := range names {
				if strings.EqualFold(n, name) {
					hint = fmt.Sprintf(" (did you mean %s? names are case-sensitive)", appEnvPrefix+n)
				}
			}
			errs = append(errs, fmt.Errorf("unknown variable %s%s; plugin.env may set: %s", k, hint, strings.Join(names, ", ")))
			continue
		}
		hint := ""
		for n := range known {
			if strings.EqualFold(n, k) {
				hint = fmt.Sprintf(" (did you mean %s? names are case-sensitive)", n)
			}
		}
		names := append(knownEnvNames(), sidecarOnly...)
		warnings = append(warnings, fmt.Errorf("unknown variable %s%s; known: %s", k, hint, strings.Join(names, ", ")).Error()+" (ignored)")
	}
	return errs, warnings
}

// appEnvNames are the variables an Application's plugin.env may set (as
// the Application writes them, without ARGOCD_ENV_).
func appEnvNames() []string {
	names := []string{}
	for _, p := range Parameters {
		names = append(names, p.EnvName())
	}
	return names
}

func knownEnvNames() []string { return appEnvNames() }

// RepoRoot is the repository root under Argo CD: the working directory with
// ARGOCD_APP_SOURCE_PATH taken off its end, or the working directory itself
// when the two do not line up (or the source path is the root).
func RepoRoot(workDir, sourcePath string) string {
	workDir = filepath.Clean(workDir)
	sp := path.Clean("/" + filepath.ToSlash(sourcePath))[1:] // "" for the root
	if sp == "" || strings.Contains(sourcePath, "..") {
		return workDir
	}
	wd := filepath.ToSlash(workDir)
	if !strings.HasSuffix(wd, "/"+sp) {
		return workDir
	}
	root := filepath.FromSlash(strings.TrimSuffix(wd, "/"+sp))
	if root == "" {
		root = string(filepath.Separator)
	}
	return root
}

var kubeVersionRe = regexp.MustCompile(`^v?[0-9]+\.[0-9]+(\.[0-9]+)?([-+][0-9A-Za-z.+-]*)?$`)

// ParseTimeout accepts a Go duration (45s, 1m30s) or a number of seconds.
func ParseTimeout(s string) (time.Duration, error) { return parseTimeout(s) }

func parseTimeout(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	var d time.Duration
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		d = time.Duration(f * float64(time.Second))
	} else if d, err = time.ParseDuration(s); err != nil {
		return 0, errors.New("expected a duration such as 45s or 1m, or a number of seconds")
	}
	if d <= 0 {
		return 0, errors.New("expected a positive duration")
	}
	return d, nil
}

func parseBool(s string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true":
		return true, nil
	case "false", "":
		return false, nil
	}
	return false, fmt.Errorf("expected true or false, found %q", s)
}

// envMap turns KEY=VALUE entries into a map; later entries win, as in
// os/exec when the cmp-server appends the request's variables to its own.
func envMap(environ []string) map[string]string {
	m := make(map[string]string, len(environ))
	for _, kv := range environ {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			continue
		}
		m[k] = v
	}
	return m
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// splitList splits a comma-separated list, trimming spaces and dropping
// empty items.
func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

func dropEmpty(a []string) []string {
	var out []string
	for _, s := range a {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}
