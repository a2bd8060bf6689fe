package render

import (
	"context"
	"errors"
	"fmt"
	"path"
	"strings"

	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/yaml"

	"github.com/syncwave/syncwave/manifest"
)

// KustomizeOptions are the inputs of one kustomize build.
type KustomizeOptions struct {
	// Path is the kustomization directory, slash separated, relative to the
	// repository root.
	Path string
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
	if err := checkKustomizations(root, dir, map[string]bool{}); err != nil {
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
	m, err := k.Run(newRootFS(root), abs)
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
	var out []*manifest.Resource
	for _, r := range m.Resources() {
		b, err := r.AsYAML()
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", r.GetKind(), r.GetName(), err)
		}
		rs, err := manifest.DecodeDocument(".", manifest.Document{Text: b})
		if err != nil {
			return nil, err
		}
		out = append(out, rs...)
	}
	return out, nil
}

// kustomizationRefs is the part of a kustomization that names other files
// and directories.
type kustomizationRefs struct {
	Resources  []string `json:"resources"`
	Bases      []string `json:"bases"`
	Components []string `json:"components"`
	Crds       []string `json:"crds"`
	// Refused: the helm source renders charts (with value-file safety).
	HelmCharts                  []any             `json:"helmCharts"`
	HelmChartInflationGenerator []any             `json:"helmChartInflationGenerator"`
	OpenAPI                     map[string]string `json:"openapi"`
	Patches                     []struct {
		Path string `json:"path"`
	} `json:"patches"`
	PatchesJSON6902 []struct {
		Path string `json:"path"`
	} `json:"patchesJson6902"`
	Replacements []struct {
		Path string `json:"path"`
	} `json:"replacements"`
	ConfigMapGenerator []generatorRefs `json:"configMapGenerator"`
	SecretGenerator    []generatorRefs `json:"secretGenerator"`
	Generators         []string        `json:"generators"`
	Transformers       []string        `json:"transformers"`
	Validators         []string        `json:"validators"`
	Configurations     []string        `json:"configurations"`
}

type generatorRefs struct {
	Files []string `json:"files"`
	Envs  []string `json:"envs"`
	Env   string   `json:"env"`
}

// checkKustomizations walks the kustomization at dir and the local
// directories it refers to, refusing what syncwave never does: remote bases
// and files (URLs, git repositories), helm chart inflation, and paths that
// leave the repository root.
func checkKustomizations(root *Root, dir string, seen map[string]bool) error {
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
		if errors.Is(err, ErrEscape) {
			return fmt.Errorf("%s: %w", path.Join(dir, n), err)
		}
	}
	if file == "" {
		return fmt.Errorf("%s: no kustomization.yaml, kustomization.yml or Kustomization", dir)
	}
	var k kustomizationRefs
	if err := yaml.Unmarshal(data, &k); err != nil {
		return fmt.Errorf("%s: %s", file, yamlMessage(err))
	}
	if len(k.HelmCharts) > 0 || len(k.HelmChartInflationGenerator) > 0 {
		return fmt.Errorf("%s: helmCharts is not supported: render the chart with a helm source in syncwave.yaml (sources: [{helm: {path: ...}}, {kustomize: ...}]), which keeps value files inside the repository", file)
	}
	// Directories and files that kustomize may load, in a fixed order.
	type ref struct {
		field, value string
		dirOK        bool
	}
	var refs []ref
	for i, r := range k.Resources {
		refs = append(refs, ref{fmt.Sprintf("resources[%d]", i), r, true})
	}
	for i, r := range k.Bases {
		refs = append(refs, ref{fmt.Sprintf("bases[%d]", i), r, true})
	}
	for i, r := range k.Components {
		refs = append(refs, ref{fmt.Sprintf("components[%d]", i), r, true})
	}
	for i, r := range k.Crds {
		refs = append(refs, ref{fmt.Sprintf("crds[%d]", i), r, false})
	}
	if p := k.OpenAPI["path"]; p != "" {
		refs = append(refs, ref{"openapi.path", p, false})
	}
	for i, p := range k.Patches {
		if p.Path != "" {
			refs = append(refs, ref{fmt.Sprintf("patches[%d].path", i), p.Path, false})
		}
	}
	for i, p := range k.PatchesJSON6902 {
		if p.Path != "" {
			refs = append(refs, ref{fmt.Sprintf("patchesJson6902[%d].path", i), p.Path, false})
		}
	}
	for i, p := range k.Replacements {
		if p.Path != "" {
			refs = append(refs, ref{fmt.Sprintf("replacements[%d].path", i), p.Path, false})
		}
	}
	for _, g := range []struct {
		name string
		gens []generatorRefs
	}{{"configMapGenerator", k.ConfigMapGenerator}, {"secretGenerator", k.SecretGenerator}} {
		for i, gen := range g.gens {
			for j, f := range gen.Files {
				if _, v, ok := strings.Cut(f, "="); ok {
					f = v
				}
				refs = append(refs, ref{fmt.Sprintf("%s[%d].files[%d]", g.name, i, j), f, false})
			}
			for j, f := range gen.Envs {
				refs = append(refs, ref{fmt.Sprintf("%s[%d].envs[%d]", g.name, i, j), f, false})
			}
			if gen.Env != "" {
				refs = append(refs, ref{fmt.Sprintf("%s[%d].env", g.name, i), gen.Env, false})
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
			refs = append(refs, ref{fmt.Sprintf("%s[%d]", g.name, i), f, true})
		}
	}
	for _, r := range refs {
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
		}
		if fi.IsDir() && r.dirOK {
			if err := checkKustomizations(root, p, seen); err != nil {
				return err
			}
		}
	}
	return nil
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
