package plan

import (
	"strings"
	"testing"

	"github.com/syncwave/syncwave/argocd"
)

// TestDeleteHooksByArgoCDVersion: delete hooks in plan by Argo CD line,
// written from the application controller's sources (see
// argocd.TestDeleteHooks for the file and line of each rule):
// v2.14.21 controller/hook.go:37 (exact PostDelete), v3.3.0
// controller/hook.go:24-46 (PreDelete, exact), v3.4.0 controller/hook.go:49-51
// (comma lists) and controller/state.go:549-565 (a delete hook with a sync
// phase stays in the sync).
func TestDeleteHooksByArgoCDVersion(t *testing.T) {
	res := decode(t, obj("Job", "both", argocd.AnnotationHook, "PostSync,PostDelete")+
		obj("Job", "pre", argocd.AnnotationHook, "PreDelete")+
		obj("Job", "post", argocd.AnnotationHook, "PostDelete")+
		obj("Job", "pair", argocd.AnnotationHook, "PreDelete,PostDelete"))
	for _, c := range []struct {
		v        argocd.Version
		steps    string
		both     string // in the reason of both's PostSync step, or "" for none
		excluded map[string]string
	}{
		{argocd.V2_14, "PostSync/0 Job both\n", "",
			map[string]string{
				"pre":  `"PreDelete" has no sync phase (PreDelete is not a hook type of Argo CD 2.14 (PreDelete needs 3.3+), so it never runs)`,
				"post": `"PostDelete" has no sync phase (PostDelete runs when the Application is deleted)`,
				"pair": `PostDelete does not run when the Application is deleted either: Argo CD 2.14 reads a delete hook only from the exact value`,
			}},
		{argocd.V3_3, "PostSync/0 Job both\n", "",
			map[string]string{
				"pre":  `PreDelete runs when the Application is deleted`,
				"pair": `PreDelete does not run when the Application is deleted either: Argo CD 3.3 reads a delete hook only from the exact value (comma lists need 3.4+)`,
			}},
		{argocd.V3_4, "PostSync/0 Job both\n", "also runs as PostDelete hook when the Application is deleted (Argo CD 3.4+)",
			map[string]string{
				"pair": `(PreDelete runs when the Application is deleted; PostDelete runs when the Application is deleted)`,
			}},
		{argocd.Version{}, "PostSync/0 Job both\n", "also runs as PostDelete hook", nil},
	} {
		p := ComputeWith(res, nil, Options{ArgoCD: c.v})
		if got := order(p); got != c.steps {
			t.Errorf("%s: steps\n%s", c.v, got)
		}
		reason := p.Steps[0].Reason
		if c.both == "" && strings.Contains(reason, "deleted") || c.both != "" && !strings.Contains(reason, c.both) {
			t.Errorf("%s: both: reason %q", c.v, reason)
		}
		for _, e := range p.Excluded {
			if want, ok := c.excluded[e.Name]; ok && !strings.Contains(e.Reason, want) {
				t.Errorf("%s: %s excluded: %q, want it to contain %q", c.v, e.Name, e.Reason, want)
			}
		}
		if len(p.Excluded) != 3 {
			t.Errorf("%s: %d excluded", c.v, len(p.Excluded))
		}
	}
}
