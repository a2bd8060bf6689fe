//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/yaml"

	"github.com/syncwave/syncwave/test/uiext"
)

// The local users of argocd-server (manifests/argocd-cm.yaml declares the
// accounts, manifests/argocd-rbac-cm.yaml their policy): alice may get
// sw-lab and sw-held, bob nothing.
const (
	labApp  = "sw-lab"
	heldApp = "sw-held"
	// appsApp is an app of apps: child Applications appsInfra (wave 1, a
	// ConfigMap: Healthy) and appsWeb (wave 2, a Deployment that never
	// rolls out: Progressing), synced by the same controller, then a
	// ConfigMap in wave 3 (Argo CD does not wait for the health of the last
	// wave: without it the parent would finish once appsWeb is applied).
	appsApp   = "sw-apps"
	appsInfra = "sw-apps-infra"
	appsWeb   = "sw-apps-web"
)

// childApp is a child Application of appsApp, in wave, synced automatically
// through the plugin from e2e/<name>.
func childApp(name string, wave int) string {
	return fmt.Sprintf(`apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: %[1]s
  namespace: argocd
  annotations: {argocd.argoproj.io/sync-wave: "%[2]d"}
spec:
  project: default
  source: {repoURL: %[3]q, targetRevision: HEAD, path: e2e/%[1]s, plugin: {name: %[4]q}}
  destination: {server: https://kubernetes.default.svc, namespace: %[1]s}
  syncPolicy: {automated: {prune: true}, syncOptions: [CreateNamespace=true]}
`, name, wave, repo.url(), env.plugin)
}

// neverRollsOut is a Deployment whose pod no node accepts.
const neverRollsOut = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      nodeSelector: {syncwave.io/e2e-node: none}
      containers: [{name: web, image: nginx:1.27}]
