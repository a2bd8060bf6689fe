//go:build e2e

package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"
)

const syncTimeout = 3 * time.Minute

// syncFirst creates the Application for a directory that is already
// committed, with a watch started before, waits for the sync, and checks the
// creation order and the sync result against the plan.
func syncFirst(t *testing.T, a appSpec, rev string, p *plan) []event {
	t.Helper()
	rec := record(t, a.destNS, p.gvks())
	createApp(t, a)
	app := waitSynced(t, a.name, rev, syncTimeout)
	waitHooksDeleted(t, rec, p, 0)
	evs := rec.snapshot()

	ws := writes(evs, p, rec.base)
	var created []event
	for _, e := range ws {
		if e.typ == watch.Added {
			created = append(created, e)
		}
	}
	t.Logf("creation order (by resourceVersion):%s", describeEvents(created, p))
	for _, s := range p.steps {
		if _, ok := first(created, watch.Added, objKey{s.group(), s.Kind, s.Namespace, s.Name}); !ok {
			t.Errorf("planned %s was never created", p.describe(objKey{s.group(), s.Kind, s.Namespace, s.Name}))
		}
	}
	checkOrder(t, created, p)
	checkSyncResult(t, app, p)
	return evs
}

// TestSyncHookWave: examples/sync-hook-wave through the plugin. Creation
// order matches the plan by (phase, wave, kind); the PostSync Jobs complete
// (kwok's pod-complete stage) and are deleted per HookSucceeded.
func TestSyncHookWave(t *testing.T) {
	repo.copyDir(t, "examples/sync-hook-wave", "examples/sync-hook-wave")
	rev := repo.commit(t, "examples/sync-hook-wave")
	a := appSpec{name: "sync-hook-wave", path: "examples/sync-hook-wave", destNS: "sync-hook-wave"}
	p := planFor(t, a.path, a.destNS, "--app-name", a.name)
	evs := syncFirst(t, a, rev, p)

	for _, k := range hooksWith(p, "HookSucceeded") {
		if _, ok := completedAt(evs, k); !ok {
			t.Errorf("PostSync hook %s never completed", k)
		}
	}
	if n := len(hooksWith(p, "HookSucceeded")); n != 2 {
		t.Errorf("the example has 2 HookSucceeded PostSync Jobs; the plan has %d", n)
	}
}

// TestDependsOn: examples/depends-on, a directory with no syncwave.yaml whose
// order comes only from config.kubernetes.io/depends-on annotations, through
// the plugin. Creation order matches the plan, and every dependency is
// created (and, for the Job, completed) before what depends on it.
func TestDependsOn(t *testing.T) {
	if _, err := os.Stat(filepath.Join(env.root, "examples/depends-on/syncwave.yaml")); err == nil {
		t.Fatal("examples/depends-on must not have a syncwave.yaml")
	}
	repo.copyDir(t, "examples/depends-on", "examples/depends-on")
	rev := repo.commit(t, "examples/depends-on")
	a := appSpec{name: "depends-on", path: "examples/depends-on", destNS: "depends-on"}
	p := planFor(t, a.path, a.destNS, "--app-name", a.name)
	evs := syncFirst(t, a, rev, p)
	ws := writes(evs, p, nil)

	key := func(group, kind, name string) objKey { return objKey{group, kind, "depends-on", name} }
	// Every edge of the example: the dependency, then what depends on it.
	edges := [][2]objKey{
		{key("", "Secret", "db-credentials"), key("apps", "Deployment", "postgresql")},
		{key("apps", "Deployment", "postgresql"), key("batch", "Job", "migrate-schema")},
		{key("", "Service", "postgresql"), key("batch", "Job", "migrate-schema")},
		{key("batch", "Job", "migrate-schema"), key("apps", "Deployment", "backend")},
		{key("", "ConfigMap", "backend-config"), key("apps", "Deployment", "backend")},
		{key("apps", "Deployment", "backend"), key("apps", "Deployment", "frontend")},
	}
	for _, e := range edges {
		dep, ok1 := first(ws, watch.Added, e[0])
		user, ok2 := first(ws, watch.Added, e[1])
		switch {
		case !ok1 || !ok2:
			t.Errorf("%s or %s was never created", e[0], e[1])
		case p.byKey[e[0]].Wave >= p.byKey[e[1]].Wave:
			t.Errorf("planned %s in wave %d, not before %s (wave %d)", e[0], p.byKey[e[0]].Wave, e[1], p.byKey[e[1]].Wave)
		case dep.rv > user.rv:
			t.Errorf("%s created at rv %d, after %s (rv %d) that depends on it", e[0], dep.rv, e[1], user.rv)
		}
	}
	// The backend waits for the migration to finish, not only to start.
	migrate := key("batch", "Job", "migrate-schema")
	done, ok := completedAt(evs, migrate)
	if !ok {
		t.Fatalf("%s never completed", migrate)
	}
	if b, ok := first(ws, watch.Added, key("apps", "Deployment", "backend")); ok && b.rv < done.rv {
		t.Errorf("backend created at rv %d, before %s completed (rv %d)", b.rv, migrate, done.rv)
	}
}

