package order

import (
	"fmt"
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/syncwave/syncwave/argocd"
)

// Default fills in defaults: existingAnnotations keep, defaults.wave 0,
// source paths ".", and defaults.hookDeletePolicy on hook groups (other than
// Skip) that set no policy. It is idempotent.
func (o *SyncOrder) Default() {
	if o.Defaults.ExistingAnnotations == "" {
		o.Defaults.ExistingAnnotations = KeepExisting
	}
	if o.Defaults.Wave == nil {
		o.Defaults.Wave = new(int)
	}
	for i := range o.Sources {
		o.Sources[i].defaultPath()
	}
	for i := range o.Groups {
		g := &o.Groups[i]
		if g.Hook != argocd.HookNone && g.Hook != argocd.HookSkip && len(g.HookDeletePolicy) == 0 && len(o.Defaults.HookDeletePolicy) > 0 {
			g.HookDeletePolicy = slices.Clone(o.Defaults.HookDeletePolicy)
		}
	}
}

// Validate reports every problem in o, one *FieldError per line of the
// joined error: the fields on their own, the selectors (which it compiles
// for Matches and NewIndex), and the ordering graph (unknown group names,
// cycles, phases, pins; see ComputeWaves).
func (o *SyncOrder) Validate() error { return errorList(o.validate()).join() }

var (
	dns1123Label     = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)
	dns1123Subdomain = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`)
	kubeVersionRe    = regexp.MustCompile(`^v?\d+\.\d+(\.\d+)?([-+][0-9A-Za-z.+-]*)?$`)
	apiVersionRe     = regexp.MustCompile(`^([a-z0-9.-]+/)?v[0-9]+[a-z0-9]*(/[A-Za-z0-9]+)?$`)
)

func (o *SyncOrder) validate() []*FieldError {
	var errs []*FieldError
	add := func(p string, err error) {
		if err != nil {
			errs = append(errs, o.Errorf(p, "%s", err.Error()))
		}
	}
	addf := func(p, format string, args ...any) { errs = append(errs, o.Errorf(p, format, args...)) }

	if o.APIVersion != APIVersion {
		addf("apiVersion", "expected %q, found %q", APIVersion, o.APIVersion)
	}
	if o.Kind != Kind {
		addf("kind", "expected %q, found %q", Kind, o.Kind)
	}

	for i := range o.Sources {
		errs = append(errs, o.validateSource(i)...)
	}

	if o.Defaults.ExistingAnnotations != "" {
		add("defaults.existingAnnotations", o.Defaults.ExistingAnnotations.Validate())
	}
	add("defaults.hookDeletePolicy", validateDeletePolicies(o.Defaults.HookDeletePolicy))
	switch o.Lint.FailOn {
	case "", "error", "warning":
	default:
		addf("lint.failOn", "expected \"error\" or \"warning\", found %q", o.Lint.FailOn)
	}

	first := map[string]int{}
	for i := range o.Groups {
		g := &o.Groups[i]
		gp := groupPath(i)
		switch {
		case g.Name == "":
			addf(gp, "missing name")
		case len(g.Name) > 63 || !dns1123Label.MatchString(g.Name):
			addf(gp+".name", "invalid group name %q: expected a DNS-1123 label (at most 63 lower-case letters, digits and '-', starting and ending with a letter or digit)", g.Name)
		}
		if j, dup := first[g.Name]; dup && g.Name != "" {
			addf(gp+".name", "duplicate group name %q (first used by groups[%d])", g.Name, j)
		} else {
			first[g.Name] = i
		}
		if len(g.Select) == 0 && !g.Optional {
			addf(gp+".select", "group %q has no selectors; give select (or optional: true for a group that only orders others)", g.Name)
		}
		for j := range g.Select {
			add(fmt.Sprintf("%s.select[%d]", gp, j), g.Select[j].Compile())
		}
		add(gp+".hook", validateHook(g.Hook))
		if len(g.HookDeletePolicy) > 0 {
			if g.Hook == argocd.HookNone {
				addf(gp+".hookDeletePolicy", "hookDeletePolicy without hook: Argo CD applies delete policies only to hooks; set hook or remove hookDeletePolicy")
			}
			add(gp+".hookDeletePolicy", validateDeletePolicies(g.HookDeletePolicy))
		}
		for j, opt := range g.SyncOptions {
			p := fmt.Sprintf("%s.syncOptions[%d]", gp, j)
			if err := opt.Validate(); err != nil {
				add(p, err)
				continue
			}
			for _, prev := range g.SyncOptions[:j] {
				if prev == opt {
					addf(p, "sync option %q is listed twice", string(opt))
					break
				}
				if prev.Key() == opt.Key() {
					addf(p, "sync option %q conflicts with %q", string(opt), string(prev))
					break
				}
			}
		}
	}

	_, graphErrs := o.computeWaves()
	return append(errs, graphErrs...)
}

// checkRelPath rejects a source path that is absolute or, read lexically,
// leaves PATH. The renderer checks the real path against the repository
// root again.
func checkRelPath(p string) error {
	if p == "" {
		return nil
	}
	if path.IsAbs(p) || strings.HasPrefix(p, `\`) || (len(p) > 1 && p[1] == ':') {
		return fmt.Errorf("expected a path relative to PATH, found absolute path %q", p)
	}
	c := path.Clean(strings.ReplaceAll(p, `\`, "/"))
	if c == ".." || strings.HasPrefix(c, "../") {
		return fmt.Errorf("path %q leaves PATH; sources must be inside the application's directory", p)
	}
	return nil
}
