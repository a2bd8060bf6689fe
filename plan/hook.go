package plan

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/syncwave/syncwave/argocd"
	"github.com/syncwave/syncwave/manifest"
)

// Annotation keys the sync engine reads (the argocd package's).
const (
	AnnotationHook             = argocd.AnnotationHook
	AnnotationHookDeletePolicy = argocd.AnnotationHookDeletePolicy
	AnnotationSyncWave         = argocd.AnnotationSyncWave
	AnnotationSyncOptions      = argocd.AnnotationSyncOptions
	AnnotationHelmHook         = argocd.AnnotationHelmHook
	AnnotationHelmHookWeight   = argocd.AnnotationHelmHookWeight
	AnnotationHelmDeletePolicy = argocd.AnnotationHelmDeletePolicy
)

// Phase is a sync phase of the engine.
type Phase string

// The sync phases, in the engine's order. SyncFail hooks run only when the
// sync fails.
const (
	PreSync  Phase = argocd.HookPreSync
	Sync     Phase = argocd.HookSync
	PostSync Phase = argocd.HookPostSync
	SyncFail Phase = argocd.HookSyncFail
)

// phaseOrder is gitops-engine's syncPhaseOrder (pkg/sync/sync_tasks.go).
func (p Phase) order() int {
	switch p {
	case PreSync:
		return -1
	case Sync:
		return 0
	case PostSync:
		return 1
	case SyncFail:
		return 2
	}
	return 0
}

// Validate reports whether p is one of the four sync phases.
func (p Phase) Validate() error {
	switch p {
	case PreSync, Sync, PostSync, SyncFail:
		return nil
	}
	return fmt.Errorf("unknown sync phase %q (expected PreSync, Sync, PostSync or SyncFail)", string(p))
}

// DeletePolicy is a hook delete policy as the engine names it.
type DeletePolicy string

// The hook delete policies.
const (
	HookSucceeded      DeletePolicy = argocd.HookSucceeded
	HookFailed         DeletePolicy = argocd.HookFailed
	BeforeHookCreation DeletePolicy = argocd.BeforeHookCreation
)

// Validate reports whether d is a delete policy the engine knows.
func (d DeletePolicy) Validate() error {
	if contains(argocd.DeletePolicies, string(d)) {
		return nil
	}
	return fmt.Errorf("unknown hook delete policy %q (expected HookSucceeded, HookFailed or BeforeHookCreation)", string(d))
}

// csv is argocd.CSV (gitops-engine's GetAnnotationCSVs, in a fixed order).
func csv(v string) []string { return argocd.CSV(v) }

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// hookInfo is what the engine reads from one resource's hook annotations
// (gitops-engine pkg/sync/hook, pkg/sync/ignore, sync_phase.go).
type hookInfo struct {
	hook     bool    // hook.IsHook
	skip     bool    // hook.Skip: never applied
	ignored  bool    // ignore.Ignore: a hook with no recognised type, dropped
	phases   []Phase // one task per phase, in phase order
	argo     []string
	argoOK   []string // the valid Argo values
	helm     []string
	helmUsed bool // the phases come from helm.sh/hook
	// deleteHooks are the delete hook types (PreDelete, PostDelete) the
	// application controller of the modelled Argo CD line runs it as when
	// the Application is deleted.
	deleteHooks []string
	argoCD      argocd.Version
}

func readHook(r *manifest.Resource, v argocd.Version) hookInfo {
	h := hookInfo{argoCD: v.OrDefault()}
	argoValue, hasArgo := r.Annotations[AnnotationHook]
	helmValue, hasHelm := r.Annotations[AnnotationHelmHook]
	h.argo = csv(argoValue)
	h.helm = csv(helmValue)
	h.deleteHooks = argocd.DeleteHooks(h.argoCD, argoValue, helmValue, hasArgo, hasHelm)
	// hook.Types: the valid Argo values, else the mapped Helm values.
	types, fromHelm, isHook := argocd.HookTypesOf(r.Annotations)
	if !fromHelm {
		h.argoOK = types
	}
	h.helmUsed = fromHelm
	h.skip = len(types) == 1 && types[0] == argocd.HookSkip
	h.hook = isHook
	h.ignored = h.hook && len(types) == 0
	if !h.ignored && !argocd.DeleteHookAlsoSyncs(h.argoCD) {
		h.deleteHooks = nil // before 3.4 such a hook is not a delete hook
	}
	switch {
	case h.skip || h.ignored:
	case h.hook:
		for _, p := range []Phase{PreSync, Sync, PostSync, SyncFail} {
			if contains(types, string(p)) {
				h.phases = append(h.phases, p)
			}
		}
	default:
		h.phases = []Phase{Sync}
	}
	return h
}

