//go:build e2e

// Package e2e drives real Argo CD (application controller, repo-server and
// argocd-cmp-server running syncwave's plugin.yaml) on a real Kubernetes
// control plane and checks that what the API server sees matches
// `syncwave plan`. It runs only inside the stack that test/e2e/stack.sh
// starts (make e2e), which passes its endpoints in E2E_* variables.
package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/restmapper"
	"k8s.io/client-go/tools/clientcmd"
)

const argocdNS = "argocd"

var (
	appGVR = schema.GroupVersionResource{Group: "argoproj.io", Version: "v1alpha1", Resource: "applications"}

	env struct {
		root, syncwave, work, plugin string
	}
	dyn    dynamic.Interface
	mapper *restmapper.DeferredDiscoveryRESTMapper
	repo   *gitRepo
)

func TestMain(m *testing.M) {
	if err := setup(); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: %v\n", err)
		os.Exit(1)
	}
	os.Exit(m.Run())
}

func setup() error {
	kubeconfig := os.Getenv("E2E_KUBECONFIG")
	env.root, env.syncwave, env.work, env.plugin = os.Getenv("E2E_ROOT"), os.Getenv("E2E_SYNCWAVE"), os.Getenv("E2E_WORK"), os.Getenv("E2E_PLUGIN")
	if kubeconfig == "" || env.root == "" || env.syncwave == "" || env.work == "" || env.plugin == "" {
		return fmt.Errorf("E2E_KUBECONFIG, E2E_ROOT, E2E_SYNCWAVE, E2E_WORK and E2E_PLUGIN must be set: run the suite with `make e2e`")
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		return err
	}
	cfg.QPS, cfg.Burst = 100, 200
	if dyn, err = dynamic.NewForConfig(cfg); err != nil {
		return err
	}
	dc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return err
	}
	mapper = restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(dc))

	// The cluster is usable for Argo CD once kwok's node is Ready (pods get
	// scheduled and run) and the service-account controller works.
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	nodes := schema.GroupVersionResource{Version: "v1", Resource: "nodes"}
	if err := poll(ctx, "kwok node Ready", func() (bool, error) {
		n, err := dyn.Resource(nodes).Get(ctx, "kwok-node-0", metav1.GetOptions{})
		if err != nil {
			return false, nil
		}
		return condition(n, "Ready") == "True", nil
	}); err != nil {
		return err
	}
	sas := schema.GroupVersionResource{Version: "v1", Resource: "serviceaccounts"}
	if err := poll(ctx, "ServiceAccount default/default", func() (bool, error) {
		_, err := dyn.Resource(sas).Namespace("default").Get(ctx, "default", metav1.GetOptions{})
		return err == nil, nil
	}); err != nil {
		return err
	}
	repo, err = newGitRepo(filepath.Join(env.work, "repo"))
	return err
}

