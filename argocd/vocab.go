package argocd

import (
	"strconv"
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

// The values of argocd.argoproj.io/hook Argo CD knows, in its order.
// Case-sensitive, as in Argo CD.
const (
	HookPreSync    = "PreSync"
	HookSync       = "Sync"
	HookPostSync   = "PostSync"
	HookSyncFail   = "SyncFail"
	HookSkip       = "Skip"
	HookPreDelete  = "PreDelete"
	HookPostDelete = "PostDelete"
)

// HookTypes lists every hook type, in Argo CD's order.
var HookTypes = []string{HookPreSync, HookSync, HookPostSync, HookSyncFail, HookSkip, HookPreDelete, HookPostDelete}

// SyncHookTypes are the hook types that run in a sync (the others run when
// the Application is deleted, or never).
var SyncHookTypes = []string{HookPreSync, HookSync, HookPostSync, HookSyncFail}

// The hook delete policies Argo CD knows.
const (
	HookSucceeded      = "HookSucceeded"
	HookFailed         = "HookFailed"
	BeforeHookCreation = "BeforeHookCreation"
)

// DeletePolicies lists the delete policies.
var DeletePolicies = []string{HookSucceeded, HookFailed, BeforeHookCreation}

// SyncOptions lists the resource-level sync options Argo CD knows, as
// exact strings (it matches them exactly).
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
var HelmHookPhases = map[string]string{
	"pre-install":  HookPreSync,
	"pre-upgrade":  HookPreSync,
	"post-install": HookPostSync,
	"post-upgrade": HookPostSync,
}

// HelmDeletePolicies maps helm.sh/hook-delete-policy values to Argo CD's.
var HelmDeletePolicies = map[string]string{
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
		if item == "" || contains(out, item) {
			continue
		}
		out = append(out, item)
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// WaveSource says which annotation gave the wave Argo CD uses.
type WaveSource int

const (
	WaveDefault    WaveSource = iota // neither annotation parses: wave 0
	WaveAnnotation                   // argocd.argoproj.io/sync-wave
	WaveHookWeight                   // helm.sh/hook-weight
)

// Wave is gitops-engine's syncwaves.Wave: strconv.Atoi of sync-wave, else of
// helm.sh/hook-weight, else 0, on any resource, hook or not.
func Wave(annotations map[string]string) (int, WaveSource) {
	if v, ok := annotations[AnnotationSyncWave]; ok {
		if n, err := strconv.Atoi(v); err == nil {
			return n, WaveAnnotation
		}
	}
	if v, ok := annotations[AnnotationHelmHookWeight]; ok {
		if n, err := strconv.Atoi(v); err == nil {
			return n, WaveHookWeight
		}
	}
	return 0, WaveDefault
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

// HookTypesOf returns the hook types that decide r's phases, as Argo CD's
// hook.Types does: the valid values of argocd.argoproj.io/hook, else the
// Helm hook values mapped to Argo CD's. fromHelm says the Helm values were
// used. isHook reports hook.IsHook.
func HookTypesOf(annotations map[string]string) (types []string, fromHelm, isHook bool) {
	argo, hasArgo := annotations[AnnotationHook]
	helm, hasHelm := annotations[AnnotationHelmHook]
	if !hasArgo && !hasHelm {
		return nil, false, false
	}
	for _, v := range CSV(argo) {
		if contains(SyncHookTypes, v) || v == HookSkip {
			types = append(types, v)
		}
	}
	if len(types) == 0 {
		for _, v := range CSV(helm) {
			if t, ok := HelmHookPhases[v]; ok && !contains(types, t) {
				types = append(types, t)
				fromHelm = true
			}
		}
	}
	skip := len(types) == 1 && types[0] == HookSkip
	if hasArgo {
		isHook = !skip
	} else {
		isHook = hasHelm && helm != "crd-install"
	}
	return types, fromHelm, isHook
}
