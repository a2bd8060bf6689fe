package render

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"runtime/debug"
	"strings"
	"unicode/utf8"

	yaml2 "go.yaml.in/yaml/v2"
	yaml3 "go.yaml.in/yaml/v3"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/resmap"
	"sigs.k8s.io/kustomize/api/resource"
	"sigs.k8s.io/kustomize/api/types"

	"github.com/syncwave/syncwave/manifest"
)

// KustomizeOptions are the inputs of one kustomize build.
type KustomizeOptions struct {
	// Path is the kustomization directory, slash separated, relative to the
	// repository root.
	Path string
	// Warn receives kustomize's warnings (deprecated fields, vars never
	// replaced), which kustomize itself prints to stderr.
	Warn func(string)

	// fullPath prints each resource with kustomize's own AsYAML and reads
	// it with manifest.Full instead of the fast equivalents (see
	// kustomizeResources); TestFastDecodeOnKustomizations sets it to prove
	// the two byte-identical.
	fullPath bool
}

// kustomizationFiles are the names kustomize looks for, in its order.
var kustomizationFiles = []string{"kustomization.yaml", "kustomization.yml", "Kustomization"}

// Kustomize builds a kustomization in-process with krusty, as `kustomize
// build` does (legacy resource order unless the kustomization sets
// sortOptions), but safe for a tenant's repository: load restrictions
// root-only, builtin plugins only (no exec, container or KRM-function
// plugins, no helmCharts), a filesystem that cannot leave the repository
// root or write, and no remote bases or remote files: every resources,
// bases and components entry is checked up front and must exist inside the
// repository. Each resource's Source is ".": the caller names the
// kustomization directory.
func Kustomize(ctx context.Context, root *Root, o KustomizeOptions) ([]*manifest.Resource, error) {
	dir := path.Clean(o.Path)
	if err := checkKustomizations(root, dir, map[string]bool{}, o.Warn); err != nil {
		return nil, err
	}
	abs, err := root.Resolve(dir)
	if err != nil {
		return nil, err
	}
	opts := krusty.MakeDefaultOptions()
	opts.LoadRestrictions = types.LoadRestrictionsRootOnly
	opts.PluginConfig = types.DisabledPluginConfig()
	opts.Reorder = krusty.ReorderOptionUnspecified // as the CLI: legacy unless sortOptions
	k := krusty.MakeKustomizer(opts)
	defer raiseGC(kustomizeGCPercent)()
	var m resmap.ResMap
	err = quietly(o.Warn, func() error {
		var err error
		m, err = k.Run(newRootFS(root), abs)
		return err
	})
	if err != nil {
		msg := strings.ReplaceAll(strings.ReplaceAll(err.Error(), root.Dir()+"/", ""), root.Dir(), ".")
		if strings.Contains(msg, "external plugins disabled") || strings.Contains(msg, "--enable-exec") || strings.Contains(msg, "--enable-alpha-plugins") {
			msg += " (syncwave runs only kustomize's builtin generators and transformers: no exec, container or KRM-function plugins)"
		}
		return nil, errors.New(msg)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return kustomizeResources(m.Resources(), o.fullPath)
}

// kustomizeGCPercent is the garbage collector's target while krusty runs.
// krusty allocates a lot of short-lived YAML nodes (it deep-copies every
// node of every resource it reads, and encodes and re-parses each one on
// output); at Go's default of 100 about a third of `kustomize build`'s CPU
// time is garbage collection. 200 collects half as often; 400 gains a few
// percent more wall time (0.51–0.61× of kustomize build instead of ~0.55×)
// for another ~35 MiB of peak memory (208 MiB instead of 174 MiB on the
// generated 2 MB kustomization), which a repo-server sidecar pays on every
// generation, so 200 it is.
const kustomizeGCPercent = 200

// raiseGC sets the garbage collector's target to at least percent (a
// setting that is already higher, or GOGC=off, is kept) and returns the
// function that restores the previous setting.
func raiseGC(percent int) (restore func()) {
	old := debug.SetGCPercent(percent)
	if old < 0 || old > percent {
		debug.SetGCPercent(old)
	}
	return func() { debug.SetGCPercent(old) }
}

// kustomizeResources prints each resource as `kustomize build` does and
// decodes the text, on all CPUs, keeping the order. It prints with
// resourceYAML and reads with manifest.Fast, the fast equivalents of
// `kustomize build`'s (*resource.Resource).AsYAML and of the full parse
// (manifest.Full), which fullPath selects instead;
// TestFastDecodeOnKustomizations proves the output byte-identical.
func kustomizeResources(res []*resource.Resource, fullPath bool) ([]*manifest.Resource, error) {
	printYAML, reader := resourceYAML, manifest.Fast
	if fullPath {
		printYAML, reader = (*resource.Resource).AsYAML, manifest.Full
	}
	return inParallel(len(res), func(i int) ([]*manifest.Resource, error) {
		r := res[i]
		b, err := printYAML(r)
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", r.GetKind(), r.GetName(), err)
		}
		return manifest.Decode(".", b, manifest.Options{Format: manifest.OneDocument, Reader: reader})
	})
}

