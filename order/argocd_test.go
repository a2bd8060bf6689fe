package order

import (
	"strings"
	"testing"

	"github.com/syncwave/syncwave/argocd"
)

// TestSyncOptionsByArgoCDVersion is written from gitops-engine's sources in
// the v3.5.1 argo-cd tree:
//   - gitops-engine/pkg/sync/resource/annotations.go:48-56
//     GetAnnotationOptionValue reads Prune= and Delete= as key=value;
//   - gitops-engine/pkg/sync/sync_context.go:322-342 acts on the values
//     "confirm" and "false" only, falling back to the Application's default
//     (controller/sync.go:333 WithDefaultPruneOption), so Prune=true
//     overrides an Application-level Prune=false; the same for Delete=
//     (controller/state.go:1175-1179, controller/appcontroller.go:1253-1259);
//   - gitops-engine/pkg/sync/common/types.go:30 names Replace=false.
//
// 2.14 matched the exact strings of its list (no Prune=true).
func TestSyncOptionsByArgoCDVersion(t *testing.T) {
	for _, o := range []SyncOption{"Prune=true", "Delete=true", "Replace=false"} {
		if err := o.ValidateFor(argocd.V3_0); err != nil {
			t.Errorf("3.0: %s: %v", o, err)
		}
		if err := o.Validate(); err != nil {
			t.Errorf("default: %s: %v", o, err)
		}
		err := o.ValidateFor(argocd.V2_14)
		if err == nil || !strings.Contains(err.Error(), "needs Argo CD 3.0 or later (the Argo CD version is 2.14") {
			t.Errorf("2.14: %s: %v", o, err)
		}
	}
	for _, o := range SyncOptionValues {
		if o.ValidateFor(argocd.V2_14) != nil || o.ValidateFor(argocd.V3_5) != nil {
			t.Errorf("%s: not known to both lines", o)
		}
	}
	err := SyncOption("ClientSideApplyMigration=false").ValidateFor(argocd.V3_5)
	if err == nil || !strings.Contains(err.Error(), "read only from the Application") {
		t.Errorf("ClientSideApplyMigration: %v", err)
	}
	if err := SyncOption("Prune=yes").Validate(); err == nil || !strings.Contains(err.Error(), "unknown sync option") {
		t.Errorf("Prune=yes: %v", err)
	}
}

func TestCheckArgoCD(t *testing.T) {
	o, err := Decode("syncwave.yaml", []byte("apiVersion: syncwave.io/v1alpha1\nkind: SyncOrder\ngroups:\n  - name: keep\n    select: [{kind: ConfigMap}]\n    syncOptions: [Prune=true, Validate=false]\n"), testSyntaxes)
	if err != nil {
		t.Fatal(err)
	}
	if err := o.CheckArgoCD(argocd.V3_5); err != nil {
		t.Errorf("3.5: %v", err)
	}
	err = o.CheckArgoCD(argocd.V2_14)
	if err == nil || !strings.HasPrefix(err.Error(), `syncwave.yaml:6: groups[0].syncOptions[0]: sync option "Prune=true" needs Argo CD 3.0 or later`) {
		t.Errorf("2.14: %v", err)
	}
}
