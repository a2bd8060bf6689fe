package order

import (
	"fmt"
	"slices"
	"strings"

	"github.com/syncwave/syncwave/argocd"
)

// validateHook reports whether h is empty or a hook type Argo CD knows,
// with a did-you-mean for the ordering file.
func validateHook(h argocd.Hook) error {
	if h.Validate() == nil {
		return nil
	}
	return fmt.Errorf("unknown hook %q%s; expected one of %s", string(h), didYouMean(string(h), toStrings(argocd.HookTypes)), quoteList(argocd.HookTypes))
}

// validateDeletePolicy reports whether p is a delete policy Argo CD knows.
func validateDeletePolicy(p argocd.DeletePolicy) error {
	if p.Validate() == nil {
		return nil
	}
	return fmt.Errorf("unknown hook delete policy %q%s; expected one of %s", string(p), didYouMean(string(p), toStrings(argocd.DeletePolicyValues)), quoteList(argocd.DeletePolicyValues))
}

// validateDeletePolicies reports every empty, unknown or repeated policy.
func validateDeletePolicies(ps argocd.DeletePolicies) error {
	var errs []error
	for i, p := range ps {
		switch {
		case p == "":
			errs = append(errs, fmt.Errorf("empty entry in hook delete policy list %q", ps.String()))
		case slices.Contains(ps[:i], p):
			errs = append(errs, fmt.Errorf("hook delete policy %q is listed twice", string(p)))
		default:
			if err := validateDeletePolicy(p); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return joinMsgs(errs)
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
