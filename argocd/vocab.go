package argocd

import (
	"fmt"
	"slices"
	"strings"

	"github.com/syncwave/syncwave/manifest"
)

// The annotations Argo CD's sync engine reads (gitops-engine pkg/sync/common
// and pkg/sync/hook/helm).
const (
	AnnotationSyncWave         = "argocd.argoproj.io/sync-wave"
	AnnotationHook             = "argocd.argoproj.io/hook"
	AnnotationHookDeletePolicy = "argocd.argoproj.io/hook-delete-policy"
	AnnotationSyncOptions      = "argocd.argoproj.io/sync-options"
	AnnotationHelmHook         = "helm.sh/hook"
	AnnotationHelmHookWeight   = "helm.sh/hook-weight"
	AnnotationHelmDeletePolicy = "helm.sh/hook-delete-policy"
)

// Hook is a value of argocd.argoproj.io/hook (common.HookType). The empty
// Hook means "not a hook". Values are case-sensitive, as in Argo CD.
type Hook string

// The hook types Argo CD knows, in its order.
const (
	HookNone       Hook = ""
	HookPreSync    Hook = "PreSync"
	HookSync       Hook = "Sync"
	HookPostSync   Hook = "PostSync"
	HookSyncFail   Hook = "SyncFail"
	HookSkip       Hook = "Skip"
	HookPreDelete  Hook = "PreDelete"
	HookPostDelete Hook = "PostDelete"
)

// HookTypes lists every hook type, in Argo CD's order.
var HookTypes = []Hook{HookPreSync, HookSync, HookPostSync, HookSyncFail, HookSkip, HookPreDelete, HookPostDelete}

// SyncHookTypes are the hook types that run in a sync (the others run when
// the Application is deleted, or never).
var SyncHookTypes = []Hook{HookPreSync, HookSync, HookPostSync, HookSyncFail}

// Validate reports whether h is empty or a hook type Argo CD knows.
func (h Hook) Validate() error {
	if h == HookNone || slices.Contains(HookTypes, h) {
		return nil
	}
	return fmt.Errorf("unknown hook %q; expected one of %s", string(h), quote(HookTypes))
}

// Phase is the phase a resource of this hook type runs in: PhaseSync for a
// non-hook and for a Sync hook.
func (h Hook) Phase() Phase {
	if h == HookNone {
		return PhaseSync
	}
	return Phase(h)
}

// Phase is a sync phase (common.SyncPhase), and the special phases of the
// hooks that do not run in a sync. PreSync < Sync < PostSync run in that
// order in every sync; SyncFail runs only when a sync fails, Skip is never
// applied, PreDelete and PostDelete run when the Application is deleted.
type Phase string

// The phases.
const (
	PhasePreSync    Phase = "PreSync"
	PhaseSync       Phase = "Sync"
	PhasePostSync   Phase = "PostSync"
	PhaseSyncFail   Phase = "SyncFail"
	PhaseSkip       Phase = "Skip"
	PhasePreDelete  Phase = "PreDelete"
	PhasePostDelete Phase = "PostDelete"
)

// SyncPhases are the phases of a sync, in the engine's order.
var SyncPhases = []Phase{PhasePreSync, PhaseSync, PhasePostSync, PhaseSyncFail}

// Order is the engine's rank of the phase (gitops-engine pkg/sync
// sync_tasks.go syncPhaseOrder: PreSync -1, Sync 0, PostSync 1, SyncFail
// 2); Skip, PreDelete and PostDelete follow (3, 4, 5).
func (p Phase) Order() int {
	switch p {
	case PhasePreSync:
		return -1
	case PhasePostSync:
		return 1
	case PhaseSyncFail:
		return 2
	case PhaseSkip:
		return 3
	case PhasePreDelete:
		return 4
	case PhasePostDelete:
		return 5
	}
	return 0
}

// Ordered reports whether p is PreSync, Sync or PostSync: the phases every
// sync runs, one after the other.
func (p Phase) Ordered() bool { return p == PhasePreSync || p == PhaseSync || p == PhasePostSync }

// Validate reports whether p is one of the four sync phases.
func (p Phase) Validate() error {
	if slices.Contains(SyncPhases, p) {
		return nil
	}
	return fmt.Errorf("unknown sync phase %q (expected %s)", string(p), quote(SyncPhases))
}

// DeletePolicy is one hook delete policy (common.HookDeletePolicy).
type DeletePolicy string

// The hook delete policies Argo CD knows.
const (
	HookSucceeded      DeletePolicy = "HookSucceeded"
	HookFailed         DeletePolicy = "HookFailed"
	BeforeHookCreation DeletePolicy = "BeforeHookCreation"
)

// DeletePolicyValues lists the delete policies.
var DeletePolicyValues = []DeletePolicy{HookSucceeded, HookFailed, BeforeHookCreation}

// Validate reports whether p is a delete policy Argo CD knows.
func (p DeletePolicy) Validate() error {
	if slices.Contains(DeletePolicyValues, p) {
		return nil
	}
	return fmt.Errorf("unknown hook delete policy %q; expected one of %s", string(p), quote(DeletePolicyValues))
}

// DeletePolicies is a hook-delete-policy list, written as Argo CD's
// annotation is: a comma-separated string ("HookSucceeded,BeforeHookCreation").
// ParseDeletePolicies keeps every entry, trimmed, in the order written;
// String is the canonical annotation value.
type DeletePolicies []DeletePolicy

