//go:build browser

package uiext

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/syncwave/syncwave/ui"
)

// fixture is one Application as argocd-server's API shows it.
type fixture struct {
	app     map[string]any
	tree    map[string]any
	managed []map[string]any
	denied  bool
}

// backend serves /extensions.js and the three API calls the page and the
// extension make, from fixtures (the e2e run uses a real argocd-server).
func backend(t *testing.T, bundle []byte, apps map[string]fixture) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/extensions.js" {
			w.Header().Set("Content-Type", "application/javascript")
			w.Write(bundle)
			return
		}
		rest, ok := strings.CutPrefix(r.URL.Path, "/api/v1/applications/")
		if !ok {
			http.NotFound(w, r)
			return
		}
		name, sub, _ := strings.Cut(rest, "/")
		f, ok := apps[name]
		if !ok || f.denied {
			// argocd-server answers an Application the user may not get
			// with 403 "permission denied", as for one that does not exist.
			http.Error(w, `{"error":"permission denied","code":7,"message":"permission denied"}`, http.StatusForbidden)
			return
		}
		var body any
		switch sub {
		case "":
			body = f.app
		case "resource-tree":
			body = f.tree
		case "managed-resources":
			body = map[string]any{"items": f.managed}
		default:
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(body)
	})
}

// syncwave is the syncwave binary: SYNCWAVE_BIN (the e2e run builds one),
// else one built from this tree.
func syncwave(t *testing.T) string {
	t.Helper()
	if b := os.Getenv("SYNCWAVE_BIN"); b != "" {
		return b
	}
	bin := filepath.Join(t.TempDir(), "syncwave")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/syncwave")
	cmd.Dir = filepath.Join("..", "..")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build syncwave: %v\n%s", err, out)
	}
	return bin
}

// stepJSON is a step of plan -o json.
type stepJSON struct {
	Phase, Kind, Name, Reason string
	Wave                      int
}

// shopStream is what the sidecar's generate prints for examples/sync-hook-wave
// with plan-record on (the documents), and plan -o json's steps for it.
func shopStream(t *testing.T) ([]string, []stepJSON) {
	t.Helper()
	bin := syncwave(t)
	root, _ := filepath.Abs(filepath.Join("..", ".."))
	gen := exec.Command(bin, "generate")
	gen.Dir = filepath.Join(root, "examples", "sync-hook-wave")
	gen.Env = []string{"PATH=" + os.Getenv("PATH"), "TMPDIR=" + t.TempDir(), "ARGOCD_APP_NAME=shop", "ARGOCD_APP_NAMESPACE=demo",
		"ARGOCD_APP_SOURCE_PATH=examples/sync-hook-wave", "SYNCWAVE_PLAN_RECORD=true"}
	var stderr bytes.Buffer
	gen.Stderr = &stderr
	out, err := gen.Output()
	if err != nil {
		t.Fatalf("generate: %v\n%s", err, stderr.String())
	}
	pl := exec.Command(bin, "plan", "-o", "json", "--namespace", "demo", "--release-name", "shop", ".")
	pl.Dir = gen.Dir
	pj, err := pl.Output()
	if err != nil {
		t.Fatalf("plan: %v", err)
	}
	var p struct{ Steps []stepJSON }
	if err := json.Unmarshal(pj, &p); err != nil {
		t.Fatal(err)
	}
	return strings.Split(string(out), "\n---\n"), p.Steps
}

func managedItem(t *testing.T, doc []byte, ns string) map[string]any {
	t.Helper()
	js, err := yaml.YAMLToJSON(doc)
	if err != nil {
		t.Fatal(err)
	}
	var obj struct {
		APIVersion string                `json:"apiVersion"`
		Kind       string                `json:"kind"`
		Metadata   struct{ Name string } `json:"metadata"`
	}
	json.Unmarshal(js, &obj)
	group := ""
	if i := strings.LastIndex(obj.APIVersion, "/"); i >= 0 {
		group = obj.APIVersion[:i]
	}
	return map[string]any{"group": group, "kind": obj.Kind, "namespace": ns, "name": obj.Metadata.Name, "targetState": string(js)}
}

func node(group, kind, name, status, msg string) map[string]any {
	n := map[string]any{"group": group, "version": "v1", "kind": kind, "namespace": "demo", "name": name}
	if status != "" {
		n["health"] = map[string]any{"status": status, "message": msg}
	}
	return n
}

