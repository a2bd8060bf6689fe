package lint

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/syncwave/syncwave/argocd"
	"github.com/syncwave/syncwave/health"
	"github.com/syncwave/syncwave/manifest"
	"github.com/syncwave/syncwave/plan"
	"github.com/syncwave/syncwave/refs"
)

// builtInGroups are the API groups a Kubernetes API server serves itself:
// their kinds are not custom resources.
var builtInGroups = map[string]bool{
	"": true, "apps": true, "batch": true, "autoscaling": true, "policy": true, "extensions": true,
	"rbac.authorization.k8s.io": true, "networking.k8s.io": true, "storage.k8s.io": true,
	"apiextensions.k8s.io": true, "apiregistration.k8s.io": true, "admissionregistration.k8s.io": true,
	"scheduling.k8s.io": true, "coordination.k8s.io": true, "certificates.k8s.io": true,
	"discovery.k8s.io": true, "node.k8s.io": true, "flowcontrol.apiserver.k8s.io": true,
	"events.k8s.io": true, "resource.k8s.io": true, "storagemigration.k8s.io": true,
	"internal.apiserver.k8s.io": true, "authentication.k8s.io": true, "authorization.k8s.io": true,
}

// argoKinds are served wherever Argo CD runs; an app-of-apps targets that
// cluster.
var argoKinds = map[string]bool{"Application": true, "ApplicationSet": true, "AppProject": true}

// namespacedRefKinds are the kinds references name that live in a namespace.
var namespacedRefKinds = map[string]bool{
	"ServiceAccount": true, "ConfigMap": true, "Secret": true, "PersistentVolumeClaim": true,
	"Role": true, "RoleBinding": true,
}

type ctx struct {
	in    Input
	steps []plan.Step
	first map[string]int // resource key -> index of its first step
}

func newCtx(in Input) *ctx {
	c := &ctx{in: in, steps: in.Plan.Steps, first: map[string]int{}}
	for i, s := range c.steps {
		k := c.key(groupOf(s.APIVersion), s.Kind, s.Namespace, s.Name)
		if _, ok := c.first[k]; !ok {
			c.first[k] = i
		}
	}
	return c
}

func groupOf(apiVersion string) string {
	if i := strings.LastIndexByte(apiVersion, '/'); i >= 0 {
		return apiVersion[:i]
	}
	return ""
}

func (c *ctx) key(group, kind, ns, name string) string {
	if ns == "" && namespacedRefKinds[kind] {
		ns = c.in.Namespace
	}
	return group + "/" + kind + "/" + ns + "/" + name
}

// later reports whether step j is applied in a later phase or wave than i
// (steps of one phase and wave are applied together).
func (c *ctx) later(j, i int) bool {
	a, b := c.steps[j], c.steps[i]
	if a.Phase.Order() != b.Phase.Order() {
		return a.Phase.Order() > b.Phase.Order()
	}
	return a.Wave > b.Wave
}

func place(s plan.Step) string {
	if s.Hook && s.Phase == argocd.PhaseSync {
		return fmt.Sprintf("Sync wave %d (a Sync hook)", s.Wave)
	}
	return fmt.Sprintf("%s wave %d", s.Phase, s.Wave)
}

func name(s plan.Step) string {
	if s.Namespace != "" {
		return s.Kind + " " + s.Namespace + "/" + s.Name
	}
	return s.Kind + " " + s.Name
}

func (c *ctx) finding(rule string, sev Severity, i int, reason, fix string) Finding {
	s := c.steps[i]
	return Finding{Rule: rule, Severity: sev, Resource: name(s), Source: s.Source, Reason: reason, Fix: fix, step: i}
}