// resourceYAML returns the same bytes as r.AsYAML(), which `kustomize
// build` prints, for a fraction of the work. AsYAML encodes the node to
// YAML, parses that into a map (go.yaml.in/yaml/v3), marshals the map to
// JSON, parses the JSON with go.yaml.in/yaml/v2 and marshals the result
// (sigs.k8s.io/yaml.JSONToYAML). Here the node is decoded into the same map
// directly, the map is converted into the values yaml/v2 would have read
// back from the JSON, and only the last step, yaml/v2's Marshal, is the
// same. Whatever the conversion is not certain to reproduce (numbers other
// than integers go through JSON and yaml/v2 as before; non-string map keys,
// other types, strings with characters JSON or yaml/v2 would change or
// refuse) makes it fall back to AsYAML itself, so errors are AsYAML's too.
func resourceYAML(r *resource.Resource) ([]byte, error) {
	n := r.YNode()
	if n == nil || n.Kind != yaml3.MappingNode || !encodesAsDecoded(n, false, false) {
		return r.AsYAML()
	}
	m := map[string]any{}
	if err := n.Decode(&m); err != nil {
		return r.AsYAML()
	}
	v, ok := asJSONYAML(m)
	if !ok {
		return r.AsYAML()
	}
	b, err := yaml2.Marshal(v)
	if err != nil {
		return r.AsYAML()
	}
	return b, nil
}

// encodesAsDecoded reports whether yaml/v3 reads n's encoding back as the
// value n.Decode gives, which holds for every node except two shapes the
// encoder changes: a quoted or block scalar with a tag other than !!str
// (written without the tag, so read back as a string) and an empty scalar
// that is not a string, in a flow collection or as a key (written as an
// empty quoted string).
// Aliases are left to AsYAML too (krusty resolves them when reading).
func encodesAsDecoded(n *yaml3.Node, flow, key bool) bool {
	switch n.Kind {
	case yaml3.ScalarNode:
		str := n.Tag == "!!str" || n.Tag == "tag:yaml.org,2002:str"
		if !str && n.Tag != "" && n.Tag != "!" && n.Style&(yaml3.SingleQuotedStyle|yaml3.DoubleQuotedStyle|yaml3.LiteralStyle|yaml3.FoldedStyle) != 0 {
			return false
		}
		return n.Value != "" || str || !flow && !key
	case yaml3.MappingNode, yaml3.SequenceNode, yaml3.DocumentNode:
		flow = flow || n.Style&yaml3.FlowStyle != 0
		for i, c := range n.Content {
			if !encodesAsDecoded(c, flow, n.Kind == yaml3.MappingNode && i%2 == 0) {
				return false
			}
		}
		return true
	}
	return false
}

// asJSONYAML converts a value decoded by yaml/v3 into what yaml/v2 reads
// back from its JSON encoding; ok is false where that is not certain.
func asJSONYAML(v any) (any, bool) {
	switch v := v.(type) {
	case nil, bool, int:
		// JSON null, true, false and a decimal integer that fits an int
		// read back as themselves.
		return v, true
	case uint64:
		// yaml/v3 gives uint64 only above MaxInt64, which yaml/v2 reads
		// back as uint64 too.
		return v, true
	case string:
		return v, jsonSafeString(v)
	case float64:
		// JSON may write it as an integer ("3"), which yaml/v2 reads as an
		// int: take the same path.
		j, err := json.Marshal(v)
		if err != nil {
			return nil, false
		}
		var back any
		if err := yaml2.Unmarshal(j, &back); err != nil {
			return nil, false
		}
		return back, true
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			c, ok := asJSONYAML(e)
			if !ok {
				return nil, false
			}
			out[i] = c
		}
		return out, true
	case map[string]any:
		out := make(map[any]any, len(v))
		for k, e := range v {
			if !jsonSafeString(k) {
				return nil, false
			}
			c, ok := asJSONYAML(e)
			if !ok {
				return nil, false
			}
			out[k] = c
		}
		return out, true
	}
	// map[any]any (a non-string key, which JSON refuses), time values and
	// anything else: leave it to AsYAML.
	return nil, false
}

