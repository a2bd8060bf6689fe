package order

import (
	"fmt"
	"slices"
	"strings"

	"github.com/syncwave/syncwave/argocd"
)

// The sync-option vocabulary by Argo CD line. Decode accepts the current
// (3.x) vocabulary; CheckArgoCD then refuses what an older line does not
// know. (Kept apart from vocab.go so that it can move with the rest of the
// vocabulary.)

// SyncOptionValuesFor lists the resource-level sync options line v knows.
func SyncOptionValuesFor(v argocd.Version) []SyncOption {
	out := slices.Clone(SyncOptionValues)
	if v.AtLeast(argocd.V3_0) {
		for _, o := range argocd.SyncOptionsSince3 {
			out = append(out, SyncOption(o))
		}
	}
	return out
}

// ValidateFor reports whether o is a resource-level option line v knows.
func (o SyncOption) ValidateFor(v argocd.Version) error {
	known := SyncOptionValuesFor(v)
	if slices.Contains(known, o) {
		return nil
	}
	if key := strings.TrimSpace(o.Key()); slices.Contains(argocd.AppLevelSyncOptions, key) || v.AtLeast(argocd.V3_0) && slices.Contains(argocd.AppLevelSyncOptionsSince3, key) {
		return fmt.Errorf("sync option %q is read only from the Application; set it in the Application's spec.syncPolicy.syncOptions, not on resources", string(o))
	}
	if !v.AtLeast(argocd.V3_0) && slices.Contains(argocd.SyncOptionsSince3, string(o)) {
		return fmt.Errorf("sync option %q needs Argo CD 3.0 or later (the Argo CD version is %s, where %s=... must be exactly one of %s)", string(o), v, o.Key(), quoteList(sameKey(known, o.Key())))
	}
	return fmt.Errorf("unknown sync option %q%s; expected one of %s", string(o), didYouMean(string(o), toStrings(known)), quoteList(known))
}

func sameKey(opts []SyncOption, key string) []SyncOption {
	var out []SyncOption
	for _, o := range opts {
		if o.Key() == key {
			out = append(out, o)
		}
	}
	return out
}

// CheckArgoCD checks the groups' sync options against Argo CD line v (the
// vocabulary Decode accepted is the current one); errors name the field.
func (o *SyncOrder) CheckArgoCD(v argocd.Version) error {
	var errs errorList
	for i, g := range o.Groups {
		for j, opt := range g.SyncOptions {
			if err := opt.ValidateFor(v); err != nil {
				errs = append(errs, o.Errorf(fmt.Sprintf("%s.syncOptions[%d]", groupPath(i), j), "%v", err))
			}
		}
	}
	return errs.join()
}
