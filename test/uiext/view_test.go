//go:build browser

package uiext

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
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
	apps := map[string]fixture{
		"shop":   {app: application("shop", map[string]any{"phase": "Succeeded", "message": "successfully synced (all tasks run)"}), tree: map[string]any{"nodes": healthy}, managed: managed},
		"held":   {app: application("held", heldOp), tree: map[string]any{"nodes": heldTree}, managed: managed},
		"plain":  {app: application("plain", nil), tree: map[string]any{"nodes": []any{}}, managed: plain},
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
	open := func(app string) *View {
		t.Helper()
		v, err := b.Open(srv.URL+"/_host/index.html?app="+app, 30*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(shots, "fixture-"+app+".png"), v.Screenshot, 0o644); err != nil {
			t.Fatal(err)
		}
		return v
	}

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
	fmt.Fprintf(os.Stderr, "browser scenarios: %s\n", time.Since(start).Round(100*time.Millisecond))
}
