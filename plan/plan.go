package plan

import (
	"fmt"
	"sort"
	"strings"

	"github.com/syncwave/syncwave/argocd"
	"github.com/syncwave/syncwave/manifest"
)

// Origin is what the annotator knows about a resource: the syncwave group
// that placed it ("" for none) and the sentence that says why
// (`after schema (wave 1)`, `pinned wave -1`; "" when no group placed it).
type Origin struct {
	Group  string
	Reason string
}

// Options are the inputs of the model beyond the resources.
type Options struct {
	// Namespace is the Application's destination namespace. Argo CD's
	// controller drops metadata.namespace from cluster-scoped objects and
	// fills it in on namespaced ones; the engine then sets it on every object
	// still without one (cluster-scoped ones included) before it orders them.
	// So those objects count as "in" it when a Namespace is moved in front of
	// the first resource in it.
	Namespace string
	// ArgoCD is the Argo CD line whose hooks are read (zero: argocd.Default).
	ArgoCD argocd.Version
}

// Plan is the order in which the engine applies the resources.
type Plan struct {
	// Steps are the engine's tasks in the order it applies them: one per
	// resource, or one per phase for a hook with several types. SyncFail
	// hooks come last; they run only when the sync fails.
	Steps []Step `json:"steps"`
	// Excluded are the resources the engine never applies in a sync.
	Excluded []Excluded `json:"excluded"`
	// Waits is what each wave waits for; nil until ComputeWaits.
	Waits *Waits `json:"waits,omitempty"`
}

// Step is one task of the engine.
type Step struct {
	Phase      argocd.Phase `json:"phase"`
	Wave       int          `json:"wave"`
	APIVersion string       `json:"apiVersion"`
	Kind       string       `json:"kind"`
	Namespace  string       `json:"namespace"`
	Name       string       `json:"name"`
	Hook       bool         `json:"hook"`
	// HookDeletePolicy is the comma list of the hook's delete policies
	// (Argo CD's and Helm's merged, BeforeHookCreation by default); "" for a
	// resource that is not a hook.
	HookDeletePolicy string   `json:"hookDeletePolicy"`
	SyncOptions      []string `json:"syncOptions"`
	// Source is where the resource came from (file:line or template path).
	Source string `json:"source"`
	// Group is the syncwave group that placed the resource, "" for none.
	Group  string `json:"group"`
	Reason string `json:"reason"`

	// Tie is non-zero for steps the engine cannot tell apart (same phase,
	// wave, kind order and name): the engine sorts them unstably, so their
	// relative order is unspecified. Steps of one tie share the number. The
	// plan prints them by namespace, then API group.
	Tie int `json:"-"`
	// Moved is set for a Namespace or CRD the engine moved in front of the
	// first resource that needs it.
	Moved bool `json:"-"`
	// Resource is the resource this step applies.
	Resource *manifest.Resource `json:"-"`
}

// Excluded is a resource the engine never applies in a sync.
type Excluded struct {
	APIVersion string             `json:"apiVersion"`
	Kind       string             `json:"kind"`
	Namespace  string             `json:"namespace"`
	Name       string             `json:"name"`
	Source     string             `json:"source"`
	Reason     string             `json:"reason"`
	Resource   *manifest.Resource `json:"-"`
}

// Compute models the engine's order for res with zero Options.
func Compute(res []*manifest.Resource, origins []Origin) *Plan {
	return ComputeWith(res, origins, Options{})
}