// gateWithoutHealth: a member of a gating wave that looks like it needs time
// (a custom resource, an Application) but has no health check.
func (c *ctx) gateWithoutHealth() []Finding {
	var out []Finding
	for _, g := range c.in.Plan.Waits.Gates {
		for _, m := range g.Members {
			if m.Health != health.None {
				continue
			}
			group := groupOf(m.APIVersion)
			i, ok := c.first[c.key(group, m.Kind, m.Namespace, m.Name)]
			if !ok {
				continue
			}
			if !c.gates(i) {
				continue
			}
			next := fmt.Sprintf("%s wave %d", g.NextPhase, g.NextWave)
			switch {
			case group == "argoproj.io" && m.Kind == "Application":
				out = append(out, c.finding("gate-without-health", Warning, i,
					fmt.Sprintf("%s starts as soon as this Application is applied, not when its resources are synced and healthy: Argo CD has no health check for Applications since 1.8", next),
					"add resource.customizations.health.argoproj.io_Application to argocd-cm (Argo CD's documented Lua check; syncwave's install has it as a switch: the examples/install/app-health component, or argo-cd-chart-app-health-values.yaml for the argo-cd chart), then pass the file with --argocd-cm"))
			case !builtInGroups[group] && !m.Hook:
				out = append(out, c.finding("gate-without-health", Warning, i,
					fmt.Sprintf("%s starts as soon as this %s is applied: Argo CD %s has no health check for %s/%s, so nothing waits for it to be ready", next, m.Kind, c.in.Plan.Waits.ArgoCD, group, m.Kind),
					fmt.Sprintf("add a health check for it to argocd-cm (resource.customizations.health.%s_%s), or do not rely on the wave boundary for its readiness", group, m.Kind)))
			}
		}
	}
	return out
}

// gates reports whether something later is ordered after step i on
// purpose: a later step the ordering graph puts after it (OrderedAfter; else
// a later step whose group comes after i's group, After); for a step no
// group placed, also a step of the same phase in a later wave (a sync-wave
// annotation). A phase boundary alone is Argo CD's, not a choice: every
// Sync resource comes before every PostSync hook.
func (c *ctx) gates(i int) bool {
	gi := c.steps[i].Group
	for k := i + 1; k < len(c.steps); k++ {
		if !c.later(k, i) {
			continue
		}
		switch {
		case c.in.OrderedAfter != nil && c.in.OrderedAfter(c.steps[k].Resource, c.steps[i].Resource):
			return true
		case gi == "" || (c.in.After == nil && c.in.OrderedAfter == nil):
			if c.steps[k].Phase == c.steps[i].Phase {
				return true
			}
		case c.in.OrderedAfter == nil && c.in.After[c.steps[k].Group][gi]:
			return true
		}
	}
	return false
}

// references: reference-planned-later and hook-identity.
func (c *ctx) references() []Finding {
	var out []Finding
	seen := map[string]bool{}
	for i, s := range c.steps {
		obj := c.in.Objects[s.Resource]
		if obj == nil {
			continue
		}
		rs := refs.Of(obj)
		for _, r := range rs {
			j, ok := c.first[c.key(r.Group, r.Kind, r.Namespace, r.Name)]
			if !ok || !c.later(j, i) {
				continue
			}
			k := fmt.Sprint(s.Resource, i, r)
			if seen[k] {
				continue
			}
			seen[k] = true
			t := c.steps[j]
			binding := s.Kind == "RoleBinding" || s.Kind == "ClusterRoleBinding"
			sev := Error
			if r.Optional || binding {
				sev = Warning
			}
			if s.Hook {
				out = append(out, c.finding("hook-identity", sev, i,
					fmt.Sprintf("this hook runs in %s but its %s (%s) is created in %s, so it starts without it and cannot succeed", place(s), name(t), r.Via, place(t)),
					fmt.Sprintf("make %s a hook of the same phase in an earlier wave (a syncwave group with hook: %s placed before the hook's group), or run the hook later", name(t), s.Phase)))
				continue
			}
			var what string
			switch {
			case binding:
				what = "until then it grants nothing"
			case r.Optional:
				what = "it starts without it (optional) and does not see it until restarted"
			case c.in.Health.Judge(groupOf(s.APIVersion), s.Kind, c.in.ConfigMap).Waits():
				what = "it cannot become healthy before then, and Argo CD starts that wave only once this one is healthy, so the sync stalls until it times out"
			default:
				what = "it fails until then"
			}
			out = append(out, c.finding("reference-planned-later", sev, i,
				fmt.Sprintf("it is applied in %s but uses %s (%s), planned in %s: %s", place(s), name(t), r.Via, place(t), what),
				fmt.Sprintf("plan %s in %s or earlier (in syncwave.yaml: a group for it that this resource's group comes after)", name(t), place(s))))
		}
		if s.Hook {
			out = append(out, c.hookRBAC(i, rs)...)
		}
	}
	return out
}