// TestChartWithHooks: examples/chart-with-hooks (a Helm chart plus the team's
// hooks). The PreSync backup Job runs before any chart resource, after its
// ServiceAccount and RBAC exist; the PostSync validation Job runs last.
func TestChartWithHooks(t *testing.T) {
	if _, err := os.Stat(filepath.Join(env.root, "examples/chart-with-hooks/syncwave.yaml")); err != nil {
		t.Fatalf("examples/chart-with-hooks: %v", err)
	}
	repo.copyDir(t, "examples/chart-with-hooks", "examples/chart-with-hooks")
	rev := repo.commit(t, "examples/chart-with-hooks")
	// The chart's Service is a LoadBalancer, which never becomes Healthy
	// without a cloud controller, and Argo CD would wait for it forever
	// before the next wave: the Application sets service.type through the
	// plugin's helm-parameters, and the plan gets the same --set.
	a := appSpec{name: "chart-with-hooks", path: "examples/chart-with-hooks", destNS: "edge",
		params: []map[string]any{{"name": "helm-parameters", "map": map[string]any{"service.type": "ClusterIP"}}}}
	p := planFor(t, a.path, a.destNS, "--app-name", a.name, "--set", "service.type=ClusterIP")
	evs := syncFirst(t, a, rev, p)
	ws := writes(evs, p, nil)

	job := func(name string) objKey { return objKey{"batch", "Job", "edge", name} }
	backup, validate := job("edge-config-backup"), job("edge-smoke-validate")
	for _, k := range []objKey{backup, validate} {
		if _, ok := p.byKey[k]; !ok {
			t.Fatalf("the plan has no %s", k)
		}
	}
	backupAdded, _ := first(ws, watch.Added, backup)
	backupDone, ok := completedAt(evs, backup)
	if !ok {
		t.Fatalf("%s never completed", backup)
	}
	// Its identity exists before it is created, and it names it.
	sa := str(backupAdded.obj, "spec", "template", "spec", "serviceAccountName")
	if sa == "" {
		t.Errorf("%s runs as no ServiceAccount", backup)
	}
	for _, k := range []objKey{{"", "ServiceAccount", "edge", sa}, {"rbac.authorization.k8s.io", "Role", "edge", sa}, {"rbac.authorization.k8s.io", "RoleBinding", "edge", sa}} {
		e, ok := first(ws, watch.Added, k)
		if !ok {
			t.Errorf("%s (the backup's identity) was never created", k)
		} else if e.rv > backupAdded.rv {
			t.Errorf("%s created at rv %d, after the backup Job (rv %d)", k, e.rv, backupAdded.rv)
		}
	}
	// No chart resource (Sync phase) before the backup has completed.
	for _, e := range ws {
		if e.typ == watch.Added && p.byKey[e.key].Phase == "Sync" && e.rv < backupDone.rv {
			t.Errorf("%s created at rv %d, before the backup Job completed (rv %d)", e.key, e.rv, backupDone.rv)
		}
	}
	// The validation runs last: created after everything that is not in its
	// own (PostSync, wave, Job) group, and it completes.
	vAdded, _ := first(ws, watch.Added, validate)
	for _, e := range ws {
		if e.typ == watch.Added && p.rank[e.key] != p.rank[validate] && e.rv > vAdded.rv {
			t.Errorf("%s created at rv %d, after the validation Job (rv %d)", e.key, e.rv, vAdded.rv)
		}
	}
	if _, ok := completedAt(evs, validate); !ok {
		t.Errorf("%s never completed", validate)
	}
}