// excludedReason explains why the engine never applies a resource.
func (h hookInfo) excludedReason(r *manifest.Resource) string {
	if h.skip {
		if len(h.argo) == 1 {
			return "hook Skip: Argo CD never applies it"
		}
		return fmt.Sprintf("hook %q: Skip is its only valid type, so Argo CD never applies it", r.Annotations[AnnotationHook])
	}
	// A hook with no recognised type.
	var values []string
	key := AnnotationHook
	if _, ok := r.Annotations[AnnotationHook]; ok && len(h.argo) > 0 {
		values = h.argo
	} else if _, ok := r.Annotations[AnnotationHook]; ok && len(h.helm) == 0 {
		return fmt.Sprintf("empty %s: a hook with no type, Argo CD never applies it", AnnotationHook)
	} else {
		key = AnnotationHelmHook
		values = h.helm
	}
	if len(values) == 0 {
		return fmt.Sprintf("%s %q names no hook type: Argo CD never applies it", key, r.Annotations[key])
	}
	var kinds []string
	for _, v := range values {
		kinds = append(kinds, h.describeHookValue(key, v))
	}
	msg := fmt.Sprintf("%s %q has no sync phase (%s): Argo CD never applies it in a sync", key, strings.Join(values, ","), strings.Join(kinds, "; "))
	if key == AnnotationHook && len(h.helm) > 0 {
		msg += fmt.Sprintf("; helm.sh/hook %q maps to no sync phase either", strings.Join(h.helm, ","))
	}
	return msg
}

func (h hookInfo) describeHookValue(key, v string) string {
	switch {
	case v == "PostDelete" || v == "post-delete" || v == "PreDelete" || v == "pre-delete":
		typ := argocd.PostDelete
		if v == "PreDelete" || v == "pre-delete" {
			typ = argocd.PreDelete
		}
		if contains(h.deleteHooks, typ) {
			return v + " runs when the Application is deleted"
		}
		if typ == argocd.PreDelete && !h.argoCD.AtLeast(argocd.V3_3) {
			return fmt.Sprintf("%s is not a hook type of Argo CD %s (PreDelete needs 3.3+), so it never runs", v, h.argoCD)
		}
		return fmt.Sprintf("%s does not run when the Application is deleted either: Argo CD %s reads a delete hook only from the exact value (comma lists need 3.4+)", v, h.argoCD)
	case strings.HasPrefix(v, "test"):
		return v + " is a Helm test hook"
	case strings.HasSuffix(v, "-rollback"):
		return v + " is a Helm rollback hook"
	case v == "crd-install":
		return v + " alone would be a normal resource"
	case key == AnnotationHook:
		return v + " is not PreSync, Sync, PostSync, SyncFail or Skip (case-sensitive)"
	}
	return v + " is not pre-install, pre-upgrade, post-install or post-upgrade"
}

// deletePolicies is hook.DeletePolicies: the valid Argo policies, then the
// mapped Helm ones, BeforeHookCreation when none. Duplicates are removed.
func deletePolicies(r *manifest.Resource) []DeletePolicy {
	var out []DeletePolicy
	add := func(p DeletePolicy) {
		for _, x := range out {
			if x == p {
				return
			}
		}
		out = append(out, p)
	}
	for _, v := range csv(r.Annotations[AnnotationHookDeletePolicy]) {
		if DeletePolicy(v).Validate() == nil {
			add(DeletePolicy(v))
		}
	}
	for _, v := range csv(r.Annotations[AnnotationHelmDeletePolicy]) {
		if p, ok := argocd.HelmDeletePolicies[v]; ok {
			add(DeletePolicy(p))
		}
	}
	if len(out) == 0 {
		out = append(out, BeforeHookCreation)
	}
	return out
}

// readWave is syncwaves.Wave: strconv.Atoi of sync-wave, else of
// helm.sh/hook-weight, else 0, on any resource. why explains the value.
func readWave(r *manifest.Resource) (wave int, why string) {
	sw, hasSW := r.Annotations[AnnotationSyncWave]
	if hasSW {
		if n, err := strconv.Atoi(sw); err == nil {
			return n, fmt.Sprintf("existing annotation sync-wave %d", n)
		}
	}
	w, hasW := r.Annotations[AnnotationHelmHookWeight]
	var fallback string
	n, err := strconv.Atoi(w)
	switch {
	case hasW && err == nil:
		wave, fallback = n, fmt.Sprintf("hook-weight %d", n)
	case hasW:
		fallback = fmt.Sprintf("wave 0 (hook-weight %q is not an integer either)", w)
	default:
		fallback = "wave 0"
	}
	switch {
	case hasSW:
		return wave, fmt.Sprintf("invalid sync-wave %q: Argo CD falls back to %s", sw, fallback)
	case hasW && err == nil:
		return wave, fallback
	case hasW:
		return 0, fmt.Sprintf("invalid hook-weight %q: Argo CD uses wave 0", w)
	}
	return 0, "default wave 0"
}