// ComputeWith models the engine's order for res. origins[i] describes res[i];
// origins may be nil or shorter than res (missing entries are zero).
func ComputeWith(res []*manifest.Resource, origins []Origin, opt Options) *Plan {
	p := &Plan{Steps: []Step{}, Excluded: []Excluded{}}
	sc := argocd.NewScopes(res)
	// The controller's DeduplicateTargetObjects: the key's namespace is ""
	// for cluster-scoped kinds, else the object's or the destination's; the
	// last object of a key wins.
	keyNS := make([]string, len(res))
	last := map[string]int{}
	for i, r := range res {
		if !sc.Cluster(r) {
			keyNS[i] = r.Namespace
			if keyNS[i] == "" {
				keyNS[i] = opt.Namespace
			}
		}
		if r.Name != "" {
			last[r.Group()+"/"+r.Kind+"/"+keyNS[i]+"/"+r.Name] = i
		}
	}
	var tasks []*task
	for i, r := range res {
		var o Origin
		if i < len(origins) {
			o = origins[i]
		}
		if j, ok := last[r.Group()+"/"+r.Kind+"/"+keyNS[i]+"/"+r.Name]; ok && j != i {
			p.Excluded = append(p.Excluded, Excluded{
				APIVersion: r.APIVersion, Kind: r.Kind, Namespace: r.Namespace, Name: r.Name,
				Source: r.Where(), Reason: fmt.Sprintf("the same resource appears again at %s: Argo CD keeps only the last one", res[j].Where()),
				Resource: r,
			})
			continue
		}
		h := argocd.Read(r.Annotations, opt.ArgoCD)
		if h.Skip || h.Ignored {
			reason := h.ExcludedReason()
			if o.Reason != "" {
				reason = o.Reason + "; " + reason
			}
			p.Excluded = append(p.Excluded, Excluded{
				APIVersion: r.APIVersion, Kind: r.Kind, Namespace: r.Namespace, Name: r.Name,
				Source: r.Where(), Reason: reason, Resource: r,
			})
			continue
		}
		for _, ph := range h.Phases {
			t := &task{res: r, index: i, origin: o, hook: h, phase: ph, wave: h.Wave}
			t.ns = keyNS[i]
			if t.ns == "" {
				t.ns = opt.Namespace
			}
			tasks = append(tasks, t)
		}
	}
	sortTasks(tasks)
	markTies(tasks)
	tasks = adjustDeps(tasks, namespaceDep, namespaceRef)
	tasks = adjustDeps(tasks, crdDep, crdRef)
	p.Steps = make([]Step, 0, len(tasks))
	for _, t := range tasks {
		p.Steps = append(p.Steps, t.step())
	}
	return p
}

// task is one task of the engine's list.
type task struct {
	res     *manifest.Resource
	index   int // position in the input, the last tie-breaker
	origin  Origin
	hook    argocd.Reading
	phase   argocd.Phase
	wave    int
	ns      string // namespace as the engine sees it (destination filled in)
	tie     int
	movedBy *task // the task it was moved in front of
	movedAs string
	own     string // its own phase and wave before the move
}

// engineLess is the engine's syncTasks.Less: phase, wave, kind order, name.
func engineLess(a, b *task) bool {
	if d := a.phase.Order() - b.phase.Order(); d != 0 {
		return d < 0
	}
	if a.wave != b.wave {
		return a.wave < b.wave
	}
	if d := argocd.KindOrder(a.res.Kind) - argocd.KindOrder(b.res.Kind); d != 0 {
		return d < 0
	}
	return a.res.Name < b.res.Name
}

func engineTie(a, b *task) bool { return !engineLess(a, b) && !engineLess(b, a) }

// sortTasks sorts as the engine does and breaks its ties in a fixed order:
// namespace, API group, kind, API version, then input order.
func sortTasks(ts []*task) {
	sort.SliceStable(ts, func(i, j int) bool {
		a, b := ts[i], ts[j]
		if !engineTie(a, b) {
			return engineLess(a, b)
		}
		if a.res.Namespace != b.res.Namespace {
			return a.res.Namespace < b.res.Namespace
		}
		if ga, gb := a.res.Group(), b.res.Group(); ga != gb {
			return ga < gb
		}
		if a.res.Kind != b.res.Kind {
			return a.res.Kind < b.res.Kind
		}
		if a.res.APIVersion != b.res.APIVersion {
			return a.res.APIVersion < b.res.APIVersion
		}
		return a.index < b.index
	})
}

func markTies(ts []*task) {
	n := 0
	for i := 1; i < len(ts); i++ {
		if engineTie(ts[i-1], ts[i]) {
			if ts[i-1].tie == 0 {
				n++
				ts[i-1].tie = n
			}
			ts[i].tie = ts[i-1].tie
		}
	}
}

// A dependency rule of adjustDeps: isDep returns the key of a task that
// others need; ref returns the key a task needs.
type depFunc func(t *task) (string, bool)

func namespaceDep(t *task) (string, bool) {
	return t.res.Name, t.res.Kind == "Namespace" && t.res.Group() == ""
}