// The ordering file of TestReorder, before and after the change: the same
// manifests as examples/sync-hook-wave. v2 swaps frontend and backend and
// the two PostSync hooks; restore-data keeps BeforeHookCreation, so its Job
// from the first sync must be deleted and created again.
const (
	reorderV1 = `apiVersion: syncwave.io/v1alpha1
kind: SyncOrder
groups:
  - {name: webhook, select: [{kind: Service, name: webhook-app}, {kind: Deployment, name: webhook-app}], wave: -1}
  - {name: database, select: [{kind: Deployment, name: postgresql}]}
  - {name: schema, select: [{kind: Job, name: upgrade-schema}], after: [database]}
  - {name: backend, select: [{name: backend}], after: [schema]}
  - {name: frontend, select: [{name: frontend}], after: [backend]}
  - {name: restore, select: [{kind: Job, name: restore-data}], hook: PostSync, hookDeletePolicy: BeforeHookCreation}
  - {name: notify, select: [{kind: Job, name: slack-info}], hook: PostSync, hookDeletePolicy: HookSucceeded, after: [restore]}
`
	reorderV2 = `apiVersion: syncwave.io/v1alpha1
kind: SyncOrder
groups:
  - {name: webhook, select: [{kind: Service, name: webhook-app}, {kind: Deployment, name: webhook-app}], wave: -1}
  - {name: database, select: [{kind: Deployment, name: postgresql}]}
  - {name: schema, select: [{kind: Job, name: upgrade-schema}], after: [database]}
  - {name: frontend, select: [{name: frontend}], after: [schema]}
  - {name: backend, select: [{name: backend}], after: [frontend]}
  - {name: notify, select: [{kind: Job, name: slack-info}], hook: PostSync, hookDeletePolicy: HookSucceeded}
  - {name: restore, select: [{kind: Job, name: restore-data}], hook: PostSync, hookDeletePolicy: BeforeHookCreation, after: [notify]}
`
)

