package argocd

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Reading is what Argo CD reads from one resource's annotations, as the
// selected line reads them (gitops-engine pkg/sync/hook, pkg/sync/ignore,
// syncwaves.Wave and hook.DeletePolicies; the application controller's
// delete hooks).
type Reading struct {
	// Version is the Argo CD line read as (never zero).
	Version Version
	// Hook is hook.IsHook.
	Hook bool
	// Skip is hook.Skip: Skip is the only valid type, never applied.
	Skip bool
	// Ignored is a hook with no recognised type: ignore.Ignore drops it.
	Ignored bool
	// Types are hook.Types: the valid argocd.argoproj.io/hook values
	// (sync types and Skip), else the helm.sh/hook values mapped to Argo
	// CD's, in the order written.
	Types []Hook
	// FromHelm says Types come from helm.sh/hook.
	FromHelm bool
	// Phases are the phases the engine runs it in, one task each, in phase
	// order; nil when Skip or Ignored.
	Phases []Phase
	// Wave is syncwaves.Wave; WaveFrom says which annotation gave it and
	// WaveWhy explains it ("existing annotation sync-wave 2").
	Wave     int
	WaveFrom WaveSource
	WaveWhy  string
	// DeletePolicies is hook.DeletePolicies (for a hook): the valid Argo
	// policies, then the mapped Helm ones, BeforeHookCreation when none.
	DeletePolicies DeletePolicies
	// DeleteHooks are the delete hook types (PreDelete, PostDelete) the
	// application controller runs it as when the Application is deleted.
	DeleteHooks []Hook
	// Argo and Helm are the items of argocd.argoproj.io/hook and
	// helm.sh/hook (CSV).
	Argo, Helm []string

	argoValue, helmValue string
	hasArgo, hasHelm     bool
}

// Read reads annotations as Argo CD line v (zero: Default) does, v as
// v.Modelled() models it.
func Read(annotations map[string]string, v Version) Reading {
	m, _ := v.Modelled()
	r := Reading{Version: m}
	r.argoValue, r.hasArgo = annotations[AnnotationHook]
	r.helmValue, r.hasHelm = annotations[AnnotationHelmHook]
	r.Argo, r.Helm = CSV(r.argoValue), CSV(r.helmValue)
	r.Types, r.FromHelm, r.Hook = r.hookTypes()
	r.Skip = len(r.Types) == 1 && r.Types[0] == HookSkip
	r.Ignored = r.Hook && len(r.Types) == 0
	r.DeleteHooks = DeleteHooks(r.Version, r.argoValue, r.helmValue, r.hasArgo, r.hasHelm)
	if !r.Ignored && !DeleteHookAlsoSyncs(r.Version) {
		r.DeleteHooks = nil // before 3.4 such a hook is not a delete hook
	}
	switch {
	case r.Skip || r.Ignored:
	case r.Hook:
		for _, p := range SyncPhases {
			if slices.Contains(r.Types, Hook(p)) {
				r.Phases = append(r.Phases, p)
			}
		}
	default:
		r.Phases = []Phase{PhaseSync}
	}
	r.Wave, r.WaveFrom, r.WaveWhy = readWave(annotations)
	if r.Hook {
		r.DeletePolicies = deletePolicies(annotations)
	}
	return r
}

// hookTypes is hook.Types and hook.IsHook: the valid values of
// argocd.argoproj.io/hook, else the Helm hook values mapped to Argo CD's.
func (r *Reading) hookTypes() (types []Hook, fromHelm, isHook bool) {
	if !r.hasArgo && !r.hasHelm {
		return nil, false, false
	}
	for _, v := range r.Argo {
		if h := Hook(v); slices.Contains(SyncHookTypes, h) || h == HookSkip {
			types = append(types, h)
		}
	}
	if len(types) == 0 {
		for _, v := range r.Helm {
			if t, ok := HelmHookPhases[v]; ok && !slices.Contains(types, t) {
				types = append(types, t)
				fromHelm = true
			}
		}
	}
	skip := len(types) == 1 && types[0] == HookSkip
	if r.hasArgo {
		isHook = !skip
	} else {
		isHook = r.hasHelm && r.helmValue != HelmCRDInstall
	}
	return types, fromHelm, isHook
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
	w, src, _ := readWave(annotations)
	return w, src
}

// readWave is Wave with the sentence that explains the value.
func readWave(annotations map[string]string) (wave int, src WaveSource, why string) {
	sw, hasSW := annotations[AnnotationSyncWave]
	if hasSW {
		if n, err := strconv.Atoi(sw); err == nil {
			return n, WaveAnnotation, fmt.Sprintf("existing annotation sync-wave %d", n)
		}
	}
	w, hasW := annotations[AnnotationHelmHookWeight]
	n, err := strconv.Atoi(w)
	var fallback string
	switch {
	case hasW && err == nil:
		wave, src, fallback = n, WaveHookWeight, fmt.Sprintf("hook-weight %d", n)
	case hasW:
		fallback = fmt.Sprintf("wave 0 (hook-weight %q is not an integer either)", w)
	default:
		fallback = "wave 0"
	}
	switch {
	case hasSW:
		return wave, src, fmt.Sprintf("invalid sync-wave %q: Argo CD falls back to %s", sw, fallback)
	case hasW && err == nil:
		return wave, src, fallback
	case hasW:
		return 0, src, fmt.Sprintf("invalid hook-weight %q: Argo CD uses wave 0", w)
	}
	return 0, src, "default wave 0"
}