func namespaceRef(t *task) (string, bool) { return t.ns, t.ns != "" }

func crdDep(t *task) (string, bool) {
	c, ok := argocd.ReadCRD(t.res)
	return c.Key(), ok
}

func crdRef(t *task) (string, bool) { return t.res.Group() + "/" + t.res.Kind, true }

// adjustDeps is the engine's syncTasks.adjustDeps: walking the sorted list,
// a dependency found after the first task that needs it is moved in front of
// that task and takes its phase and wave.
func adjustDeps(ts []*task, isDep, ref depFunc) []*task {
	type first struct {
		key string
		at  int
	}
	var firsts []first // first index of a task needing each key, in discovery order
	find := func(key string) int {
		for _, f := range firsts {
			if f.key == key {
				return f.at
			}
		}
		return -1
	}
	for i := 0; i < len(ts); i++ {
		t := ts[i]
		if key, ok := isDep(t); ok {
			at := find(key)
			if at < 0 {
				continue
			}
			target := ts[at]
			t.own = fmt.Sprintf("%s wave %d", t.phase, t.wave)
			t.phase, t.wave = target.phase, target.wave
			if t.movedBy == nil {
				t.movedBy = target
			}
			copy(ts[at+1:i+1], ts[at:i])
			ts[at] = t
			for j := range firsts {
				if firsts[j].at >= at {
					firsts[j].at++
				}
			}
		} else if key, ok := ref(t); ok && find(key) < 0 {
			firsts = append(firsts, first{key, i})
		}
	}
	return ts
}

func (t *task) step() Step {
	r := t.res
	s := Step{
		Phase: t.phase, Wave: t.wave,
		APIVersion: r.APIVersion, Kind: r.Kind, Namespace: r.Namespace, Name: r.Name,
		Hook:        t.hook.Hook,
		SyncOptions: argocd.CSV(r.Annotations[argocd.AnnotationSyncOptions]),
		Source:      r.Where(),
		Group:       t.origin.Group,
		Tie:         t.tie,
		Moved:       t.movedBy != nil,
		Resource:    r,
	}
	if s.SyncOptions == nil {
		s.SyncOptions = []string{}
	}
	if t.hook.Hook {
		s.HookDeletePolicy = t.hook.DeletePolicies.String()
	}
	s.Reason = t.reason()
	return s
}

func (t *task) reason() string {
	var parts []string
	if t.phase == argocd.PhaseSyncFail {
		parts = append(parts, "runs only if the sync fails")
	}
	var own []string
	if t.origin.Group != "" || t.origin.Reason != "" {
		r := t.origin.Reason
		if r == "" {
			r = "group " + t.origin.Group
		}
		own = append(own, r)
		if t.hook.HelmHidden() {
			own = append(own, fmt.Sprintf("its Argo CD hook hides Helm hook %s", strings.Join(t.hook.Helm, ",")))
		}
	} else {
		own = append(own, t.hook.PhaseWhy(t.phase)...)
		own = append(own, t.hook.WaveWhy)
	}
	if t.movedBy != nil {
		what := "Namespace moved in front of the first resource in it, "
		if argocd.IsCRD(t.res) {
			what = "CRD moved in front of its first custom resource "
		}
		parts = append(parts, fmt.Sprintf("%s%s (its own place: %s, %s)", what, describe(t.movedBy), t.own, strings.Join(own, ", ")))
	} else {
		parts = append(parts, own...)
	}
	if len(t.hook.DeleteHooks) > 0 {
		hooks := make([]string, len(t.hook.DeleteHooks))
		for i, h := range t.hook.DeleteHooks {
			hooks[i] = string(h)
		}
		parts = append(parts, fmt.Sprintf("also runs as %s hook when the Application is deleted (Argo CD 3.4+)", strings.Join(hooks, " and ")))
	}
	if t.tie != 0 {
		parts = append(parts, "ties with another task on phase, wave, kind order and name: Argo CD applies them in no fixed order")
	}
	return strings.Join(parts, ", ")
}

func describe(t *task) string {
	r := t.res
	if r.Namespace != "" {
		return fmt.Sprintf("%s %s/%s", r.Kind, r.Namespace, r.Name)
	}
	return fmt.Sprintf("%s %s", r.Kind, r.Name)
}