// hookRBAC finds the bindings of a hook's ServiceAccount (and their roles)
// created after the hook.
func (c *ctx) hookRBAC(i int, rs []refs.Ref) []Finding {
	var sa *refs.Ref
	for k := range rs {
		if rs[k].Kind == "ServiceAccount" && rs[k].Via == "serviceAccountName" {
			sa = &rs[k]
		}
	}
	if sa == nil {
		return nil
	}
	want := c.key("", "ServiceAccount", sa.Namespace, sa.Name)
	s := c.steps[i]
	var out []Finding
	for j, b := range c.steps {
		if b.Kind != "RoleBinding" && b.Kind != "ClusterRoleBinding" || groupOf(b.APIVersion) != "rbac.authorization.k8s.io" {
			continue
		}
		obj := c.in.Objects[b.Resource]
		if obj == nil || c.first[c.key(groupOf(b.APIVersion), b.Kind, b.Namespace, b.Name)] != j {
			continue
		}
		var role *refs.Ref
		bound := false
		for _, r := range refs.Of(obj) {
			switch {
			case r.Kind == "ServiceAccount" && c.key("", r.Kind, r.Namespace, r.Name) == want:
				bound = true
			case r.Via == "roleRef":
				rr := r
				role = &rr
			}
		}
		if !bound {
			continue
		}
		late := -1
		if c.later(j, i) {
			late = j
		} else if role != nil {
			if rj, ok := c.first[c.key(role.Group, role.Kind, role.Namespace, role.Name)]; ok && c.later(rj, i) {
				late = rj
			}
		}
		if late < 0 {
			continue
		}
		t := c.steps[late]
		out = append(out, c.finding("hook-identity", Error, i,
			fmt.Sprintf("this hook runs in %s as ServiceAccount %s, whose permissions come from %s, created in %s: the hook runs without them", place(s), sa.Name, name(t), place(t)),
			fmt.Sprintf("make %s a hook of the same phase in an earlier wave, together with the ServiceAccount and its binding", name(t))))
	}
	return out
}

// runsPods are the kinds of hook that run something, so that running once
// matters.
func runsPods(group, kind string) bool {
	return refs.PodSpecPath(group, kind) != nil || group == "argoproj.io" && kind == "Workflow"
}

// namedHooks: named-hook-runs-once.
func (c *ctx) namedHooks() []Finding {
	var out []Finding
	done := map[*manifest.Resource]bool{}
	for i, s := range c.steps {
		if !s.Hook || done[s.Resource] || !runsPods(groupOf(s.APIVersion), s.Kind) {
			continue
		}
		done[s.Resource] = true
		if s.Name == "" || slices.Contains(argocd.ParseDeletePolicies(s.HookDeletePolicy), argocd.BeforeHookCreation) {
			continue
		}
		if obj := c.in.Objects[s.Resource]; obj != nil {
			if meta, _ := obj["metadata"].(map[string]any); meta != nil {
				if g, _ := meta["generateName"].(string); g != "" {
					continue
				}
			}
		}
		why := "the one from the first sync stays, so later syncs find it already there and never run it again"
		if slices.Contains(argocd.ParseDeletePolicies(s.HookDeletePolicy), argocd.HookSucceeded) {
			why = "it is deleted only when it succeeds: after one failed run it stays, and later syncs find it already there and never run it again"
		}
		out = append(out, c.finding("named-hook-runs-once", Warning, i,
			fmt.Sprintf("hook %s has a fixed name and delete policy %s: %s", s.Name, s.HookDeletePolicy, why),
			"add "+string(argocd.BeforeHookCreation)+" to its delete policy ("+argocd.AnnotationHookDeletePolicy+", or hookDeletePolicy in syncwave.yaml), or give it metadata.generateName instead of a name"))
	}
	return out
}