// TestReorder: a second sync after a change to the ordering file applies
// the changed resources in the new plan's order, and recreates the
// BeforeHookCreation hook.
func TestReorder(t *testing.T) {
	const path = "e2e/reorder"
	repo.copyDir(t, "examples/sync-hook-wave", path)
	repo.write(t, path+"/syncwave.yaml", reorderV1)
	rev1 := repo.commit(t, "reorder v1")
	a := appSpec{name: "reorder", path: path, destNS: "reorder"}
	p1 := planFor(t, path, a.destNS, "--app-name", a.name)
	syncFirst(t, a, rev1, p1)

	restore := objKey{"batch", "Job", "reorder", "restore-data"}
	old, err := dyn.Resource(schema.GroupVersionResource{Group: "batch", Version: "v1", Resource: "jobs"}).
		Namespace("reorder").Get(context.Background(), "restore-data", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("the BeforeHookCreation hook %s should outlive the first sync: %v", restore, err)
	}

	repo.write(t, path+"/syncwave.yaml", reorderV2)
	rev2 := repo.commit(t, "reorder v2")
	p2 := planFor(t, path, a.destNS, "--app-name", a.name)
	rec := record(t, a.destNS, p2.gvks())
	refresh(t, a.name)
	app := waitSynced(t, a.name, rev2, syncTimeout)
	waitHooksDeleted(t, rec, p2, 0)
	ws := writes(rec.snapshot(), p2, rec.base)
	t.Logf("second sync, writes (by resourceVersion):%s", describeEvents(ws, p2))
	checkOrder(t, ws, p2)
	checkSyncResult(t, app, p2)

	// Every resource whose wave changed was applied again.
	for _, s := range p2.steps {
		k := objKey{s.group(), s.Kind, s.Namespace, s.Name}
		if s1 := p1.byKey[k]; !s.Hook && s1.Wave != s.Wave {
			if _, ok := first(ws, watch.Modified, k); !ok {
				t.Errorf("%s moved from wave %d to %d but was not applied again", k, s1.Wave, s.Wave)
			}
		}
	}
	// The BeforeHookCreation hook: deleted, then created again, in its wave.
	del, okDel := first(ws, watch.Deleted, restore)
	add, okAdd := first(ws, watch.Added, restore)
	switch {
	case !okDel || !okAdd:
		t.Errorf("BeforeHookCreation hook %s: deleted %v, created %v in the second sync; want both", restore, okDel, okAdd)
	case del.rv > add.rv:
		t.Errorf("%s created (rv %d) before the old one was deleted (rv %d)", restore, add.rv, del.rv)
	case add.obj.GetUID() == old.GetUID():
		t.Errorf("%s was not recreated (same UID)", restore)
	}
	// And the swapped hooks ran in the new order.
	notify := objKey{"batch", "Job", "reorder", "slack-info"}
	if n, ok := first(ws, watch.Added, notify); !ok || !okAdd || n.rv > add.rv {
		t.Errorf("PostSync %s should be created before %s in the second sync", notify, restore)
	}
}

const (
	cycleManifests = `apiVersion: v1
kind: ConfigMap
metadata: {name: settings}
data: {a: "1"}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: features}
data: {b: "2"}
`
	cycleValid = `apiVersion: syncwave.io/v1alpha1
kind: SyncOrder
groups:
  - {name: settings, select: [{name: settings}]}
  - {name: features, select: [{name: features}], after: [settings]}
`
	cycleBroken = `apiVersion: syncwave.io/v1alpha1
kind: SyncOrder
groups:
  - {name: settings, select: [{name: settings}], after: [features]}
  - {name: features, select: [{name: features}], after: [settings]}
`
)