// poll calls f every 200 ms until it returns true, an error, or ctx ends.
func poll(ctx context.Context, what string, f func() (bool, error)) error {
	var lastErr error
	for {
		ok, err := f()
		if err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		if ok {
			return nil
		}
		select {
		case <-ctx.Done():
			if lastErr != nil {
				return fmt.Errorf("timed out waiting for %s: %v", what, lastErr)
			}
			return fmt.Errorf("timed out waiting for %s", what)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// condition returns status.conditions[type=t].status.
func condition(u *unstructured.Unstructured, t string) string {
	conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
	for _, c := range conds {
		m, _ := c.(map[string]any)
		if m["type"] == t {
			s, _ := m["status"].(string)
			return s
		}
	}
	return ""
}

// --- the git repository Argo CD syncs from (file://) --------------------------

type gitRepo struct{ dir string }

func newGitRepo(dir string) (*gitRepo, error) {
	r := &gitRepo{dir: dir}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	for _, args := range [][]string{
		{"init", "-q", "-b", "main"},
		{"config", "user.email", "e2e@syncwave.invalid"},
		{"config", "user.name", "syncwave e2e"},
		{"commit", "-q", "--allow-empty", "-m", "empty"},
	} {
		if _, err := r.git(args...); err != nil {
			return nil, err
		}
	}
	return r, nil
}

func (r *gitRepo) url() string { return "file://" + r.dir }

// abs is dir in the repository's work tree; an absolute dir (a copy
// outside it) is itself.
func (r *gitRepo) abs(dir string) string {
	if filepath.IsAbs(dir) {
		return dir
	}
	return filepath.Join(r.dir, dir)
}

func (r *gitRepo) git(args ...string) (string, error) {
	cmd := exec.Command("git", args...)
	cmd.Dir = r.dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("git %s: %v: %s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out)), nil
}

// copyDir copies src (a directory of the syncwave checkout) to path in the repo.
func (r *gitRepo) copyDir(t *testing.T, src, path string) {
	t.Helper()
	src = filepath.Join(env.root, src)
	err := filepath.Walk(src, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		dst := filepath.Join(r.dir, path, rel)
		if info.IsDir() {
			return os.MkdirAll(dst, 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(dst, b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func (r *gitRepo) write(t *testing.T, path, content string) {
	t.Helper()
	p := filepath.Join(r.dir, path)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// commit commits everything and returns the new HEAD.
func (r *gitRepo) commit(t *testing.T, msg string) string {
	t.Helper()
	if _, err := r.git("add", "-A"); err != nil {
		t.Fatal(err)
	}
	if _, err := r.git("commit", "-q", "-m", msg); err != nil {
		t.Fatal(err)
	}
	sha, err := r.git("rev-parse", "HEAD")
	if err != nil {
		t.Fatal(err)
	}
	return sha
}

// --- syncwave plan -----------------------------------------------------------

type step struct {
	Phase            string `json:"phase"`
	Wave             int    `json:"wave"`
	APIVersion       string `json:"apiVersion"`
	Kind             string `json:"kind"`
	Namespace        string `json:"namespace"`
	Name             string `json:"name"`
	Hook             bool   `json:"hook"`
	HookDeletePolicy string `json:"hookDeletePolicy"`
}

func (s step) group() string { return schema.FromAPIVersionAndKind(s.APIVersion, s.Kind).Group }

// plan is `syncwave plan -o json` of an application directory, with each
// step's namespace resolved as Argo CD does (the destination namespace for
// namespaced resources that name none).
type plan struct {
	steps []step
	rank  map[objKey]int // the step's position among the plan's distinct (phase, wave, kind) groups
	byKey map[objKey]step
}

type objKey struct{ Group, Kind, Namespace, Name string }

func (k objKey) String() string {
	s := k.Kind + "/" + k.Name
	if k.Namespace != "" {
		s = k.Namespace + "/" + s
	}
	return s
}

func keyOf(u *unstructured.Unstructured) objKey {
	gvk := u.GroupVersionKind()
	return objKey{gvk.Group, gvk.Kind, u.GetNamespace(), u.GetName()}
}

// planFor runs the freshly built syncwave binary on dir (inside the test
// repository, or an absolute path) with extra flags.
func planFor(t *testing.T, dir, destNS string, flags ...string) *plan {
	t.Helper()
	args := append([]string{"plan", "-o", "json", "--namespace", destNS}, flags...)
	args = append(args, repo.abs(dir))
	cmd := exec.Command(env.syncwave, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("syncwave %s: %v: %s", strings.Join(args, " "), err, stderr.String())
	}
	var doc struct{ Steps []step }
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatalf("syncwave plan output: %v", err)
	}
	p := &plan{steps: doc.Steps, rank: map[objKey]int{}, byKey: map[objKey]step{}}
	type gk struct {
		phase string
		wave  int
		kind  string
	}
	seen := map[gk]int{}
	last := gk{}
	for i, s := range doc.Steps {
		ns := s.Namespace
		if ns == "" && namespaced(t, s) {
			ns = destNS
		}
		s.Namespace = ns
		doc.Steps[i] = s
		g := gk{s.Phase, s.Wave, s.Kind}
		r, ok := seen[g]
		if !ok {
			r = len(seen)
			seen[g] = r
		} else if g != last {
			t.Fatalf("plan is not grouped by (phase, wave, kind): %v appears twice, apart", g)
		}
		last = g
		k := objKey{s.group(), s.Kind, ns, s.Name}
		p.rank[k] = r
		p.byKey[k] = s
	}
	if len(p.steps) == 0 {
		t.Fatalf("empty plan for %s", dir)
	}
	checkIdentities(t, dir, destNS, flags, p)
	return p
}

// checkIdentities fails at once, instead of after the sync timeout, when a
// planned workload runs as a ServiceAccount that the plan creates only after
// it: its pods cannot be created, so Argo CD would wait for it forever.
func checkIdentities(t *testing.T, dir, destNS string, flags []string, p *plan) {
	t.Helper()
	args := append([]string{"render", "--namespace", destNS}, flags...)
	args = append(args, repo.abs(dir))
	out, err := exec.Command(env.syncwave, args...).Output()
	if err != nil {
		t.Fatalf("syncwave %s: %v", strings.Join(args, " "), err)
	}
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(out), 4096)
	for {
		u := &unstructured.Unstructured{}
		if err := dec.Decode(&u.Object); err != nil {
			if err == io.EOF {
				return
			}
			t.Fatalf("syncwave render output: %v", err)
		}
		if len(u.Object) == 0 {
			continue
		}
		if u.GetNamespace() == "" {
			u.SetNamespace(destNS)
		}
		k := keyOf(u)
		if _, ok := p.byKey[k]; !ok {
			continue
		}
		pod := []string{"spec", "template", "spec"}
		if k.Kind == "Pod" {
			pod = []string{"spec"}
		} else if k.Kind == "CronJob" {
			pod = []string{"spec", "jobTemplate", "spec", "template", "spec"}
		}
		sa := str(u, append(pod, "serviceAccountName")...)
		saKey := objKey{"", "ServiceAccount", k.Namespace, sa}
		if _, planned := p.byKey[saKey]; sa != "" && planned && p.rank[saKey] >= p.rank[k] {
			t.Fatalf("%s runs as %s, which the plan creates only later (%s): its pods can never start and Argo CD would wait for it forever",
				p.describe(k), saKey, p.describe(saKey))
		}
	}
}

// namespaced reports whether the step's kind is namespaced. Kinds the API
// server does not know yet (a CRD in the same sync) are looked up in the
// plan's own CRDs.
func namespaced(t *testing.T, s step) bool {
	gvk := schema.FromAPIVersionAndKind(s.APIVersion, s.Kind)
	switch gvk.GroupKind().String() {
	case "Namespace", "Node", "PersistentVolume", "ClusterRole", "ClusterRoleBinding", "StorageClass", "IngressClass",
		"CustomResourceDefinition.apiextensions.k8s.io", "APIService.apiregistration.k8s.io", "PriorityClass.scheduling.k8s.io":
		return false
	}
	if m, err := mapper.RESTMapping(gvk.GroupKind(), gvk.Version); err == nil {
		return m.Scope.Name() == meta.RESTScopeNameNamespace
	}
	return true // custom resources in these examples are namespaced
}

func (p *plan) gvks() []schema.GroupVersionKind {
	seen := map[schema.GroupVersionKind]bool{}
	var out []schema.GroupVersionKind
	for _, s := range p.steps {
		gvk := schema.FromAPIVersionAndKind(s.APIVersion, s.Kind)
		if !seen[gvk] {
			seen[gvk] = true
			out = append(out, gvk)
		}
	}
	return out
}

func (p *plan) describe(k objKey) string {
	s := p.byKey[k]
	return fmt.Sprintf("%s/%d/%s %s", s.Phase, s.Wave, s.Kind, k)
}

// --- the Application ------------------------------------------------------------

type appSpec struct {
	name, path, destNS string
	params             []map[string]any // spec.source.plugin.parameters
}

func createApp(t *testing.T, a appSpec) {
	t.Helper()
	plugin := map[string]any{"name": env.plugin}
	if len(a.params) > 0 {
		ps := make([]any, len(a.params))
		for i, p := range a.params {
			ps[i] = p
		}
		plugin["parameters"] = ps
	}
	app := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "argoproj.io/v1alpha1",
		"kind":       "Application",
		"metadata":   map[string]any{"name": a.name, "namespace": argocdNS},
		"spec": map[string]any{
			"project": "default",
			"source": map[string]any{
				"repoURL":        repo.url(),
				"targetRevision": "HEAD",
				"path":           a.path,
				"plugin":         plugin,
			},
			"destination": map[string]any{"server": "https://kubernetes.default.svc", "namespace": a.destNS},
			"syncPolicy": map[string]any{
				"automated":   map[string]any{"prune": true},
				"syncOptions": []any{"CreateNamespace=true"},
			},
		},
	}}
	if _, err := dyn.Resource(appGVR).Namespace(argocdNS).Create(context.Background(), app, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create Application %s: %v", a.name, err)
	}
}

func getApp(t *testing.T, name string) *unstructured.Unstructured {
	t.Helper()
	u, err := dyn.Resource(appGVR).Namespace(argocdNS).Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get Application %s: %v", name, err)
	}
	return u
}

// refresh asks the controller to compare the app again now (it resolves
// HEAD anew) instead of at the next periodic refresh.
func refresh(t *testing.T, name string) {
	t.Helper()
	patch := []byte(`{"metadata":{"annotations":{"argocd.argoproj.io/refresh":"normal"}}}`)
	if _, err := dyn.Resource(appGVR).Namespace(argocdNS).Patch(context.Background(), name, types.MergePatchType, patch, metav1.PatchOptions{}); err != nil {
		t.Fatalf("refresh Application %s: %v", name, err)
	}
}

func str(u *unstructured.Unstructured, path ...string) string {
	s, _, _ := unstructured.NestedString(u.Object, path...)
	return s
}

// waitSynced waits until the app's last operation synced revision and ended.
// It fails the test when the operation ends in anything but Succeeded.
func waitSynced(t *testing.T, name, revision string, timeout time.Duration) *unstructured.Unstructured {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var app *unstructured.Unstructured
	start := time.Now()
	err := poll(ctx, "Application "+name+" synced at "+revision[:7], func() (bool, error) {
		app = getApp(t, name)
		if str(app, "status", "operationState", "syncResult", "revision") != revision {
			return false, nil
		}
		switch phase := str(app, "status", "operationState", "phase"); phase {
		case "Succeeded":
			return true, nil
		case "Failed", "Error":
			return false, fmt.Errorf("operation %s: %s", phase, str(app, "status", "operationState", "message"))
		}
		return false, nil
	})
	if err != nil {
		b, _ := json.MarshalIndent(app.Object["status"], "", "  ")
		t.Fatalf("%v\nstatus: %s", err, b)
	}
	t.Logf("Application %s: operation Succeeded at %s, %.1fs after waiting began", name, revision[:7], time.Since(start).Seconds())
	return app
}

// checkSyncResult checks status.operationState.syncResult.resources against
// the plan: the same resources, each Synced (hooks: Succeeded), listed in a
// (phase, wave, kind) order that never goes back.
func checkSyncResult(t *testing.T, app *unstructured.Unstructured, p *plan) {
	t.Helper()
	res, _, _ := unstructured.NestedSlice(app.Object, "status", "operationState", "syncResult", "resources")
	got := map[objKey]bool{}
	prev, prevDesc := -1, ""
	var listed []string
	for _, r := range res {
		m, _ := r.(map[string]any)
		s := func(k string) string { v, _ := m[k].(string); return v }
		k := objKey{s("group"), s("kind"), s("namespace"), s("name")}
		st, ok := p.byKey[k]
		if !ok && k.Namespace != "" {
			// Argo CD v2.14 reports the destination namespace also for
			// cluster-scoped resources of the sync (seen for the CRD).
			if st, ok = p.byKey[objKey{k.Group, k.Kind, "", k.Name}]; ok {
				k.Namespace = ""
			}
		}
		if !ok {
			if k.Kind == "Namespace" && k.Name != "" { // CreateNamespace=true
				continue
			}
			t.Errorf("syncResult lists %s, which is not in the plan", k)
			continue
		}
		listed = append(listed, p.describe(k))
		got[k] = true
		switch {
		case st.Hook: // hooks report their outcome in hookPhase; status stays empty
			if s("hookPhase") != "Succeeded" || (s("status") != "" && s("status") != "Synced") {
				t.Errorf("syncResult: hook %s has hookPhase %q, status %q (%s)", k, s("hookPhase"), s("status"), s("message"))
			}
		case s("status") != "Synced":
			t.Errorf("syncResult: %s has status %q (%s)", k, s("status"), s("message"))
		}
		if st.Phase != s("syncPhase") {
			t.Errorf("syncResult: %s ran in phase %s, planned %s", k, s("syncPhase"), st.Phase)
		}
		if r := p.rank[k]; r < prev {
			t.Errorf("syncResult lists %s after %s, against the plan", p.describe(k), prevDesc)
		} else {
			prev, prevDesc = r, p.describe(k)
		}
	}
	for _, s := range p.steps {
		if k := (objKey{s.group(), s.Kind, s.Namespace, s.Name}); !got[k] {
			t.Errorf("syncResult does not list planned %s", p.describe(k))
		}
	}
	if t.Failed() {
		t.Logf("syncResult order:\n  %s", strings.Join(listed, "\n  "))
	}
}

// --- watching the API server ------------------------------------------------------

type event struct {
	typ watch.EventType
	rv  int64
	key objKey
	obj *unstructured.Unstructured
	at  time.Time
}

// recorder watches the kinds of a plan in one namespace (cluster-scoped
// kinds: everywhere) from before a sync, and keeps every event.
type recorder struct {
	t      *testing.T
	ns     string
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu     sync.Mutex
	events []event
	base   map[objKey]*unstructured.Unstructured // state when the watch began
	errs   []string
}

// record starts watches for gvks and returns once every kind the API server
// already serves is being watched. Kinds it does not serve yet (a CRD the
// sync creates) are watched as soon as they appear, starting with the
// objects that exist then.
func record(t *testing.T, ns string, gvks []schema.GroupVersionKind) *recorder {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r := &recorder{t: t, ns: ns, cancel: cancel, base: map[objKey]*unstructured.Unstructured{}}
	t.Cleanup(r.stop)
	ready := make(chan struct{}, len(gvks))
	for _, gvk := range gvks {
		r.wg.Add(1)
		go r.watchKind(ctx, gvk, ready)
	}
	deadline := time.After(30 * time.Second)
	for range gvks {
		select {
		case <-ready:
		case <-deadline:
			t.Fatalf("watches not established within 30s")
		}
	}
	return r
}

func (r *recorder) stop() {
	r.cancel()
	r.wg.Wait()
}

func (r *recorder) fail(format string, args ...any) {
	r.mu.Lock()
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
	r.mu.Unlock()
}

func (r *recorder) watchKind(ctx context.Context, gvk schema.GroupVersionKind, ready chan<- struct{}) {
	defer r.wg.Done()
	signalled := false
	signal := func() {
		if !signalled {
			signalled = true
			ready <- struct{}{}
		}
	}
	defer signal()
	var ri dynamic.ResourceInterface
	late := false // the kind appeared after record() began
	for ri == nil {
		m, err := mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
		if err != nil {
			if !meta.IsNoMatchError(err) {
				r.fail("mapping %s: %v", gvk, err)
				return
			}
			signal() // do not hold the sync up for a kind that does not exist yet
			late = true
			select {
			case <-ctx.Done():
				return
			case <-time.After(200 * time.Millisecond):
			}
			mapper.Reset()
			continue
		}
		if m.Scope.Name() == meta.RESTScopeNameNamespace {
			ri = dyn.Resource(m.Resource).Namespace(r.ns)
		} else {
			ri = dyn.Resource(m.Resource)
		}
	}
	rv := ""
	if !late {
		// List, then watch from the list's resourceVersion: no event is
		// missed, and objects that already exist are the baseline.
		l, err := ri.List(ctx, metav1.ListOptions{})
		if err != nil {
			r.fail("list %s: %v", gvk, err)
			return
		}
		r.mu.Lock()
		for i := range l.Items {
			r.base[keyOf(&l.Items[i])] = &l.Items[i]
		}
		r.mu.Unlock()
		rv = l.GetResourceVersion()
	}
	// late: a watch without resourceVersion begins with an ADDED event for
	// each object that exists, carrying the resourceVersion it was written at.
	for ctx.Err() == nil {
		w, err := ri.Watch(ctx, metav1.ListOptions{ResourceVersion: rv})
		if err != nil {
			if ctx.Err() == nil {
				r.fail("watch %s: %v", gvk, err)
			}
			return
		}
		signal()
		for ev := range w.ResultChan() {
			if ev.Type == watch.Error {
				r.fail("watch %s: %v", gvk, ev.Object)
				w.Stop()
				return
			}
			u, ok := ev.Object.(*unstructured.Unstructured)
			if !ok {
				continue
			}
			rv = u.GetResourceVersion()
			n, err := strconv.ParseInt(rv, 10, 64)
			if err != nil {
				r.fail("resourceVersion %q of %s is not a number", rv, keyOf(u))
				continue
			}
			r.mu.Lock()
			r.events = append(r.events, event{ev.Type, n, keyOf(u), u, time.Now()})
			r.mu.Unlock()
		}
		w.Stop()
	}
}

// snapshot returns the events so far, ordered by resourceVersion (etcd's
// revision: one global order across kinds).
func (r *recorder) snapshot() []event {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.errs) > 0 {
		r.t.Fatalf("watch failed: %s", strings.Join(r.errs, "; "))
	}
	out := append([]event(nil), r.events...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].rv < out[j].rv })
	return out
}

// waitFor waits until f holds for the events recorded so far.
func (r *recorder) waitFor(what string, timeout time.Duration, f func([]event) bool) {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := poll(ctx, what, func() (bool, error) { return f(r.snapshot()), nil }); err != nil {
		r.t.Fatal(err)
	}
}

// lastApplied is the client-side-apply annotation: it changes exactly when
// Argo CD applies a changed manifest, and never through a controller.
func lastApplied(u *unstructured.Unstructured) string {
	return u.GetAnnotations()["kubectl.kubernetes.io/last-applied-configuration"]
}

// writes keeps the events by which Argo CD changed a planned object: ADDED,
// DELETED, and MODIFIED with a new last-applied configuration. Status updates
// by controllers and the deletion's own bookkeeping are dropped.
func writes(evs []event, p *plan, base map[objKey]*unstructured.Unstructured) []event {
	prev := map[objKey]string{}
	for k, u := range base {
		prev[k] = lastApplied(u)
	}
	var out []event
	for _, e := range evs {
		if _, ok := p.byKey[e.key]; !ok {
			continue
		}
		switch e.typ {
		case watch.Added, watch.Deleted:
			out = append(out, e)
		case watch.Modified:
			if la := lastApplied(e.obj); la != prev[e.key] && e.obj.GetDeletionTimestamp() == nil {
				out = append(out, e)
			}
		}
		if e.typ == watch.Deleted {
			delete(prev, e.key)
		} else {
			prev[e.key] = lastApplied(e.obj)
		}
	}
	return out
}

func describeEvents(evs []event, p *plan) string {
	var b strings.Builder
	for _, e := range evs {
		fmt.Fprintf(&b, "\n  rv=%-6d %-8s %-40s plan: %s", e.rv, e.typ, e.key, p.describe(e.key))
	}
	return b.String()
}

// checkOrder checks that, ordered by resourceVersion, the writes never go
// back in the plan's (phase, wave, kind) order. Within one kind, Argo CD
// applies in parallel, so the order of names is not checked.
//
// A deletion counts only when the object is created again afterwards
// (BeforeHookCreation); deleting a hook after it succeeded is cleanup at the
// end of the operation.
func checkOrder(t *testing.T, ws []event, p *plan) {
	t.Helper()
	prev := -1
	var prevE event
	for i, e := range ws {
		if e.typ == watch.Deleted {
			if _, again := first(ws[i+1:], watch.Added, e.key); !again {
				continue
			}
		}
		r := p.rank[e.key]
		if r < prev {
			t.Errorf("%s %s (rv %d) came after %s %s (rv %d), against the plan", e.typ, p.describe(e.key), e.rv, prevE.typ, p.describe(prevE.key), prevE.rv)
		}
		if r >= prev {
			prev, prevE = r, e
		}
	}
	if t.Failed() {
		t.Logf("observed writes:%s", describeEvents(ws, p))
	}
}

// first returns the first event of type typ for k, if any.
func first(evs []event, typ watch.EventType, k objKey) (event, bool) {
	for _, e := range evs {
		if e.typ == typ && e.key == k {
			return e, true
		}
	}
	return event{}, false
}

// jobCompleted reports whether a Job object has the Complete condition.
func jobCompleted(u *unstructured.Unstructured) bool { return condition(u, "Complete") == "True" }

// completedAt returns the first event showing Job k Complete.
func completedAt(evs []event, k objKey) (event, bool) {
	for _, e := range evs {
		if e.key == k && e.typ != watch.Deleted && jobCompleted(e.obj) {
			return e, true
		}
	}
	return event{}, false
}

func hooksWith(p *plan, policy string) []objKey {
	var out []objKey
	for _, s := range p.steps {
		if s.Hook && containsWord(s.HookDeletePolicy, policy) {
			out = append(out, objKey{s.group(), s.Kind, s.Namespace, s.Name})
		}
	}
	return out
}

func containsWord(list, w string) bool {
	for _, x := range strings.Split(list, ",") {
		if strings.TrimSpace(x) == w {
			return true
		}
	}
	return false
}

// waitHooksDeleted waits until every HookSucceeded hook of the plan that is
// a Job was deleted after it completed.
func waitHooksDeleted(t *testing.T, rec *recorder, p *plan, since int64) {
	t.Helper()
	hooks := hooksWith(p, "HookSucceeded")
	rec.waitFor("HookSucceeded hooks deleted", 60*time.Second, func(evs []event) bool {
		for _, k := range hooks {
			found := false
			for _, e := range evs {
				if e.key == k && e.typ == watch.Deleted && e.rv > since {
					found = true
				}
			}
			if !found {
				return false
			}
		}
		return true
	})
	evs := rec.snapshot()
	for _, k := range hooks {
		if k.Kind != "Job" {
			continue
		}
		var del event
		for _, e := range evs {
			if e.key == k && e.typ == watch.Deleted && e.rv > since {
				del = e
			}
		}
		if !jobCompleted(del.obj) {
			t.Errorf("hook %s was deleted before it completed (HookSucceeded)", k)
		}
	}
}
