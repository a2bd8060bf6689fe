package order

import (
	"fmt"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/syncwave/syncwave/argocd"
)

// HookType is the value of argocd.argoproj.io/hook a group writes. The empty
// HookType means "not a hook". Values are case-sensitive, as in Argo CD.
type HookType string

// The hook types Argo CD knows.
const (
	HookNone       HookType = ""
	HookPreSync    HookType = argocd.HookPreSync
	HookSync       HookType = argocd.HookSync
	HookPostSync   HookType = argocd.HookPostSync
	HookSyncFail   HookType = argocd.HookSyncFail
	HookSkip       HookType = argocd.HookSkip
	HookPreDelete  HookType = argocd.HookPreDelete
	HookPostDelete HookType = argocd.HookPostDelete
)

// HookTypes lists the valid hook types in Argo CD's order (argocd.HookTypes).
var HookTypes = fromStrings[HookType](argocd.HookTypes)

// Validate reports whether h is empty or a hook type Argo CD knows.
func (h HookType) Validate() error {
	if h == HookNone || slices.Contains(HookTypes, h) {
		return nil
	}
	return fmt.Errorf("unknown hook %q%s; expected one of %s", string(h), didYouMean(string(h), toStrings(HookTypes)), quoteList(HookTypes))
}

// Phase is the phase a group of this hook type runs in: PhaseSync for a
// non-hook and for a Sync hook.
func (h HookType) Phase() Phase {
	switch h {
	case HookPreSync:
		return PhasePreSync
	case HookPostSync:
		return PhasePostSync
	case HookSyncFail:
		return PhaseSyncFail
	case HookSkip:
		return PhaseSkip
	case HookPreDelete:
		return PhasePreDelete
	case HookPostDelete:
		return PhasePostDelete
	}
	return PhaseSync
}

// Phase is a sync phase. PreSync < Sync < PostSync run in that order in
// every sync; the others are special: SyncFail runs only when a sync fails,
// Skip is never applied, PreDelete and PostDelete run when the Application
// is deleted. Groups order across phases only along PreSync < Sync <
// PostSync; special phases order only among themselves.
type Phase int

// The phases, numbered as Argo CD sorts them (PreSync -1, Sync 0, PostSync
// 1, SyncFail 2); the remaining ones follow.
const (
	PhasePreSync    Phase = -1
	PhaseSync       Phase = 0
	PhasePostSync   Phase = 1
	PhaseSyncFail   Phase = 2
	PhaseSkip       Phase = 3
	PhasePreDelete  Phase = 4
	PhasePostDelete Phase = 5
)

func (p Phase) String() string {
	switch p {
	case PhasePreSync:
		return "PreSync"
	case PhaseSync:
		return "Sync"
	case PhasePostSync:
		return "PostSync"
	case PhaseSyncFail:
		return "SyncFail"
	case PhaseSkip:
		return "Skip"
	case PhasePreDelete:
		return "PreDelete"
	case PhasePostDelete:
		return "PostDelete"
	}
	return fmt.Sprintf("Phase(%d)", int(p))
}

// Ordered reports whether p is PreSync, Sync or PostSync: the phases every
// sync runs, one after the other.
func (p Phase) Ordered() bool { return p >= PhasePreSync && p <= PhasePostSync }

// DeletePolicy is one argocd.argoproj.io/hook-delete-policy value.
type DeletePolicy string

// The delete policies Argo CD knows.
const (
	HookSucceeded      DeletePolicy = argocd.HookSucceeded
	HookFailed         DeletePolicy = argocd.HookFailed
	BeforeHookCreation DeletePolicy = argocd.BeforeHookCreation
)

// DeletePolicyValues lists the valid delete policies (argocd.DeletePolicies).
var DeletePolicyValues = fromStrings[DeletePolicy](argocd.DeletePolicies)

// Validate reports whether p is a delete policy Argo CD knows.
func (p DeletePolicy) Validate() error {
	if slices.Contains(DeletePolicyValues, p) {
		return nil
	}
	return fmt.Errorf("unknown hook delete policy %q%s; expected one of %s", string(p), didYouMean(string(p), toStrings(DeletePolicyValues)), quoteList(DeletePolicyValues))
}

// DeletePolicies is a hook-delete-policy list. In YAML it is written as
// Argo CD's annotation is, a comma-separated string
// ("HookSucceeded,BeforeHookCreation"); decoding keeps every entry, trimmed,
// in the order written, and Validate reports unknown, empty and repeated
// ones. String is the canonical annotation value.
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
func (ps DeletePolicies) String() string { return strings.Join(toStrings(ps), ",") }

// Validate reports every empty, unknown or repeated policy.
func (ps DeletePolicies) Validate() error {
	var errs []error
	for i, p := range ps {
		switch {
		case p == "":
			errs = append(errs, fmt.Errorf("empty entry in hook delete policy list %q", ps.String()))
		case slices.Contains(ps[:i], p):
			errs = append(errs, fmt.Errorf("hook delete policy %q is listed twice", string(p)))
		default:
			if err := p.Validate(); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return joinMsgs(errs)
}

// UnmarshalYAML accepts a comma-separated string.
func (ps *DeletePolicies) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!str" {
		return fmt.Errorf("expected a comma-separated string, found %s", describe(n))
	}
	*ps = ParseDeletePolicies(n.Value)
	return nil
}

// MarshalYAML writes the comma-separated string.
func (ps DeletePolicies) MarshalYAML() (any, error) { return ps.String(), nil }

// MarshalText writes the comma-separated string (used by JSON).
func (ps DeletePolicies) MarshalText() ([]byte, error) { return []byte(ps.String()), nil }

// UnmarshalText reads the comma-separated string (used by JSON).
func (ps *DeletePolicies) UnmarshalText(b []byte) error {
	*ps = ParseDeletePolicies(string(b))
	return nil
}

// SyncOption is one argocd.argoproj.io/sync-options value a group writes.
// Argo CD matches them exactly, so they are case-sensitive strings.
type SyncOption string

// SyncOptionValues lists the resource-level sync options of Argo CD 2.14 (argocd.SyncOptions);
// SyncOptionValuesFor adds those of later lines.
var SyncOptionValues = fromStrings[SyncOption](argocd.SyncOptions)

// Key is the part before "=".
func (o SyncOption) Key() string {
	k, _, _ := strings.Cut(string(o), "=")
	return k
}

// Validate reports whether o is a resource-level option the current Argo
// CD (argocd.Default) knows; ValidateFor checks another line.
func (o SyncOption) Validate() error { return o.ValidateFor(argocd.Default) }

func fromStrings[S ~string](xs []string) []S {
	s := make([]S, len(xs))
	for i, x := range xs {
		s[i] = S(x)
	}
	return s
}

func toStrings[S ~string](xs []S) []string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = string(x)
	}
	return s
}

// joinMsgs joins errors with "; " (one line).
func joinMsgs(errs []error) error {
	switch len(errs) {
	case 0:
		return nil
	case 1:
		return errs[0]
	}
	msgs := make([]string, len(errs))
	for i, e := range errs {
		msgs[i] = e.Error()
	}
	return fmt.Errorf("%s", strings.Join(msgs, "; "))
}