// TestCycle: an ordering file with a cycle. The Application shows a
// ComparisonError condition carrying syncwave's message, and nothing is
// applied or pruned: not in an application synced before the change, and
// not in a new one.
func TestCycle(t *testing.T) {
	const path = "e2e/cycle"
	repo.write(t, path+"/configmaps.yaml", cycleManifests)
	repo.write(t, path+"/syncwave.yaml", cycleValid)
	rev1 := repo.commit(t, "cycle: valid")
	a := appSpec{name: "cycle", path: path, destNS: "cycle"}
	p := planFor(t, path, a.destNS, "--app-name", a.name)
	syncFirst(t, a, rev1, p)

	rec := record(t, a.destNS, p.gvks()) // from before the change
	repo.write(t, path+"/syncwave.yaml", cycleBroken)
	repo.commit(t, "cycle: broken")
	// syncwave's own message: what the plugin's generate command prints for
	// this directory (its last line of stderr).
	cmd := exec.Command(env.syncwave, "generate")
	cmd.Dir = filepath.Join(repo.dir, path)
	cmd.Env = append(os.Environ(), "ARGOCD_APP_NAME="+a.name, "ARGOCD_APP_NAMESPACE="+a.destNS)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Run(); err == nil {
		t.Fatalf("syncwave generate accepted an ordering file with a cycle")
	}
	// The sidecar names the file from the repository root
	// (e2e/cycle/syncwave.yaml:4: …), so match from the file's base name on.
	m := regexp.MustCompile(`syncwave\.yaml:\d+: .*cycle: .*`).FindString(stderr.String())
	if m == "" {
		t.Fatalf("syncwave's message does not name the cycle: %q", stderr.String())
	}
	msg := strings.TrimSpace(m)

	fresh := appSpec{name: "cycle-new", path: path, destNS: "cycle-new"}
	recNew := record(t, fresh.destNS, append(p.gvks(), schema.GroupVersionKind{Version: "v1", Kind: "Namespace"}))
	createApp(t, fresh)
	refresh(t, a.name)
	for _, name := range []string{a.name, fresh.name} {
		app := waitComparisonError(t, name, msg)
		// One more complete refresh after the error: auto-sync had its chance.
		refreshAndWait(t, name)
		app = getApp(t, name)
		if s := str(app, "status", "sync", "status"); s == "Synced" || s == "OutOfSync" {
			t.Errorf("%s: sync status %s with a ComparisonError", name, s)
		}
		if name == a.name {
			if r := str(app, "status", "operationState", "syncResult", "revision"); r != rev1 {
				t.Errorf("%s: an operation ran for revision %s after the error", name, r)
			}
		} else if op, ok, _ := unstructured.NestedMap(app.Object, "status", "operationState"); ok {
			t.Errorf("%s: an operation ran: %v", name, op)
		}
	}
	if ws := writes(rec.snapshot(), p, rec.base); len(ws) > 0 {
		t.Errorf("the synced application changed after its ordering file broke:%s", describeEvents(ws, p))
	}
	for _, e := range recNew.snapshot() {
		if e.key.Kind == "Namespace" && e.key.Name != fresh.destNS {
			continue
		}
		t.Errorf("the new application wrote %s %s", e.typ, e.key)
	}
	for _, s := range p.steps {
		if _, err := dyn.Resource(schema.GroupVersionResource{Version: "v1", Resource: "configmaps"}).
			Namespace(a.destNS).Get(context.Background(), s.Name, metav1.GetOptions{}); err != nil {
			t.Errorf("%s/%s is gone: %v", a.destNS, s.Name, err)
		}
	}
}

// waitComparisonError waits for a ComparisonError condition that carries msg.
func waitComparisonError(t *testing.T, name, msg string) *unstructured.Unstructured {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	var app *unstructured.Unstructured
	var seen []string
	err := poll(ctx, "ComparisonError on "+name, func() (bool, error) {
		app = getApp(t, name)
		conds, _, _ := unstructured.NestedSlice(app.Object, "status", "conditions")
		seen = seen[:0]
		for _, c := range conds {
			m, _ := c.(map[string]any)
			text, _ := m["message"].(string)
			typ, _ := m["type"].(string)
			seen = append(seen, typ+": "+text)
			if m["type"] == "ComparisonError" && strings.Contains(text, msg) {
				t.Logf("%s: ComparisonError: %s", name, text)
				return true, nil
			}
		}
		return false, nil
	})
	if err != nil {
		t.Fatalf("%v; want a ComparisonError containing %q; conditions: %q", err, msg, seen)
	}
	return app
}

// refreshAndWait asks for a refresh and waits until the controller did it:
// it removes the annotation in the status patch it writes after comparing
// and after deciding about auto-sync.
func refreshAndWait(t *testing.T, name string) {
	t.Helper()
	refresh(t, name)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := poll(ctx, "refresh of "+name, func() (bool, error) {
		app := getApp(t, name)
		_, pending := app.GetAnnotations()["argocd.argoproj.io/refresh"]
		return !pending, nil
	}); err != nil {
		t.Fatal(err)
	}
}
