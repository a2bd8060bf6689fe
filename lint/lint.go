// Package lint finds ordering traps in a plan before Argo CD meets them: a
// wave that gates the next without any health check, a workload or hook
// whose ServiceAccount, ConfigMaps, Secrets, claims or RBAC come later, a
// named hook that runs only once, custom resources whose definition comes
// later or nowhere, and the time the waves cost.
//
// It reads the plan (plan.Plan, with its steps' resources), the full objects
// and Argo CD's health knowledge; it never reads files or the environment.
package lint

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/syncwave/syncwave/argocd"
	"github.com/syncwave/syncwave/health"
	"github.com/syncwave/syncwave/manifest"
	"github.com/syncwave/syncwave/order"
	"github.com/syncwave/syncwave/plan"
	"github.com/syncwave/syncwave/refs"
)

// Severity of a finding.
type Severity string

// Severities, most severe first.
const (
	Error   Severity = "error"
	Warning Severity = "warning"
	Info    Severity = "info"
)

func (s Severity) rank() int {
	switch s {
	case Error:
		return 0
	case Warning:
		return 1
	}
	return 2
}

// Finding is one problem (or piece of information) about one resource.
type Finding struct {
	Rule     string   `json:"rule"`
	Severity Severity `json:"severity"`
	// Resource is "Kind namespace/name" ("" for the application as a whole).
	Resource string `json:"resource"`
	// Source is where the resource came from (file:line or template path).
	Source string `json:"source"`
	Reason string `json:"reason"`
	Fix    string `json:"fix"`

	step int // plan position, for sorting (-1: the application)
}

// Input is what the rules read.
type Input struct {
	// Plan is the plan of the rendered output, with its Waits computed.
	Plan *plan.Plan
	// Objects are the full rendered objects of the plan's resources.
	Objects map[*manifest.Resource]map[string]any
	// ArgoCD is the Argo CD line modelled (zero: argocd.Default); Health
	// is its health knowledge (nil: health.For(ArgoCD)); ConfigMap the
	// user's checks (nil for none).
	ArgoCD    argocd.Version
	Health    *health.Table
	ConfigMap *health.ConfigMap
	// APIVersions are the API versions the cluster serves (KUBE_API_VERSIONS,
	// --api-versions): group/version or group/version/Kind. Nil: unknown.
	APIVersions []string
	// Namespace is the destination namespace, for resources without one.
	Namespace string
	// WaveDelay is ARGOCD_SYNC_WAVE_DELAY (0: Argo CD's default, 2 s).
	WaveDelay time.Duration
	// After maps a syncwave group to the groups it comes after, directly or
	// not (GroupsAfter). A member of a gating wave placed by a group counts
	// as a gate only for the groups after it; nil: every later wave.
	After map[string]map[string]bool
	// OrderedAfter reports whether the ordering graph puts resource later
	// after resource earlier, directly or not (its groups' after and before
	// entries, dependency annotations, inferred references). When set it
	// replaces After; nil: After decides.
	OrderedAfter func(later, earlier *manifest.Resource) bool
}

// GroupsAfter returns, for every group of so, the groups it comes after
// (its after: entries, the groups that name it in before:, transitively).
func GroupsAfter(so *order.SyncOrder) map[string]map[string]bool {
	if so == nil {
		return nil
	}
	direct := map[string][]string{}
	for _, g := range so.Groups {
		direct[g.Name] = append(direct[g.Name], g.After...)
		for _, b := range g.Before {
			direct[b] = append(direct[b], g.Name)
		}
	}
	out := map[string]map[string]bool{}
	for _, g := range so.Groups {
		seen := map[string]bool{}
		stack := append([]string(nil), direct[g.Name]...)
		for len(stack) > 0 {
			n := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if seen[n] {
				continue
			}
			seen[n] = true
			stack = append(stack, direct[n]...)
		}
		out[g.Name] = seen
	}
	return out
}

// DefaultWaveDelay is Argo CD's default ARGOCD_SYNC_WAVE_DELAY.
const DefaultWaveDelay = 2 * time.Second

// NeedsObject reports whether the rules read more of a step's resource than
// the plan holds: pod templates, RBAC bindings, CRDs and hooks. Input.Objects
// needs only these.
func NeedsObject(s plan.Step) bool {
	g := groupOf(s.APIVersion)
	return s.Hook || refs.PodSpecPath(g, s.Kind) != nil ||
		g == "rbac.authorization.k8s.io" && (s.Kind == "RoleBinding" || s.Kind == "ClusterRoleBinding") ||
		g == "apiextensions.k8s.io" && s.Kind == "CustomResourceDefinition"
}