// jsonSafeString reports whether a string survives JSON encoding and
// yaml/v2's reading of that JSON unchanged: valid UTF-8 (JSON replaces
// invalid bytes) without the characters JSON writes raw but a YAML reader
// refuses (DEL, C1 controls, U+FEFF, U+FFFE, U+FFFF). Control characters
// below U+0020 are escaped by JSON and read back as they were.
func jsonSafeString(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 0x7f {
			return asciiFreeSafe(s[i:])
		}
	}
	return true
}

func asciiFreeSafe(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if r == 0x7f || r >= 0x80 && r <= 0x9f || r == 0xfeff || r == 0xfffe || r == 0xffff {
			return false
		}
	}
	return true
}

// checkKustomizations walks the kustomization at dir and the local
// directories it refers to, refusing what syncwave never does: remote bases
// and files (URLs, git repositories), helm chart inflation, and paths that
// leave the repository root. The file is decoded into kustomize's own type
// (types.Kustomization, strict as kustomize reads it) and normalised with
// its FixKustomization, deprecated fields included, so no field that takes
// a path can be missed; kustomize's deprecation warnings are reported
// through warn.
func checkKustomizations(root *Root, dir string, seen map[string]bool, warn func(string)) error {
	if seen[dir] {
		return nil
	}
	seen[dir] = true
	var file string
	var data []byte
	for _, n := range kustomizationFiles {
		b, err := root.ReadFile(path.Join(dir, n))
		if err == nil {
			file, data = path.Join(dir, n), b
			break
		}
		if errors.Is(err, ErrEscape) || errors.Is(err, ErrNotRegular) {
			return fmt.Errorf("%s: %w", path.Join(dir, n), err)
		}
	}
	if file == "" {
		return fmt.Errorf("%s: no kustomization.yaml, kustomization.yml or Kustomization", dir)
	}
	if err := checkAliases(data); err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	var k types.Kustomization
	if err := k.Unmarshal(data); err != nil {
		return fmt.Errorf("%s: %s", file, yamlMessage(err))
	}
	if msgs := k.CheckDeprecatedFields(); msgs != nil && warn != nil {
		for _, m := range *msgs {
			warn(file + ": " + strings.TrimPrefix(m, "# Warning: "))
		}
	}
	k.FixKustomization()
	if len(k.HelmCharts) > 0 || len(k.HelmChartInflationGenerator) > 0 || k.HelmGlobals != nil {
		return fmt.Errorf("%s: helmCharts is not supported: render the chart with a helm source in syncwave.yaml (sources: [{helm: {path: ...}}, {kustomize: ...}]), which keeps value files inside the repository", file)
	}
	for _, r := range kustomizationRefs(&k) {
		v := strings.TrimSpace(r.value)
		if looksRemote(v) {
			return fmt.Errorf("%s: %s %q: remote bases and files are not supported (syncwave never uses the network while rendering); vendor it into the repository", file, r.field, r.value)
		}
		if path.IsAbs(v) {
			return fmt.Errorf("%s: %s %q: absolute paths are not supported; use a path relative to the kustomization", file, r.field, r.value)
		}
		p := path.Join(dir, v)
		if escapes := p == ".." || strings.HasPrefix(p, "../"); escapes {
			return fmt.Errorf("%s: %s %q: %w", file, r.field, r.value, ErrEscape)
		}
		fi, err := root.Stat(p)
		switch {
		case errors.Is(err, ErrEscape):
			return fmt.Errorf("%s: %s %q: %w", file, r.field, r.value, err)
		case err != nil:
			return fmt.Errorf("%s: %s %q: not found in the repository (remote bases are not supported; vendor it)", file, r.field, r.value)
		case !fi.IsDir() && !fi.Mode().IsRegular():
			return fmt.Errorf("%s: %s %q: %w", file, r.field, r.value, ErrNotRegular)
		}
		if fi.IsDir() && r.dirOK {
			if err := checkKustomizations(root, p, seen, warn); err != nil {
				return err
			}
		}
	}
	return nil
}