// crds: crd-after-cr and cr-without-crd.
func (c *ctx) crds() []Finding {
	var out []Finding
	defined := map[string]int{} // group/Kind -> CRD step
	for i, s := range c.steps {
		if s.Kind != "CustomResourceDefinition" || groupOf(s.APIVersion) != "apiextensions.k8s.io" {
			continue
		}
		obj := c.in.Objects[s.Resource]
		spec, _ := obj["spec"].(map[string]any)
		g, _ := spec["group"].(string)
		names, _ := spec["names"].(map[string]any)
		k, _ := names["kind"].(string)
		if g == "" || k == "" {
			continue
		}
		if _, ok := defined[g+"/"+k]; !ok {
			defined[g+"/"+k] = i
		}
	}
	for i, s := range c.steps {
		if s.Kind == "CustomResourceDefinition" && s.Moved {
			wave := s.Resource.Annotations[argocd.AnnotationSyncWave]
			if wave == "" {
				wave = "0"
			}
			out = append(out, c.finding("crd-after-cr", Warning, i,
				fmt.Sprintf("its own sync-wave (%s) places it after a custom resource of its kind, so Argo CD moves it in front of that resource, to %s, out of the place its group gave it", wave, place(s)),
				"order the CRD before every custom resource of its kind (a syncwave group for CRDs that the others come after)"))
		}
	}
	seen := map[*manifest.Resource]bool{}
	for i, s := range c.steps {
		group := groupOf(s.APIVersion)
		if seen[s.Resource] || builtInGroups[group] || group == "argoproj.io" && argoKinds[s.Kind] {
			continue
		}
		seen[s.Resource] = true
		if _, ok := defined[group+"/"+s.Kind]; ok || c.served(s.APIVersion, s.Kind) {
			continue
		}
		skip := false
		for _, o := range s.SyncOptions {
			if o == argocd.SkipDryRunOnMissingResource {
				skip = true
			}
		}
		if skip {
			continue
		}
		sev, known := Error, "nor among the API versions the cluster serves"
		if c.in.APIVersions == nil {
			sev, known = Warning, "and no API versions were given (--api-versions, KUBE_API_VERSIONS) to tell whether the cluster serves it"
		}
		out = append(out, c.finding("cr-without-crd", sev, i,
			fmt.Sprintf("no CustomResourceDefinition for %s/%s is in the output %s: Argo CD's dry run fails and the whole sync with it", group, s.Kind, known),
			"add the CRD to the application (or to an earlier one), pass the cluster's API versions, or set the sync option "+argocd.SkipDryRunOnMissingResource+" on it"))
	}
	return out
}

func (c *ctx) served(apiVersion, kind string) bool {
	for _, v := range c.in.APIVersions {
		if v == apiVersion || v == apiVersion+"/"+kind {
			return true
		}
	}
	return false
}

// waveCost: the number of waves and the delay they add.
func (c *ctx) waveCost() []Finding {
	n := 0
	for i, s := range c.steps {
		if s.Phase == argocd.PhaseSyncFail {
			continue
		}
		if i == 0 || s.Phase != c.steps[i-1].Phase || s.Wave != c.steps[i-1].Wave {
			n++
		}
	}
	if n < 2 {
		return nil
	}
	d := c.in.WaveDelay
	if d == 0 {
		d = DefaultWaveDelay
	}
	return []Finding{{
		Rule: "wave-cost", Severity: Info, step: -1,
		Reason: fmt.Sprintf("%d waves (phases and sync waves): Argo CD pauses %s (ARGOCD_SYNC_WAVE_DELAY) between waves, which adds at least %s to every sync", n, d, d*time.Duration(n-1)),
		Fix:    "nothing to fix; merge groups that need no order between them to save time",
	}}
}