func result(group, kind, name, phase, status, hookPhase string) map[string]any {
	r := map[string]any{"group": group, "version": "v1", "kind": kind, "namespace": "demo", "name": name, "status": status, "syncPhase": phase}
	if hookPhase != "" {
		r["hookPhase"] = hookPhase
		r["hookType"] = phase
	}
	return r
}

func application(name string, op map[string]any) map[string]any {
	a := map[string]any{
		"metadata": map[string]any{"name": name, "namespace": "argocd"},
		"spec":     map[string]any{"destination": map[string]any{"namespace": "demo", "server": "https://kubernetes.default.svc"}},
		"status":   map[string]any{"sync": map[string]any{"revision": "abc"}},
	}
	if op != nil {
		a["status"].(map[string]any)["operationState"] = op
	}
	return a
}

// checkChildSteps: the parent's steps are its two child Applications in
// wave order.
func checkChildSteps(t *testing.T, v *View) {
	t.Helper()
	var got []string
	for _, s := range v.Steps {
		got = append(got, s.Kind+"/"+s.Name+": "+s.Reason)
	}
	want := []string{`Application/infra: argocd.argoproj.io/sync-wave: "1"`, `Application/web: argocd.argoproj.io/sync-wave: "2"`,
		`ConfigMap/after: argocd.argoproj.io/sync-wave: "3"`}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("steps:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestSyncPlanView runs the bundle in headless Chromium on the host page
// against fixture data: the order and reasons of the record, a sync held
// at a wave, an Application without a record, and one the user may not get.
func TestSyncPlanView(t *testing.T) {
	start := time.Now()
	bundle, err := ui.Bundle(filepath.Join("..", "..", "ui", "extension"))
	if err != nil {
		t.Fatal(err)
	}
	docs, steps := shopStream(t)
	var managed []map[string]any
	var healthy []any
	for _, d := range docs {
		m := managedItem(t, []byte(d), "demo")
		managed = append(managed, m)
		healthy = append(healthy, node(m["group"].(string), m["kind"].(string), m["name"].(string), "Healthy", ""))
	}
	// held: waves -1 and 0 applied; postgresql never becomes healthy.
	heldOp := map[string]any{
		"phase": "Running", "message": "waiting for healthy state of apps/Deployment/postgresql",
		"startedAt": time.Now().Add(-95 * time.Second).UTC().Format(time.RFC3339),
		"syncResult": map[string]any{"revision": "abc", "resources": []any{
			result("", "Service", "webhook-app", "Sync", "Synced", ""),
			result("apps", "Deployment", "webhook-app", "Sync", "Synced", ""),
			result("apps", "Deployment", "postgresql", "Sync", "Synced", ""),
		}},
	}
	heldTree := []any{
		node("", "Service", "webhook-app", "Healthy", ""),
		node("apps", "Deployment", "webhook-app", "Healthy", ""),
		node("apps", "Deployment", "postgresql", "Progressing", "Waiting for rollout to finish: 0 of 1 updated replicas are available..."),
	}
	// plain: no record, waves from annotations only.
	var plain []map[string]any
	for _, doc := range []string{
		"apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api, annotations: {argocd.argoproj.io/sync-wave: \"2\"}}\n",
		"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\n",
		"apiVersion: batch/v1\nkind: Job\nmetadata: {name: migrate, annotations: {helm.sh/hook: pre-upgrade, helm.sh/hook-weight: \"-1\"}}\n",
		"apiVersion: v1\nkind: Service\nmetadata: {name: api, annotations: {argocd.argoproj.io/sync-wave: \"2\"}}\n",
	} {
		plain = append(plain, managedItem(t, []byte(doc), "demo"))
	}
	// An app of apps: the parent's managed resources are two child
	// Applications in waves 1 and 2 (infra is Healthy, web Progressing) and
	// a ConfigMap in wave 3 (Argo CD does not wait for the last wave's
	// health, so a child gates only in an earlier wave).
	// "apps" runs with the Lua health check for Application in argocd-cm
	// (its tree has the children's health; the sync is held at web's
	// wave); "apps-nolua" without it (no health for the children in the
	// tree, and the parent's sync finished without waiting for them).
	var children []map[string]any
	for _, c := range []struct{ name, wave string }{{"web", "2"}, {"infra", "1"}} {
		doc := "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {name: " + c.name + ", namespace: argocd, annotations: {argocd.argoproj.io/sync-wave: \"" + c.wave + "\"}}\n" +
			"spec: {project: default, destination: {namespace: " + c.name + ", server: https://kubernetes.default.svc}, source: {repoURL: https://git.example/apps, path: " + c.name + "}}\n"
		children = append(children, managedItem(t, []byte(doc), "argocd"))
	}
	children = append(children, managedItem(t, []byte("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: after, annotations: {argocd.argoproj.io/sync-wave: \"3\"}}\n"), "argocd"))
	childNode := func(name, status, msg string) map[string]any {
		n := node("argoproj.io", "Application", name, status, msg)
		n["namespace"] = "argocd"
		return n
	}
	childResult := func(name string) map[string]any {
		r := result("argoproj.io", "Application", name, "Sync", "Synced", "")
		r["namespace"] = "argocd"
		return r
	}
	childStatus := []any{
		map[string]any{"group": "argoproj.io", "kind": "Application", "namespace": "argocd", "name": "infra", "status": "Synced", "syncWave": 1},
		map[string]any{"group": "argoproj.io", "kind": "Application", "namespace": "argocd", "name": "web", "status": "Synced", "syncWave": 2},
	}
	const webMsg = "Waiting for rollout to finish: 0 of 1 updated replicas are available..."
	appsOp := map[string]any{
		"phase": "Running", "message": "waiting for healthy state of argoproj.io/Application/web",
		"startedAt":  time.Now().Add(-40 * time.Second).UTC().Format(time.RFC3339),
		"syncResult": map[string]any{"revision": "abc", "resources": []any{childResult("infra"), childResult("web")}},
	}
	apps1 := application("apps", appsOp)
	apps1["spec"].(map[string]any)["destination"].(map[string]any)["namespace"] = "argocd"
	apps1["status"].(map[string]any)["resources"] = childStatus
	afterResult := result("", "ConfigMap", "after", "Sync", "Synced", "")
	afterResult["namespace"] = "argocd"
	apps2 := application("apps-nolua", map[string]any{"phase": "Succeeded", "message": "successfully synced (all tasks run)",
		"syncResult": map[string]any{"revision": "abc", "resources": []any{childResult("infra"), childResult("web"), afterResult}}})
	apps2["spec"].(map[string]any)["destination"].(map[string]any)["namespace"] = "argocd"
	apps2["status"].(map[string]any)["resources"] = childStatus
	child := func(name, health string, tree []any, res ...any) fixture {
		a := application(name, nil)
		st := a["status"].(map[string]any)
		st["health"] = map[string]any{"status": health}
		st["sync"].(map[string]any)["status"] = "Synced"
		st["resources"] = res
		return fixture{app: a, tree: map[string]any{"nodes": tree}}
	}
	// web as Argo CD 3.x shows it: no health in status.resources
	// (resourceHealthSource appTree), the tree has it, and a Pod that is
	// not a managed resource.
	webTree := []any{
		node("", "Service", "web", "Healthy", ""),
		node("apps", "Deployment", "web", "Progressing", webMsg),
		node("", "Pod", "web-7d4b9", "Progressing", "pod is pending"),
	}
	for _, n := range webTree {
		n.(map[string]any)["namespace"] = "web"
	}
	// crd: a wave holding a CRD that is Established (Healthy) while the
	// operation is still on that wave, 13 s after it started.
	var crd []map[string]any
	for _, doc := range []string{
		"apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: widgets.example.com}\n",
		"apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w1, annotations: {argocd.argoproj.io/sync-wave: \"1\"}}\n",
	} {
		crd = append(crd, managedItem(t, []byte(doc), "demo"))
	}
	crd[0]["namespace"] = ""
	crdNode := node("apiextensions.k8s.io", "CustomResourceDefinition", "widgets.example.com", "Healthy", "")
	crdNode["namespace"] = ""
	crdResult := result("apiextensions.k8s.io", "CustomResourceDefinition", "widgets.example.com", "Sync", "Synced", "")
	crdResult["namespace"] = ""
	crdStart := time.Now().Add(-13 * time.Second).Truncate(time.Second)
	crdOp := map[string]any{
		"phase": "Running", "message": "waiting for healthy state of apiextensions.k8s.io/CustomResourceDefinition/widgets.example.com",
		"startedAt":  crdStart.UTC().Format(time.RFC3339),
		"syncResult": map[string]any{"revision": "abc", "resources": []any{crdResult}},
	}
	// flat: one ConfigMap in wave 0, no hook, no record: nothing to order.
	flatApp := application("flat", nil)
	flatApp["status"].(map[string]any)["resources"] = []any{map[string]any{"kind": "ConfigMap", "namespace": "demo", "name": "settings", "status": "Synced"}}
	// plain as Argo CD's status lists it: Deployment api in wave 2.
	plainApp := application("plain", nil)
	plainApp["status"].(map[string]any)["resources"] = []any{
		map[string]any{"kind": "ConfigMap", "namespace": "demo", "name": "settings", "status": "Synced"},
		map[string]any{"group": "apps", "kind": "Deployment", "namespace": "demo", "name": "api", "status": "Synced", "syncWave": 2},
	}
	shopApp := application("shop", map[string]any{"phase": "Succeeded", "message": "successfully synced (all tasks run)"})
	shopApp["status"].(map[string]any)["resources"] = []any{map[string]any{"kind": "ConfigMap", "namespace": "demo", "name": "shop-syncwave-plan", "status": "Synced"}}

	apps := map[string]fixture{
		"apps":       {app: apps1, tree: map[string]any{"nodes": []any{childNode("infra", "Healthy", ""), childNode("web", "Progressing", "1 of 2 resources not healthy")}}, managed: children},
		"apps-nolua": {app: apps2, tree: map[string]any{"nodes": []any{childNode("infra", "", ""), childNode("web", "", "")}}, managed: children},
		// infra as Argo CD 2.14 shows it: health inline in status.resources.
		"infra": child("infra", "Healthy", nil,
			map[string]any{"kind": "ConfigMap", "namespace": "infra", "name": "settings", "status": "Synced"},
			map[string]any{"kind": "Service", "namespace": "infra", "name": "dns", "status": "Synced", "health": map[string]any{"status": "Healthy"}}),
		"web": child("web", "Progressing", webTree,
			map[string]any{"kind": "Service", "namespace": "web", "name": "web", "status": "Synced"},
			map[string]any{"group": "apps", "kind": "Deployment", "namespace": "web", "name": "web", "status": "Synced"}),
		"crd":    {app: application("crd", crdOp), tree: map[string]any{"nodes": []any{crdNode}}, managed: crd},
		"flat":   {app: flatApp, tree: map[string]any{"nodes": []any{}}, managed: []map[string]any{managedItem(t, []byte("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\n"), "demo")}},
		"shop3":  {app: shopApp, tree: map[string]any{"nodes": healthy}, managed: managed},
		"shop":   {app: application("shop", map[string]any{"phase": "Succeeded", "message": "successfully synced (all tasks run)"}), tree: map[string]any{"nodes": healthy}, managed: managed},
		"held":   {app: application("held", heldOp), tree: map[string]any{"nodes": heldTree}, managed: managed},
		"plain":  {app: plainApp, tree: map[string]any{"nodes": []any{}}, managed: plain},
		"secret": {denied: true},
	}
	h, err := Host(backend(t, bundle, apps))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	b, err := NewBrowser(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	shots := os.Getenv("UIEXT_SCREENSHOTS")
	if shots == "" {
		shots = t.TempDir()
	}
	times := map[string]time.Duration{}
	// openWith loads the host page for app with extra query parameters and
	// saves its screenshot as fixture-<shot>.png.
	openWith := func(t *testing.T, app, query, shot string) *View {
		t.Helper()
		t0 := time.Now()
		v, err := b.Open(srv.URL+"/_host/index.html?app="+app+query, 30*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		times[shot] = time.Since(t0)
		if err := os.WriteFile(filepath.Join(shots, "fixture-"+shot+".png"), v.Screenshot, 0o644); err != nil {
			t.Fatal(err)
		}
		return v
	}
	open := func(app string) *View { t.Helper(); return openWith(t, app, "", app) }

	t.Run("order and reasons", func(t *testing.T) {
		v := open("shop")
		if v.Registered != "1" || v.ResourceTabs != "argoproj.io/Application:Sync plan" || v.Origin != "record" {
			t.Fatalf("registered %q, resource tabs %q, origin %q", v.Registered, v.ResourceTabs, v.Origin)
		}
		if len(v.Steps) != len(steps) {
			t.Fatalf("%d steps shown, the plan has %d:\n%s", len(v.Steps), len(steps), v.Text)
		}
		for i, s := range steps {
			if got := v.Steps[i]; got.Kind != s.Kind || got.Name != s.Name || got.Reason != s.Reason {
				t.Errorf("step %d: %s %s %q, plan says %s %s %q", i, got.Kind, got.Name, got.Reason, s.Kind, s.Name, s.Reason)
			}
		}
		if len(v.Gates) != 6 || !strings.Contains(v.Gates[0], "before Sync wave 0") || !strings.Contains(v.Gates[0], "until rolled out") {
			t.Errorf("gates %q", v.Gates)
		}
		if v.Now != "" {
			t.Errorf("a finished sync shows a running wave: %q", v.Now)
		}
	})
	t.Run("held at a wave", func(t *testing.T) {
		v := open("held")
		if !strings.Contains(v.Now, "Running: Sync wave 0") || len(v.Holders) != 1 ||
			!strings.Contains(v.Holders[0], "Deployment postgresql") || !strings.Contains(v.Holders[0], "Progressing: Waiting for rollout to finish") {
			t.Fatalf("now %q, holders %q", v.Now, v.Holders)
		}
		if !strings.Contains(v.Now, "the sync started 1m") {
			t.Errorf("the wait is not shown: %q", v.Now)
		}
		states := []string{}
		for _, w := range v.Waves {
			states = append(states, w.State)
		}
		if got := strings.Join(states, ","); got != "done,running,pending,pending,pending,pending,pending" {
			t.Errorf("wave states %s", got)
		}
	})
	t.Run("annotations only", func(t *testing.T) {
		v := open("plain")
		var got []string
		for _, s := range v.Steps {
			got = append(got, s.Kind+"/"+s.Name+": "+s.Reason)
		}
		want := []string{
			`Job/migrate: helm.sh/hook: pre-upgrade, helm.sh/hook-weight: "-1"`,
			"ConfigMap/settings: no wave annotation (wave 0)",
			`Service/api: argocd.argoproj.io/sync-wave: "2"`,
			`Deployment/api: argocd.argoproj.io/sync-wave: "2"`,
		}
		if v.Origin != "annotations" || strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("origin %q, steps:\n%s\nwant\n%s", v.Origin, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	})
	t.Run("no get permission", func(t *testing.T) {
		v := open("secret")
		if v.Ready != "denied" || v.AppStatus != "403" || len(v.Steps) != 0 || strings.Contains(v.Text, "secret ·") {
			t.Errorf("ready %q status %q, %d steps, text %q", v.Ready, v.AppStatus, len(v.Steps), v.Text)
		}
	})
	t.Run("app of apps, Lua health check for Application", func(t *testing.T) {
		v := open("apps")
		checkChildSteps(t, v)
		if len(v.Holders) != 1 || !strings.Contains(v.Holders[0], "Application argocd/web: Progressing: 1 of 2 resources not healthy") ||
			!strings.Contains(v.Now, "Running: Sync wave 2") {
			t.Errorf("the wave held by the child: now %q, holders %q", v.Now, v.Holders)
		}
		want := [][3]string{
			{"infra", "1", "Healthy"},
			{"web", "2", "Progressing: 1 of 2 resources not healthy"},
		}
		if len(v.Children) != 2 {
			t.Fatalf("children %+v", v.Children)
		}
		for i, w := range want {
			c := v.Children[i]
			if c.Name != w[0] || c.Wave != w[1] || c.Gate != w[2] {
				t.Errorf("child %d: %s wave %s gate %q; want %s wave %s gate %q", i, c.Name, c.Wave, c.Gate, w[0], w[1], w[2])
			}
		}
		if !strings.HasPrefix(v.Children[0].Own, "Healthy · Synced") || !strings.Contains(v.Children[1].Own, "Progressing · Synced") ||
			!strings.Contains(v.Children[1].Own, "Deployment web/web: Progressing: "+webMsg) || strings.Contains(v.Children[1].Own, "Service") ||
			strings.Contains(v.Children[1].Own, "Pod") || strings.Contains(v.Children[0].Own, "dns") {
			t.Errorf("the children's own status: %q, %q", v.Children[0].Own, v.Children[1].Own)
		}
		var states []string
		for _, w := range v.Waves {
			states = append(states, w.State)
		}
		if got := strings.Join(states, ","); got != "done,running,pending" {
			t.Errorf("wave states %s", got)
		}
		if !strings.Contains(v.Text, "a wave holding a child waits until the child is Healthy") {
			t.Errorf("the view does not say the children gate their waves:\n%s", v.Text)
		}
	})
	t.Run("app of apps, no health check for Application", func(t *testing.T) {
		v := open("apps-nolua")
		checkChildSteps(t, v)
		if v.Now != "" || len(v.Holders) != 0 {
			t.Errorf("a finished sync shows a running wave: %q, %q", v.Now, v.Holders)
		}
		if len(v.Children) != 2 || v.Children[0].Gate != "not judged (no health check)" || v.Children[1].Gate != "not judged (no health check)" ||
			!strings.Contains(v.Children[1].Own, "Progressing") || !strings.Contains(v.Children[1].Own, webMsg) {
			t.Errorf("children %+v", v.Children)
		}
		if !strings.Contains(v.Text, "the parent moves past a child once it is applied, without waiting for it") {
			t.Errorf("the view does not say the parent does not wait for its children:\n%s", v.Text)
		}
		for _, g := range v.Gates {
			if !strings.Contains(g, "waits for nothing") {
				t.Errorf("a gate of a wave of children without health: %q", g)
			}
		}
	})
	t.Run("wave waiting with every member Healthy", func(t *testing.T) {
		before := time.Since(crdStart)
		v := open("crd")
		after := time.Since(crdStart)
		if !strings.Contains(v.Now, "Running: Sync wave 0") || len(v.Holders) != 0 || len(v.WaitsOn) != 1 ||
			!strings.Contains(v.WaitsOn[0], "waits on CustomResourceDefinition widgets.example.com: Healthy") {
			t.Fatalf("now %q, holders %q, waits on %q", v.Now, v.Holders, v.WaitsOn)
		}
		m := regexp.MustCompile(`waiting (\d+)s \(since the sync started\)`).FindStringSubmatch(v.Now)
		if m == nil {
			t.Fatalf("the wait is not shown from the start of the sync: %q", v.Now)
		}
		if s, _ := strconv.Atoi(m[1]); float64(s) < before.Seconds()-1 || float64(s) > after.Seconds()+1 {
			t.Errorf("waiting %ss; the sync started %.0f-%.0f s before", m[1], before.Seconds(), after.Seconds())
		}
		if !strings.Contains(v.Now, "yet the sync is still on this wave") {
			t.Errorf("the view does not say the wave still waits: %q", v.Now)
		}
	})
	t.Run("shouldDisplay on the 3.3 contract", func(t *testing.T) {
		for _, c := range []struct {
			app, shown string
		}{{"shop3", "true"}, {"plain", "true"}, {"apps", "true"}, {"flat", "false"}} {
			v := openWith(t, c.app, "&contract=3.3", "contract-3.3-"+c.app)
			if v.Contract != "3.3" || v.Shown != c.shown {
				t.Errorf("%s: contract %q shown %q, want 3.3 %s", c.app, v.Contract, v.Shown, c.shown)
			}
			if c.shown == "true" && (v.Ready != "rendered" || len(v.Steps) == 0) {
				t.Errorf("%s: shown, but ready %q with %d steps", c.app, v.Ready, len(v.Steps))
			}
			if c.shown == "false" && (v.Ready != "hidden" || v.Origin != "" || len(v.Steps) != 0) {
				t.Errorf("%s: hidden, but ready %q origin %q, %d steps", c.app, v.Ready, v.Origin, len(v.Steps))
			}
		}
		// 2.14 takes three arguments: the same flat Application shows.
		v := openWith(t, "flat", "&contract=2.14", "contract-2.14-flat")
		if v.Contract != "2.14" || v.Shown != "true" || v.Ready != "rendered" || len(v.Steps) != 1 || v.Registered != "1" {
			t.Errorf("flat on 2.14: contract %q shown %q ready %q, %d steps, registered %q", v.Contract, v.Shown, v.Ready, len(v.Steps), v.Registered)
		}
	})
	var total time.Duration
	for _, shot := range slices.Sorted(maps.Keys(times)) {
		t.Logf("%s: %.2fs", shot, times[shot].Seconds())
		total += times[shot]
	}
	t.Logf("%d pages (fresh tab, view, screenshot): %.1fs", len(times), total.Seconds())
	fmt.Fprintf(os.Stderr, "browser scenarios: %s\n", time.Since(start).Round(100*time.Millisecond))
}
