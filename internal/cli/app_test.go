package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

const appToken = "argocd-token-that-must-not-leak"

// liveArgoCD mimics argocd-server's REST gateway for the manifests of one
// Application, guestbook in namespace apps (the manifests endpoint's
// ManifestResponse, a bearer token, Argo CD's 403 for anything else).
func liveArgoCD(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.Header.Get("Authorization") != "Bearer "+appToken {
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(`{"error":"invalid session: token is malformed","code":16,"message":"invalid session: token is malformed"}`))
			return
		}
		if r.URL.Path != "/api/v1/applications/guestbook/manifests" || r.URL.Query().Get("appNamespace") != "apps" {
			w.WriteHeader(http.StatusForbidden)
			_, _ = w.Write([]byte(`{"error":"permission denied","code":7,"message":"permission denied"}`))
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]any{
			"manifests": []string{
				`{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","namespace":"shop","annotations":{"argocd.argoproj.io/sync-wave":"1"}},"spec":{"template":{"spec":{"serviceAccountName":"web"}}}}`,
				`{"apiVersion":"v1","kind":"ServiceAccount","metadata":{"name":"web","namespace":"shop","annotations":{"argocd.argoproj.io/sync-wave":"2"}}}`,
				`{"apiVersion":"batch/v1","kind":"Job","metadata":{"name":"migrate","namespace":"shop","annotations":{"argocd.argoproj.io/hook":"PreSync","argocd.argoproj.io/hook-delete-policy":"HookSucceeded"}},"spec":{}}`,
				`{"apiVersion":"v1","kind":"Secret","metadata":{"name":"db","namespace":"shop"},"data":{"password":"++++++++"}}`,
			},
			"namespace": "shop", "server": "https://kubernetes.default.svc", "revision": "abc123", "sourceType": "Directory",
		})
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestPlanApp(t *testing.T) {
	srv := liveArgoCD(t)
	addr := strings.TrimPrefix(srv.URL, "http://")
	env := []string{"ARGOCD_SERVER=" + addr, "ARGOCD_AUTH_TOKEN=" + appToken}
	out, errOut, code := runHost(t, env, "/", "plan", "--app", "apps/guestbook", "--plaintext")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"PreSync  0     Job             shop/migrate", "Sync     1     Deployment      shop/web        -      existing annotation sync-wave 1", "Sync     2     ServiceAccount  shop/web", "Secret          shop/db"} {
		if !strings.Contains(out, want) {
			t.Errorf("plan lacks %q:\n%s", want, out)
		}
	}
	// ARGOCD_OPTS carries the argocd CLI's flags; --app-namespace the namespace
	out2, errOut, code := runHost(t, append(env, "ARGOCD_OPTS=--plaintext"), "/", "plan", "--app", "guestbook", "--app-namespace", "apps", "-o", "json")
	if code != 0 {
		t.Fatalf("ARGOCD_OPTS: exit %d: %s", code, errOut)
	}
	var p struct {
		Steps []struct{ Kind, Name, Phase string }
	}
	if err := json.Unmarshal([]byte(out2), &p); err != nil || len(p.Steps) != 4 {
		t.Fatalf("json plan: %v\n%s", err, out2)
	}

	// lint finds the ServiceAccount planned after its Deployment
	out, _, code = runHost(t, env, "/", "lint", "--app", "apps/guestbook", "--plaintext")
	if code != 1 || !strings.Contains(out, "reference-planned-later") || !strings.Contains(out, "apps/guestbook manifests[0]") {
		t.Errorf("lint: exit %d\n%s", code, out)
	}

	// errors name the cause and never the token
	for _, tc := range []struct {
		env  []string
		args []string
		want string
	}{
		{[]string{"ARGOCD_SERVER=" + addr, "ARGOCD_AUTH_TOKEN=wrong-" + appToken}, []string{"plan", "--app", "apps/guestbook", "--plaintext"}, "refused the token of ARGOCD_AUTH_TOKEN (401: invalid session: token is malformed)"},
		{env, []string{"plan", "--app", "other", "--plaintext"}, "application other: Argo CD at http://" + addr + " denies it (403: permission denied)"},
		{[]string{"ARGOCD_AUTH_TOKEN=" + appToken}, []string{"lint", "--app", "guestbook"}, "set ARGOCD_SERVER"},
		{env, []string{"plan", "--app", "guestbook"}, "--plaintext"},
	} {
		out, errOut, code := runHost(t, tc.env, "/", tc.args...)
		if code != 1 || out != "" || !strings.Contains(errOut, tc.want) {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want %q", tc.args, code, out, errOut, tc.want)
		}
		if strings.Contains(errOut, appToken) {
			t.Errorf("%v: stderr shows the token: %s", tc.args, errOut)
		}
	}
}

// TestPluginName: run as argocd-syncwave (the argocd CLI's plugin, which
// receives the arguments after "syncwave"), the commands call themselves
// "argocd syncwave".
func TestPluginName(t *testing.T) {
	t.Parallel()

	h := host{environ: func() []string { return nil }, getwd: func() (string, error) { return "/", nil }, program: "/usr/local/bin/argocd-syncwave"}
	var out, errb bytes.Buffer
	if code := mainWith(context.Background(), []string{"plan", "--help"}, &out, &errb, h); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	if !strings.Contains(out.String(), "argocd syncwave plan [PATH]") {
		t.Errorf("help:\n%s", out.String())
	}
	if commandName("syncwave") != "syncwave" || commandName("/opt/bin/argocd-syncwave.exe") != "argocd syncwave" || commandName("argocd-syncwave-old") != "syncwave" {
		t.Error("commandName")
	}
}