// ObjectsNeeded returns the resources of p whose full objects the rules
// can read for a finding, each once, in plan order: those NeedsObject
// names, less the workloads and RBAC bindings that nothing could be
// planned too late for (no ServiceAccount, ConfigMap, Secret, claim or
// role — refs.Target — comes in a later phase or wave), which give no
// finding whatever their object says. Bindings are kept when the plan has
// a hook (hook-identity reads them). Input.Objects needs only these.
func ObjectsNeeded(p *plan.Plan) []*manifest.Resource {
	type pos struct{ phase, wave int }
	less := func(a, b pos) bool { return a.phase < b.phase || a.phase == b.phase && a.wave < b.wave }
	var last pos // the latest phase and wave of a reference target
	targets, hooks := false, false
	for _, s := range p.Steps {
		hooks = hooks || s.Hook
		if refs.Target(groupOf(s.APIVersion), s.Kind) {
			if at := (pos{s.Phase.Order(), s.Wave}); !targets || less(last, at) {
				last = at
			}
			targets = true
		}
	}
	var out []*manifest.Resource
	seen := map[*manifest.Resource]bool{}
	for _, s := range p.Steps {
		if seen[s.Resource] || !NeedsObject(s) {
			continue
		}
		g := groupOf(s.APIVersion)
		crd := g == "apiextensions.k8s.io" && s.Kind == "CustomResourceDefinition"
		binding := g == "rbac.authorization.k8s.io" && (s.Kind == "RoleBinding" || s.Kind == "ClusterRoleBinding")
		if !s.Hook && !crd && !(binding && hooks) && !(targets && less(pos{s.Phase.Order(), s.Wave}, last)) {
			continue
		}
		seen[s.Resource] = true
		out = append(out, s.Resource)
	}
	return out
}

// Rule describes one rule for documentation.
type Rule struct {
	ID       string
	Severity Severity
	Summary  string
}

// Rules are the rules Run applies, in order.
var Rules = []Rule{
	{"gate-without-health", Warning, "a custom resource or Application without a health check is ordered before something (a group after its group, or a later sync-wave in its phase): nothing waits for it to be ready"},
	{"reference-planned-later", Error, "a pod template uses a ServiceAccount, ConfigMap, Secret or PersistentVolumeClaim planned in a later wave or phase (a RoleBinding whose Role or ServiceAccount comes later: warning)"},
	{"hook-identity", Error, "a hook's ServiceAccount, RBAC or referenced objects are created in a later phase or wave"},
	{"named-hook-runs-once", Warning, "a hook with a fixed name and without " + string(argocd.BeforeHookCreation) + ": Argo CD does not create it again while the old one exists"},
	{"crd-after-cr", Warning, "a CRD is planned after a custom resource of its kind: Argo CD moves it in front, out of its group"},
	{"cr-without-crd", Error, "a custom resource whose CRD is neither in the output nor served by the cluster, without " + argocd.SkipDryRunOnMissingResource},
	{"wave-cost", Info, "the number of waves and the minimum time their delays add to every sync"},
}

// Run applies every rule and returns the findings in plan order, the
// application-wide ones last.
func Run(in Input) []Finding {
	if in.Health == nil {
		in.Health = health.For(in.ArgoCD)
	}
	if in.Plan.Waits == nil {
		in.Plan.ComputeWaits(in.Health, in.ConfigMap)
	}
	c := newCtx(in)
	var out []Finding
	out = append(out, c.gateWithoutHealth()...)
	out = append(out, c.references()...)
	out = append(out, c.namedHooks()...)
	out = append(out, c.crds()...)
	out = append(out, c.waveCost()...)
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if (a.step < 0) != (b.step < 0) {
			return b.step < 0
		}
		if a.step != b.step {
			return a.step < b.step
		}
		return a.Severity.rank() < b.Severity.rank()
	})
	return out
}

// Count returns the number of findings of each severity.
func Count(fs []Finding) (errors, warnings, infos int) {
	for _, f := range fs {
		switch f.Severity {
		case Error:
			errors++
		case Warning:
			warnings++
		default:
			infos++
		}
	}
	return
}

// WriteTable writes each finding as a block: severity, rule, resource and
// source, then the reason and the fix, indented; then a summary line.
func WriteTable(w io.Writer, fs []Finding) error {
	var b strings.Builder
	for _, f := range fs {
		res := f.Resource
		if res == "" {
			res = "(application)"
		}
		if f.Source != "" {
			res += " (" + f.Source + ")"
		}
		fmt.Fprintf(&b, "%-7s  %s  %s\n", f.Severity, f.Rule, res)
		fmt.Fprintf(&b, "         %s\n", f.Reason)
		fmt.Fprintf(&b, "         fix: %s\n", f.Fix)
	}
	e, wa, i := Count(fs)
	if len(fs) > 0 {
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "%d %s: %d %s, %d %s, %d info\n", len(fs), plural(len(fs), "finding", "findings"), e, plural(e, "error", "errors"), wa, plural(wa, "warning", "warnings"), i)
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteJSON writes {"findings": [...], "errors": n, "warnings": n, "info": n}.
func WriteJSON(w io.Writer, fs []Finding) error {
	if fs == nil {
		fs = []Finding{}
	}
	e, wa, i := Count(fs)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(struct {
		Findings []Finding `json:"findings"`
		Errors   int       `json:"errors"`
		Warnings int       `json:"warnings"`
		Info     int       `json:"info"`
	}{fs, e, wa, i})
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