// kustomizationRef is a file or directory a kustomization names.
type kustomizationRef struct {
	field, value string
	dirOK        bool // a directory holding a kustomization
}

// kustomizationRefs lists, in a fixed order, every file and directory a
// normalised kustomization may make kustomize load: every field of
// types.Kustomization that takes a path or URL.
func kustomizationRefs(k *types.Kustomization) []kustomizationRef {
	var refs []kustomizationRef
	add := func(field string, i int, v string, dirOK bool) {
		if i >= 0 {
			field = fmt.Sprintf("%s[%d]", field, i)
		}
		refs = append(refs, kustomizationRef{field, v, dirOK})
	}
	for i, r := range k.Resources { // bases included
		add("resources", i, r, true)
	}
	for i, r := range k.Components {
		add("components", i, r, true)
	}
	for i, r := range k.Crds {
		add("crds", i, r, false)
	}
	if p := k.OpenAPI["path"]; p != "" {
		add("openapi.path", -1, p, false)
	}
	for i, p := range k.Patches {
		if p.Path != "" {
			add("patches", i, p.Path, false)
		}
	}
	for i, p := range k.PatchesJson6902 {
		if p.Path != "" {
			add("patchesJson6902", i, p.Path, false)
		}
	}
	for i, p := range k.PatchesStrategicMerge {
		// An entry is a file unless it is an inline patch, as kustomize
		// decides: inline patches are YAML documents (a mapping).
		if s := string(p); !strings.Contains(s, "\n") && !strings.Contains(s, ": ") && !strings.HasPrefix(strings.TrimSpace(s), "{") {
			add("patchesStrategicMerge", i, s, false)
		}
	}
	for i, p := range k.Replacements {
		if p.Path != "" {
			add("replacements", i, p.Path, false)
		}
	}
	for _, g := range []struct {
		name string
		gens []types.GeneratorArgs
	}{{"configMapGenerator", configMapArgs(k.ConfigMapGenerator)}, {"secretGenerator", secretArgs(k.SecretGenerator)}} {
		for i, gen := range g.gens {
			for j, f := range gen.FileSources {
				if _, v, ok := strings.Cut(f, "="); ok {
					f = v
				}
				add(fmt.Sprintf("%s[%d].files", g.name, i), j, f, false)
			}
			for j, f := range gen.EnvSources { // env included
				add(fmt.Sprintf("%s[%d].envs", g.name, i), j, f, false)
			}
		}
	}
	for _, g := range []struct {
		name string
		list []string
	}{{"generators", k.Generators}, {"transformers", k.Transformers}, {"validators", k.Validators}, {"configurations", k.Configurations}} {
		for i, f := range g.list {
			if strings.Contains(f, "\n") || strings.Contains(f, ":") && !looksRemote(f) {
				continue // an inline configuration
			}
			add(g.name, i, f, true)
		}
	}
	return refs
}

func configMapArgs(a []types.ConfigMapArgs) []types.GeneratorArgs {
	out := make([]types.GeneratorArgs, len(a))
	for i, g := range a {
		out[i] = g.GeneratorArgs
	}
	return out
}

func secretArgs(a []types.SecretArgs) []types.GeneratorArgs {
	out := make([]types.GeneratorArgs, len(a))
	for i, g := range a {
		out[i] = g.GeneratorArgs
	}
	return out
}

// looksRemote recognises the remote targets kustomize accepts: URLs and
// git repository specs (github.com/org/repo, git@host:repo, git::…).
func looksRemote(s string) bool {
	if strings.Contains(s, "://") || strings.HasPrefix(s, "git@") || strings.HasPrefix(s, "git::") || strings.Contains(s, "?ref=") || strings.Contains(s, "?version=") {
		return true
	}
	first, _, _ := strings.Cut(s, "/")
	return strings.Contains(first, ".") && first != "." && first != ".." && strings.Contains(s, "/") && (strings.HasPrefix(first, "github.com") || strings.HasPrefix(first, "gitlab.com") || strings.HasPrefix(first, "bitbucket.org"))
}