`

// checkAppHealthLua: the stack's argocd-cm has the health check for
// Application of the install component examples/install/app-health.
func checkAppHealthLua(t *testing.T) {
	t.Helper()
	const key = "resource.customizations.health.argoproj.io_Application"
	read := func(path string) string {
		b, err := os.ReadFile(filepath.Join(env.root, path))
		if err != nil {
			t.Fatal(err)
		}
		var cm struct{ Data map[string]string }
		if err := yaml.Unmarshal(b, &cm); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if cm.Data[key] == "" {
			t.Fatalf("%s has no data.%s", path, key)
		}
		return cm.Data[key]
	}
	if a, b := read("test/e2e/manifests/argocd-cm.yaml"), read("examples/install/app-health/argocd-cm-patch.yaml"); a != b {
		t.Fatalf("the stack's argocd-cm and examples/install/app-health differ in %s:\n%s\n---\n%s", key, a, b)
	}
}

// planStep is a step of plan -o json with its reason.
type planStep struct {
	Phase  string `json:"phase"`
	Wave   int    `json:"wave"`
	Kind   string `json:"kind"`
	Name   string `json:"name"`
	Reason string `json:"reason"`
}

func (s planStep) String() string { return fmt.Sprintf("%s/%d/%s/%s", s.Phase, s.Wave, s.Kind, s.Name) }

// syncwaveJSON runs the syncwave binary with extra environment and returns
// its stdout, stderr and error.
func syncwaveJSON(envs []string, args ...string) ([]byte, string, error) {
	cmd := exec.Command(env.syncwave, args...)
	for _, e := range os.Environ() { // never the caller's Argo CD settings
		if !strings.HasPrefix(e, "ARGOCD_") {
			cmd.Env = append(cmd.Env, e)
		}
	}
	cmd.Env = append(cmd.Env, envs...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	return out, stderr.String(), err
}

func planSteps(t *testing.T, out []byte) []planStep {
	t.Helper()
	var doc struct{ Steps []planStep }
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatalf("plan -o json: %v\n%s", err, out)
	}
	if len(doc.Steps) == 0 {
		t.Fatalf("plan -o json has no steps:\n%s", out)
	}
	return doc.Steps
}

// setPasswords writes random passwords for alice and bob into argocd-secret
// as argocd-server reads them (accounts.<name>.password: a bcrypt hash) and
// waits until argocd-server accepts them.
func setPasswords(t *testing.T, server string) map[string]string {
	t.Helper()
	pw := map[string]string{}
	data := map[string]any{}
	for _, user := range []string{"alice", "bob"} {
		b := make([]byte, 12)
		rand.Read(b)
		pw[user] = hex.EncodeToString(b)
		hash, err := bcrypt.GenerateFromPassword([]byte(pw[user]), bcrypt.DefaultCost)
		if err != nil {
			t.Fatal(err)
		}
		data["accounts."+user+".password"] = base64.StdEncoding.EncodeToString(hash)
	}
	patch, _ := json.Marshal(map[string]any{"data": data})
	secrets := schema.GroupVersionResource{Version: "v1", Resource: "secrets"}
	if _, err := dyn.Resource(secrets).Namespace(argocdNS).Patch(context.Background(), "argocd-secret", types.MergePatchType, patch, metav1.PatchOptions{}); err != nil {
		t.Fatalf("patch argocd-secret: %v", err)
	}
	// argocd-server picks the secret up through its informer. A failed
	// login counts against the user (5 within 300 s lock it out), so ask
	// at most 4 times, 2 s apart, rather than polling.
	time.Sleep(time.Second)
	for _, user := range []string{"alice", "bob"} {
		status := 0
		for try := 0; try < 4 && status != http.StatusOK; try++ {
			time.Sleep(time.Duration(min(try, 1)) * 2 * time.Second)
			_, status = login(t, server, user, pw[user])
		}
		if status != http.StatusOK {
			t.Fatalf("argocd-server refuses %s's password 4 times in 7 s after argocd-secret got it (last answer %d)", user, status)
		}
	}
	return pw
}

// login is POST /api/v1/session: the session token, and the HTTP status.
func login(t *testing.T, server, user, password string) (string, int) {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"username": user, "password": password})
	resp, err := http.Post("http://"+server+"/api/v1/session", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatalf("POST /api/v1/session: %v", err)
	}
	defer resp.Body.Close()
	var out struct{ Token string }
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal(b, &out); err != nil || out.Token == "" {
			t.Fatalf("POST /api/v1/session as %s: no token in %q", user, b)
		}
	}
	return out.Token, resp.StatusCode
}

// apiGet is GET path on argocd-server with a Bearer token: status and body.
func apiGet(t *testing.T, server, token, path string) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, "http://"+server+path, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// treeHealth is the health of kind/name in the Application's resource tree
// as argocd-server answers it.
func treeHealth(t *testing.T, server, token, app, kind, name string) (status, message string) {
	t.Helper()
	code, b := apiGet(t, server, token, "/api/v1/applications/"+app+"/resource-tree")
	if code != http.StatusOK {
		t.Fatalf("resource-tree of %s: %d %s", app, code, b)
	}
	var tree struct {
		Nodes []struct {
			Kind, Name string
			Health     *struct{ Status, Message string }
		}
	}
	if err := json.Unmarshal(b, &tree); err != nil {
		t.Fatalf("resource-tree of %s: %v", app, err)
	}
	for _, n := range tree.Nodes {
		if n.Kind == kind && n.Name == name && n.Health != nil {
			return n.Health.Status, n.Health.Message
		}
	}
	return "", ""
}

// TestArgoCDServer: argocd-server with RBAC and local users, serving the
// Sync plan extension from its own /tmp/extensions (stack.sh), read by a
// real headless Chromium on the host page with a real session, and by
// `syncwave plan --app`.
//
//   - sw-lab: examples/sync-hook-wave with plan-record on, synced;
//   - sw-held: the same, with postgresql's pods pinned to a node that does
//     not exist: the sync is held at postgresql's wave for good;
//   - sw-apps: an app of apps (plan-record on) whose child Applications
//     sw-apps-infra (wave 1) and sw-apps-web (wave 2, a Deployment that
//     never rolls out) the same controller syncs, then a ConfigMap in wave
//     3; argocd-cm has the Lua
//     health check for Application (examples/install/app-health), so the
//     parent is held at wave 2 by sw-apps-web.
func TestArgoCDServer(t *testing.T) {
	server := os.Getenv("E2E_ARGOCD_SERVER")
	if server == "" {
		t.Fatal("E2E_ARGOCD_SERVER is not set: stack.sh starts argocd-server and sets it")
	}
	shots := os.Getenv("E2E_SCREENSHOTS")
	if shots == "" {
		shots = t.TempDir()
	}
	if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}
	record := []map[string]any{{"name": "plan-record", "string": "true"}}

	repo.copyDir(t, "examples/sync-hook-wave", "e2e/"+labApp)
	repo.copyDir(t, "examples/sync-hook-wave", "e2e/"+heldApp)
	pg := "e2e/" + heldApp + "/postgresql.yaml"
	orig, err := os.ReadFile(filepath.Join(repo.dir, pg))
	if err != nil {
		t.Fatal(err)
	}
	const anchor = "    spec:\n      initContainers:\n"
	if !bytes.Contains(orig, []byte(anchor)) {
		t.Fatalf("examples/sync-hook-wave/postgresql.yaml changed: no %q to add a nodeSelector to", anchor)
	}
	repo.write(t, pg, strings.Replace(string(orig), anchor,
		"    spec:\n      nodeSelector: {syncwave.io/e2e-node: none}\n      initContainers:\n", 1))
	checkAppHealthLua(t)
	repo.write(t, "e2e/"+appsApp+"/infra.yaml", childApp(appsInfra, 1))
	repo.write(t, "e2e/"+appsApp+"/web.yaml", childApp(appsWeb, 2))
	repo.write(t, "e2e/"+appsApp+"/after.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: sw-apps-after\n  annotations: {argocd.argoproj.io/sync-wave: \"3\"}\n")
	repo.write(t, "e2e/"+appsInfra+"/settings.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\ndata: {tier: infra}\n")
	repo.write(t, "e2e/"+appsWeb+"/web.yaml", neverRollsOut)
	rev := repo.commit(t, "argocd-server scenarios")
	createApp(t, appSpec{name: labApp, path: "e2e/" + labApp, destNS: labApp, params: record})
	createApp(t, appSpec{name: heldApp, path: "e2e/" + heldApp, destNS: heldApp, params: record})
	createApp(t, appSpec{name: appsApp, path: "e2e/" + appsApp, destNS: argocdNS, params: record})

	pw := setPasswords(t, server)
	alice, _ := login(t, server, "alice", pw["alice"])
	bob, _ := login(t, server, "bob", pw["bob"])

	out, stderr, err := syncwaveJSON(nil, "plan", "-o", "json", "--namespace", labApp, "--app-name", labApp, repo.abs("e2e/"+labApp))
	if err != nil {
		t.Fatalf("syncwave plan: %v: %s", err, stderr)
	}
	steps := planSteps(t, out)
	var pgStep planStep
	for _, s := range steps {
		if s.Kind == "Deployment" && s.Name == "postgresql" {
			pgStep = s
		}
	}
	if pgStep.Kind == "" {
		t.Fatal("the plan of examples/sync-hook-wave has no Deployment postgresql")
	}

	waitSynced(t, labApp, rev, syncTimeout)
	// The held sync: Running, its message names postgresql, and the tree
	// shows it Progressing (its pod is never scheduled).
	var healthMsg string
	ctx, cancel := context.WithTimeout(context.Background(), syncTimeout)
	defer cancel()
	if err := poll(ctx, heldApp+" held at postgresql", func() (bool, error) {
		app := getApp(t, heldApp)
		if str(app, "status", "operationState", "phase") != "Running" ||
			!strings.Contains(str(app, "status", "operationState", "message"), "postgresql") {
			return false, nil
		}
		var st string
		st, healthMsg = treeHealth(t, server, alice, heldApp, "Deployment", "postgresql")
		// The steady message of a Deployment whose pod is never scheduled
		// (before it, "Waiting for deployment spec update ..." may show).
		return st == "Progressing" && strings.Contains(healthMsg, "updated replicas are available"), nil
	}); err != nil {
		b, _ := json.MarshalIndent(getApp(t, heldApp).Object["status"], "", "  ")
		t.Fatalf("%v\nstatus: %s", err, b)
	}
	t.Logf("%s held: postgresql Progressing: %s", heldApp, healthMsg)

	// The app of apps: held at wave 2 by its child appsWeb (the Lua check
	// gives the child the health the child reports), appsInfra Healthy,
	// appsWeb's own Deployment Progressing.
	out, stderr, err = syncwaveJSON(nil, "plan", "-o", "json", "--namespace", argocdNS, "--app-name", appsApp, repo.abs("e2e/"+appsApp))
	if err != nil {
		t.Fatalf("syncwave plan: %v: %s", err, stderr)
	}
	appsSteps := planSteps(t, out)
	var webMsg string
	actx, acancel := context.WithTimeout(context.Background(), syncTimeout)
	defer acancel()
	if err := poll(actx, appsApp+" held at "+appsWeb, func() (bool, error) {
		app := getApp(t, appsApp)
		if str(app, "status", "operationState", "phase") != "Running" ||
			!strings.Contains(str(app, "status", "operationState", "message"), appsWeb) {
			return false, nil
		}
		if st, _ := treeHealth(t, server, alice, appsApp, "Application", appsInfra); st != "Healthy" {
			return false, nil
		}
		if st, _ := treeHealth(t, server, alice, appsApp, "Application", appsWeb); st != "Progressing" {
			return false, nil
		}
		var st string
		st, webMsg = treeHealth(t, server, alice, appsWeb, "Deployment", "web")
		return st == "Progressing" && strings.Contains(webMsg, "updated replicas are available"), nil
	}); err != nil {
		b, _ := json.MarshalIndent(getApp(t, appsApp).Object["status"], "", "  ")
		t.Fatalf("%v\nstatus: %s", err, b)
	}
	t.Logf("%s held at %s; its Deployment web: %s", appsApp, appsWeb, webMsg)

	// The browser: the host page and React from uiext, everything else
	// (/extensions.js, /api/...) from argocd-server.
	proxy, err := uiext.Proxy("http://" + server)
	if err != nil {
		t.Fatal(err)
	}
	h, err := uiext.Host(proxy)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	b, err := uiext.NewBrowser(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	browserStart := time.Now()
	open := func(t *testing.T, user, app, shot string) *uiext.View {
		t.Helper()
		t0 := time.Now()
		v, err := b.OpenAs(srv.URL, user, pw[user], "/_host/index.html?app="+app, 60*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s as %s: %.1fs", app, user, time.Since(t0).Seconds())
		if err := os.WriteFile(filepath.Join(shots, "server-"+shot+".png"), v.Screenshot, 0o644); err != nil {
			t.Fatal(err)
		}
		return v
	}

	t.Run("lab: order and reasons", func(t *testing.T) {
		v := open(t, "alice", labApp, "lab")
		if v.Registered != "1" || v.Origin != "record" || v.AppStatus != "200" {
			t.Fatalf("registered %q, origin %q, application status %q; page: %q", v.Registered, v.Origin, v.AppStatus, v.Text)
		}
		if len(v.Steps) != len(steps) {
			t.Fatalf("%d steps shown, the plan has %d:\n%s", len(v.Steps), len(steps), v.Text)
		}
		for i, s := range steps {
			if got := v.Steps[i]; got.Kind != s.Kind || got.Name != s.Name || got.Reason != s.Reason {
				t.Errorf("step %d: %s %s %q, plan says %s %s %q", i, got.Kind, got.Name, got.Reason, s.Kind, s.Name, s.Reason)
			}
		}
		if v.Now != "" || len(v.Holders) != 0 {
			t.Errorf("a finished sync shows a running wave: %q, holders %q", v.Now, v.Holders)
		}
	})
	t.Run("held at a wave", func(t *testing.T) {
		v := open(t, "alice", heldApp, "held")
		wave := fmt.Sprintf("Running: %s wave %d", pgStep.Phase, pgStep.Wave)
		if !strings.Contains(v.Now, wave) {
			t.Errorf("the view does not say %q: %q", wave, v.Now)
		}
		if len(v.Holders) != 1 || !strings.Contains(v.Holders[0], "Deployment ") || !strings.Contains(v.Holders[0], "postgresql: ") ||
			!strings.Contains(v.Holders[0], "Progressing: "+healthMsg) {
			t.Errorf("holders %q; want Deployment postgresql, Progressing: %s", v.Holders, healthMsg)
		}
		found := false
		for _, w := range v.Waves {
			if strings.HasPrefix(w.Title, fmt.Sprintf("%s wave %d ", pgStep.Phase, pgStep.Wave)) {
				found = true
				if w.State != "running" {
					t.Errorf("wave %q is %q, want running", w.Title, w.State)
				}
			}
		}
		if !found {
			t.Errorf("no %s wave %d among the waves shown: %v", pgStep.Phase, pgStep.Wave, v.Waves)
		}
	})
	t.Run("app of apps", func(t *testing.T) {
		v := open(t, "alice", appsApp, "apps")
		if v.Origin != "record" || len(v.Steps) != len(appsSteps) {
			t.Fatalf("origin %q, %d steps, the plan has %d:\n%s", v.Origin, len(v.Steps), len(appsSteps), v.Text)
		}
		for i, s := range appsSteps {
			if got := v.Steps[i]; got.Kind != s.Kind || got.Name != s.Name || got.Reason != s.Reason {
				t.Errorf("step %d: %s %s %q, plan says %s %s %q", i, got.Kind, got.Name, got.Reason, s.Kind, s.Name, s.Reason)
			}
		}
		// The children in wave order, with the health the parent judges
		// them by and their own status.
		if len(v.Children) != 2 || v.Children[0].Name != appsInfra || v.Children[0].Wave != "1" || v.Children[1].Name != appsWeb || v.Children[1].Wave != "2" {
			t.Fatalf("children %+v; want %s (wave 1), %s (wave 2)", v.Children, appsInfra, appsWeb)
		}
		if !strings.HasPrefix(v.Children[0].Gate, "Healthy") || !strings.HasPrefix(v.Children[1].Gate, "Progressing") {
			t.Errorf("the parent's judgement of the children: %q, %q", v.Children[0].Gate, v.Children[1].Gate)
		}
		if !strings.HasPrefix(v.Children[0].Own, "Healthy · Synced") || !strings.HasPrefix(v.Children[1].Own, "Progressing") ||
			!strings.Contains(v.Children[1].Own, "Deployment "+appsWeb+"/web: Progressing: "+webMsg) {
			t.Errorf("the children's own status: %q, %q", v.Children[0].Own, v.Children[1].Own)
		}
		// The wave holding is the child's.
		if !strings.Contains(v.Now, "Running: Sync wave 2") || len(v.Holders) != 1 || !strings.Contains(v.Holders[0], "Application "+argocdNS+"/"+appsWeb+": Progressing") {
			t.Errorf("now %q, holders %q; want Sync wave 2 held by Application %s", v.Now, v.Holders, appsWeb)
		}
		// The record counted the stack's Lua check (SYNCWAVE_ARGOCD_CM):
		// wave 1 waits for its child.
		if len(v.Gates) == 0 || !strings.Contains(v.Gates[0], "before Sync wave 2") || !strings.Contains(v.Gates[0], "Application "+argocdNS+"/"+appsInfra) ||
			!strings.Contains(v.Gates[0], "argocd-cm check") {
			t.Errorf("gates %q", v.Gates)
		}
	})
	t.Run("no get permission", func(t *testing.T) {
		for _, app := range []string{labApp, heldApp, appsApp} {
			v := open(t, "bob", app, "denied-"+app)
			if v.Ready != "denied" || v.AppStatus != "403" || len(v.Steps) != 0 || v.Origin != "" || strings.Contains(v.Text, app+" ·") {
				t.Errorf("bob on %s: ready %q status %q, %d steps, text %q", app, v.Ready, v.AppStatus, len(v.Steps), v.Text)
			}
		}
		// Nor through the API the extension uses, nor in the list.
		for _, p := range []string{"/api/v1/applications/" + labApp + "/managed-resources", "/api/v1/applications/" + labApp + "/resource-tree"} {
			if code, body := apiGet(t, server, bob, p); code != http.StatusForbidden {
				t.Errorf("bob: GET %s: %d %s", p, code, body)
			}
		}
		code, body := apiGet(t, server, bob, "/api/v1/applications")
		var list struct{ Items []any }
		if err := json.Unmarshal(body, &list); code != http.StatusOK || err != nil || len(list.Items) != 0 {
			t.Errorf("bob: GET /api/v1/applications: %d, %d items (%v)", code, len(list.Items), err)
		}
	})
	t.Logf("browser scenarios against argocd-server: %.1fs", time.Since(browserStart).Seconds())
	t.Run("real UI", func(t *testing.T) { // opt-in: E2E_REAL_UI=1 (realui_test.go)
		realUI(t, server, "alice", pw["alice"], labApp, heldApp, steps, pgStep, healthMsg, shots)
	})

	t.Run("plan --app", func(t *testing.T) {
		envs := []string{"ARGOCD_SERVER=" + server, "ARGOCD_AUTH_TOKEN=" + alice}
		out, stderr, err := syncwaveJSON(envs, "plan", "--app", labApp, "-o", "json", "--plaintext")
		if err != nil {
			t.Fatalf("plan --app %s: %v: %s", labApp, err, stderr)
		}
		if strings.Contains(stderr, alice) {
			t.Errorf("plan --app wrote the token to stderr")
		}
		got := planSteps(t, out)
		dirOut, dirErr, err := syncwaveJSON(nil, "plan", "-o", "json", filepath.Join(env.root, "examples/sync-hook-wave"))
		if err != nil {
			t.Fatalf("plan examples/sync-hook-wave: %v: %s", err, dirErr)
		}
		want := planSteps(t, dirOut)
		// The Application's manifests hold the plan record too: one
		// ConfigMap, <app>-syncwave-plan, that the directory does not have.
		var rest []string
		records := 0
		for _, s := range got {
			if s.Kind == "ConfigMap" && s.Name == labApp+"-syncwave-plan" {
				records++
				continue
			}
			rest = append(rest, s.String())
		}
		var wantS []string
		for _, s := range want {
			wantS = append(wantS, s.String())
		}
		if records != 1 || strings.Join(rest, "\n") != strings.Join(wantS, "\n") {
			t.Errorf("plan --app %s (%d plan records):\n  %s\nplan examples/sync-hook-wave:\n  %s", labApp, records,
				strings.Join(rest, "\n  "), strings.Join(wantS, "\n  "))
		}

		envs = []string{"ARGOCD_SERVER=" + server, "ARGOCD_AUTH_TOKEN=" + bob}
		out, stderr, err = syncwaveJSON(envs, "plan", "--app", labApp, "-o", "json", "--plaintext")
		if err == nil || len(out) != 0 {
			t.Errorf("plan --app %s as bob: err %v, stdout %q", labApp, err, out)
		}
		if !strings.Contains(stderr, "403") && !strings.Contains(stderr, "404") {
			t.Errorf("plan --app %s as bob: stderr does not say 403 or 404: %q", labApp, stderr)
		}
		if strings.Contains(stderr, bob) {
			t.Errorf("plan --app as bob wrote the token to stderr")
		}
	})
}