// deletePolicies is hook.DeletePolicies: the valid Argo policies, then the
// mapped Helm ones, BeforeHookCreation when none; duplicates removed.
func deletePolicies(annotations map[string]string) DeletePolicies {
	var out DeletePolicies
	add := func(p DeletePolicy) {
		if !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	for _, v := range CSV(annotations[AnnotationHookDeletePolicy]) {
		if DeletePolicy(v).Validate() == nil {
			add(DeletePolicy(v))
		}
	}
	for _, v := range CSV(annotations[AnnotationHelmDeletePolicy]) {
		if p, ok := HelmDeletePolicies[v]; ok {
			add(p)
		}
	}
	if len(out) == 0 {
		out = append(out, BeforeHookCreation)
	}
	return out
}

// ExcludedReason explains why the engine never applies a resource that is
// Skip or Ignored.
func (r Reading) ExcludedReason() string {
	if r.Skip {
		if len(r.Argo) == 1 {
			return "hook Skip: Argo CD never applies it"
		}
		return fmt.Sprintf("hook %q: Skip is its only valid type, so Argo CD never applies it", r.argoValue)
	}
	// A hook with no recognised type.
	var values []string
	key, raw := AnnotationHook, r.argoValue
	switch {
	case r.hasArgo && len(r.Argo) > 0:
		values = r.Argo
	case r.hasArgo && len(r.Helm) == 0:
		return fmt.Sprintf("empty %s: a hook with no type, Argo CD never applies it", AnnotationHook)
	default:
		key, raw, values = AnnotationHelmHook, r.helmValue, r.Helm
	}
	if len(values) == 0 {
		return fmt.Sprintf("%s %q names no hook type: Argo CD never applies it", key, raw)
	}
	var kinds []string
	for _, v := range values {
		kinds = append(kinds, r.describeHookValue(key, v))
	}
	msg := fmt.Sprintf("%s %q has no sync phase (%s): Argo CD never applies it in a sync", key, strings.Join(values, ","), strings.Join(kinds, "; "))
	if key == AnnotationHook && len(r.Helm) > 0 {
		msg += fmt.Sprintf("; %s %q maps to no sync phase either", AnnotationHelmHook, strings.Join(r.Helm, ","))
	}
	return msg
}

// deleteHookOf returns the delete hook type v names, in either annotation.
func deleteHookOf(v string) (Hook, bool) {
	for _, h := range []Hook{HookPreDelete, HookPostDelete} {
		if v == string(h) || v == HelmHookFor[h] {
			return h, true
		}
	}
	return HookNone, false
}

func (r Reading) describeHookValue(key, v string) string {
	if typ, ok := deleteHookOf(v); ok {
		if slices.Contains(r.DeleteHooks, typ) {
			return v + " runs when the Application is deleted"
		}
		if typ == HookPreDelete && !r.Version.AtLeast(V3_3) {
			return fmt.Sprintf("%s is not a hook type of Argo CD %s (%s needs 3.3+), so it never runs", v, r.Version, HookPreDelete)
		}
		return fmt.Sprintf("%s does not run when the Application is deleted either: Argo CD %s reads a delete hook only from the exact value (comma lists need 3.4+)", v, r.Version)
	}
	switch {
	case strings.HasPrefix(v, "test"):
		return v + " is a Helm test hook"
	case strings.HasSuffix(v, "-rollback"):
		return v + " is a Helm rollback hook"
	case v == HelmCRDInstall:
		return v + " alone would be a normal resource"
	case key == AnnotationHook:
		return v + " is not " + orList(append(slices.Clone(SyncHookTypes), HookSkip)) + " (case-sensitive)"
	}
	return v + " is not " + orList(helmSyncHooks)
}

// PhaseWhy explains the phase p of a hook, or of a non-hook no group placed
// (nil when there is nothing to say).
func (r Reading) PhaseWhy(p Phase) []string {
	if !r.Hook {
		if len(r.Argo) == 0 && r.hasHelm && r.helmValue == HelmCRDInstall {
			return []string{"Helm hook " + HelmCRDInstall + " is a normal resource"}
		}
		return nil
	}
	var out []string
	if r.FromHelm {
		if r.hasArgo {
			out = append(out, fmt.Sprintf("%s %q has no valid type, so Helm's hook decides", AnnotationHook, r.argoValue))
		}
		var from []string
		for _, v := range r.Helm {
			if h, ok := HelmHookPhases[v]; ok && h.Phase() == p {
				from = append(from, v)
			}
		}
		return append(out, fmt.Sprintf("Helm hook %s → %s", strings.Join(from, ","), p))
	}
	out = append(out, "hook "+string(p))
	if slices.Contains(r.Types, HookSkip) {
		out = append(out, string(HookSkip)+" ignored (combined with another type)")
	}
	if len(r.Helm) > 0 {
		out = append(out, fmt.Sprintf("%s %s ignored (an Argo CD hook is set)", AnnotationHelmHook, strings.Join(r.Helm, ",")))
	}
	return out
}

// HelmHidden reports whether valid Argo CD hook types hide helm.sh/hook
// values (which Argo CD then ignores).
func (r Reading) HelmHidden() bool { return !r.FromHelm && len(r.Types) > 0 && len(r.Helm) > 0 }

// orList writes "a, b, c or d".
func orList[S ~string](xs []S) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = string(x)
	}
	if len(s) < 2 {
		return strings.Join(s, "")
	}
	return strings.Join(s[:len(s)-1], ", ") + " or " + s[len(s)-1]
}