// ParseDeletePolicies splits a comma list without validating it.
func ParseDeletePolicies(s string) DeletePolicies {
	if strings.TrimSpace(s) == "" {
		return nil
	}
	parts := strings.Split(s, ",")
	ps := make(DeletePolicies, len(parts))
	for i, p := range parts {
		ps[i] = DeletePolicy(strings.TrimSpace(p))
	}
	return ps
}

// String joins the policies with commas, no spaces.
func (ps DeletePolicies) String() string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = string(p)
	}
	return strings.Join(s, ",")
}

// MarshalText writes the comma-separated string (used by JSON).
func (ps DeletePolicies) MarshalText() ([]byte, error) { return []byte(ps.String()), nil }

// UnmarshalText reads the comma-separated string (used by JSON).
func (ps *DeletePolicies) UnmarshalText(b []byte) error {
	*ps = ParseDeletePolicies(string(b))
	return nil
}

// SyncOptions lists the resource-level sync options Argo CD 2.14 knows, as
// exact strings (it matches them exactly); SyncOptionsSince3 are added by
// 3.0.
var SyncOptions = []string{
	"Prune=false", "Prune=confirm", "Delete=false", "Delete=confirm", "Validate=false",
	"SkipDryRunOnMissingResource=true", "Replace=true", "Force=true",
	"ServerSideApply=true", "ServerSideApply=false", "PruneLast=true",
}

// SkipDryRunOnMissingResource is the option a custom resource needs when
// its CRD is applied in the same sync.
const SkipDryRunOnMissingResource = "SkipDryRunOnMissingResource=true"

// AppLevelSyncOptions are sync option keys Argo CD reads only from the
// Application, never from a resource.
var AppLevelSyncOptions = []string{"ApplyOutOfSyncOnly", "CreateNamespace", "PrunePropagationPolicy", "RespectIgnoreDifferences", "FailOnSharedResource"}

// HelmHookPhases maps the helm.sh/hook values Argo CD honours to the hook
// type they stand for; every other Helm hook value maps to nothing.
var HelmHookPhases = map[string]Hook{
	"pre-install":  HookPreSync,
	"pre-upgrade":  HookPreSync,
	"post-install": HookPostSync,
	"post-upgrade": HookPostSync,
}

// helmSyncHooks are the keys of HelmHookPhases, in the order messages
// list them.
var helmSyncHooks = []string{"pre-install", "pre-upgrade", "post-install", "post-upgrade"}

// HelmHookFor is the helm.sh/hook value of each delete hook type.
var HelmHookFor = map[Hook]string{HookPreDelete: "pre-delete", HookPostDelete: "post-delete"}

// HelmCRDInstall is Helm 2's crd-install hook: Argo CD reads a resource
// whose only helm.sh/hook is crd-install as a normal resource.
const HelmCRDInstall = "crd-install"

// HelmHookEvents are the helm.sh/hook events Helm itself knows (Helm's
// releaseutil table); `helm template` leaves out a document with any other.
var HelmHookEvents = []string{
	"pre-install", "post-install", "pre-delete", "post-delete",
	"pre-upgrade", "post-upgrade", "pre-rollback", "post-rollback",
	"test", "test-success",
}

// KnownHelmHooks reports whether every item of a helm.sh/hook value is an
// event Helm knows (case-insensitive, as Helm compares them).
func KnownHelmHooks(v string) bool {
	for _, h := range strings.Split(v, ",") {
		if !slices.Contains(HelmHookEvents, strings.ToLower(strings.TrimSpace(h))) {
			return false
		}
	}
	return true
}

// HelmDeletePolicies maps helm.sh/hook-delete-policy values to Argo CD's.
var HelmDeletePolicies = map[string]DeletePolicy{
	"before-hook-creation": BeforeHookCreation,
	"hook-succeeded":       HookSucceeded,
	"hook-failed":          HookFailed,
}

// CSV splits an annotation value as gitops-engine's GetAnnotationCSVs does:
// comma separated, each item trimmed, empty items dropped, duplicates
// removed. Unlike the engine (which returns map order) the first occurrence
// order is kept, so the result is deterministic.
func CSV(v string) []string {
	var out []string
	for _, item := range strings.Split(v, ",") {
		item = strings.TrimSpace(item)
		if item == "" || slices.Contains(out, item) {
			continue
		}
		out = append(out, item)
	}
	return out
}

// quote writes values as `"a", "b", "c"`.
func quote[S ~string](values []S) string {
	q := make([]string, len(values))
	for i, v := range values {
		q[i] = fmt.Sprintf("%q", string(v))
	}
	return strings.Join(q, ", ")
}

// IsCRD reports whether r is a CustomResourceDefinition.
func IsCRD(r *manifest.Resource) bool {
	return r.Kind == "CustomResourceDefinition" && r.Group() == "apiextensions.k8s.io"
}

// CRD is what a CustomResourceDefinition says about the kind it defines.
type CRD struct {
	Group string // spec.group
	Kind  string // spec.names.kind
	Scope string // spec.scope: "Namespaced" or "Cluster" ("" when unset)
}

// Key is "group/Kind", the key under which resources of the kind are found
// (manifest.Resource.Group() + "/" + Kind).
func (c CRD) Key() string { return c.Group + "/" + c.Kind }

// ReadCRD returns what r defines; ok is false when r is not a CRD or has no
// spec.group or spec.names.kind field (an empty value is returned as is).
func ReadCRD(r *manifest.Resource) (c CRD, ok bool) {
	if !IsCRD(r) {
		return c, false
	}
	g, ok1 := r.Field("spec", "group")
	k, ok2 := r.Field("spec", "names", "kind")
	if !ok1 || !ok2 {
		return c, false
	}
	c.Group, c.Kind = g, k
	c.Scope, _ = r.Field("spec", "scope")
	return c, true
}
