package argocd

import (
	"fmt"
	"strconv"
	"strings"
)

// Version is an Argo CD release line, major.minor.
type Version struct{ Major, Minor int }

// The lines whose behaviour differs.
var (
	V2_14 = Version{2, 14}
	V3_0  = Version{3, 0}
	V3_3  = Version{3, 3} // PreDelete hooks
	V3_4  = Version{3, 4} // hook values are comma lists for delete hooks
	V3_5  = Version{3, 5} // Helm 4
	// Default is the current 3.x behaviour, the one default of every
	// package (the health table included).
	Default = V3_5
)

// Parse reads "2.14", "3.5", "v3.5.1" or "3" (the latest 3.x behaviour);
// "" is Default.
func Parse(s string) (Version, error) {
	t := strings.TrimPrefix(strings.TrimSpace(s), "v")
	if t == "" {
		return Default, nil
	}
	parts := strings.SplitN(t, ".", 3)
	major, err := strconv.Atoi(parts[0])
	if err != nil || major < 0 {
		return Version{}, fmt.Errorf("argo cd version %q: expected MAJOR.MINOR, e.g. 2.14 or 3.5", s)
	}
	if len(parts) == 1 {
		switch major {
		case 2:
			return V2_14, nil
		case 3:
			return Default, nil
		}
		return Version{}, fmt.Errorf("argo cd version %q: expected 2.x or 3.x, e.g. 2.14 or 3.5", s)
	}
	minor, err := strconv.Atoi(parts[1])
	if err != nil || minor < 0 {
		return Version{}, fmt.Errorf("argo cd version %q: expected MAJOR.MINOR, e.g. 2.14 or 3.5", s)
	}
	if len(parts) == 3 {
		if _, err := strconv.Atoi(strings.SplitN(parts[2], "-", 2)[0]); err != nil {
			return Version{}, fmt.Errorf("argo cd version %q: expected MAJOR.MINOR or MAJOR.MINOR.PATCH", s)
		}
	}
	if major != 2 && major != 3 {
		return Version{}, fmt.Errorf("argo cd version %q: expected 2.x or 3.x, e.g. 2.14 or 3.5", s)
	}
	return Version{major, minor}, nil
}

// Oldest and Newest are the lines syncwave models; a line between them is
// read by the thresholds above (3.1 behaves as 3.0, 3.2 as 3.0).
var (
	Oldest = V2_14
	Newest = V3_5
)

// Modelled is the line v is modelled as, and a note saying so when that is
// not v itself: a line older than Oldest is modelled as Oldest, one newer
// than Newest as Newest. The health table follows the same line.
func (v Version) Modelled() (Version, string) {
	v = v.OrDefault()
	switch {
	case !v.AtLeast(Oldest):
		return Oldest, fmt.Sprintf("Argo CD %s is older than the lines syncwave models; it is modelled as Argo CD %s (sync options, hooks and health checks of %s)", v, Oldest, Oldest)
	case v.AtLeast(Newest) && v != Newest:
		return Newest, fmt.Sprintf("Argo CD %s is newer than the lines syncwave models; it is modelled as Argo CD %s (sync options, hooks and health checks of %s)", v, Newest, Newest)
	}
	return v, ""
}

// OrDefault is v, or Default for the zero Version.
func (v Version) OrDefault() Version {
	if v == (Version{}) {
		return Default
	}
	return v
}

// AtLeast reports whether v (zero: Default) is line w or later.
func (v Version) AtLeast(w Version) bool {
	v = v.OrDefault()
	return v.Major > w.Major || v.Major == w.Major && v.Minor >= w.Minor
}

func (v Version) String() string {
	v = v.OrDefault()
	return fmt.Sprintf("%d.%d", v.Major, v.Minor)
}

// SyncOptionsSince3 are the resource sync options Argo CD 3.0 added to
// 2.14's exact list: Prune= and Delete= are read as key=value
// (gitops-engine/pkg/sync/resource/annotations.go GetAnnotationOptionValue),
// so Prune=true / Delete=true override an Application-level Prune=false /
// Delete=false default; Replace=false is a named option
// (gitops-engine/pkg/sync/common/types.go SyncOptionDisableReplace).
var SyncOptionsSince3 = []string{"Prune=true", "Delete=true", "Replace=false"}

// AppLevelSyncOptionsSince3 are the Application-level options 3.x added.
var AppLevelSyncOptionsSince3 = []string{"ClientSideApplyMigration"}

// DeleteHooks returns the delete hook types (PreDelete, PostDelete) a
// resource runs as when its Application is deleted, from its
// argocd.argoproj.io/hook and helm.sh/hook values, as the application
// controller reads them (controller/hook.go isHookOfType):
//   - 2.14–3.2: PostDelete only, the annotation value exactly "PostDelete"
//     or "post-delete";
//   - 3.3: PreDelete ("pre-delete") too, still exact values;
//   - 3.4+: the value is a comma list containing the type (items trimmed).
func DeleteHooks(v Version, argoValue, helmValue string, hasArgo, hasHelm bool) []Hook {
	var out []Hook
	for _, typ := range []Hook{HookPreDelete, HookPostDelete} {
		if typ == HookPreDelete && !v.AtLeast(V3_3) {
			continue
		}
		match := func(val, want string) bool {
			if !v.AtLeast(V3_4) {
				return val == want
			}
			for _, item := range strings.Split(val, ",") {
				if strings.TrimSpace(item) == want {
					return true
				}
			}
			return false
		}
		if hasArgo && match(argoValue, string(typ)) || hasHelm && match(helmValue, HelmHookFor[typ]) {
			out = append(out, typ)
		}
	}
	return out
}

// DeleteHookAlsoSyncs reports whether a delete hook that also names a sync
// phase (PostSync,PostDelete) runs in that phase too: since 3.4
// (controller/state.go partitionTargetObjsForSync keeps it when
// hasGitOpsEngineSyncPhaseHook). Before, a value that is not exactly a
// delete hook type is no delete hook at all, so it only syncs.
func DeleteHookAlsoSyncs(v Version) bool { return v.AtLeast(V3_4) }
