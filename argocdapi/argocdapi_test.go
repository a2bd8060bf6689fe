package argocdapi

import (
	// every test package takes the one -update flag (go test ./... -update)
	_ "github.com/syncwave/syncwave/internal/golden"

	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/syncwave/syncwave/internal/sandbox"
)

const token = "s3cr3t-token-value"

// fakeArgoCD answers like argocd-server's grpc-gateway for
// GET /api/v1/applications/{name}/manifests: a bearer token, the
// appNamespace and revision query parameters, ManifestResponse as JSON
// (manifests are JSON strings; Secret data masked), errors as
// {"error", "code", "message"} with the gRPC code's HTTP status.
func fakeArgoCD(t *testing.T, seen *http.Request) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		*seen = *r
		w.Header().Set("Content-Type", "application/json")
		fail := func(status, code int, msg string) {
			w.WriteHeader(status)
			_ = json.NewEncoder(w).Encode(map[string]any{"error": msg, "code": code, "message": msg})
		}
		if r.Header.Get("Authorization") != "Bearer "+token {
			fail(http.StatusUnauthorized, 16, "no session information")
			return
		}
		if r.Method != http.MethodGet {
			fail(http.StatusNotImplemented, 12, "Method Not Allowed")
			return
		}
		switch r.URL.Path {
		case "/api/v1/applications/guestbook/manifests", "/argocd/api/v1/applications/guestbook/manifests":
		default:
			fail(http.StatusForbidden, 7, "permission denied")
			return
		}
		manifests := []string{
			`{"apiVersion":"v1","kind":"Secret","metadata":{"name":"db","namespace":"shop"},"data":{"password":"++++++++"}}`,
			`{"apiVersion":"batch/v1","kind":"Job","metadata":{"name":"migrate","namespace":"shop","annotations":{"argocd.argoproj.io/hook":"PreSync"}},"spec":{}}`,
			`{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","namespace":"shop","annotations":{"argocd.argoproj.io/sync-wave":"1"}},"spec":{}}`,
		}
		_ = json.NewEncoder(w).Encode(map[string]any{
			"manifests": manifests, "namespace": "shop", "server": "https://kubernetes.default.svc",
			"revision": "0123abc", "sourceType": "Plugin",
		})
	})
}

func TestManifests(t *testing.T) {
	var seen http.Request
	srv := httptest.NewServer(fakeArgoCD(t, &seen))
	defer srv.Close()
	s := Server{Addr: strings.TrimPrefix(srv.URL, "http://"), Token: token, PlainText: true}
	m, err := s.Manifests(context.Background(), "guestbook", "apps", "main")
	if err != nil {
		t.Fatal(err)
	}
	if got := seen.URL.Query(); got.Get("appNamespace") != "apps" || got.Get("revision") != "main" {
		t.Errorf("query %v", got)
	}
	if len(m.Resources) != 3 || len(m.Texts) != 3 || m.Namespace != "shop" || m.Revision != "0123abc" || m.SourceType != "Plugin" {
		t.Fatalf("%+v", m)
	}
	r := m.Resources[1]
	if r.Kind != "Job" || r.Name != "migrate" || r.Annotations["argocd.argoproj.io/hook"] != "PreSync" || r.Source != "apps/guestbook manifests[1]" {
		t.Errorf("resource 1: %+v", r)
	}
	if !strings.Contains(string(m.Texts[0]), "++++++++") {
		t.Errorf("text 0: %s", m.Texts[0])
	}

	// a root path, and no query parameters when not asked
	s.Addr += "/argocd"
	if _, err := s.Manifests(context.Background(), "guestbook", "", ""); err != nil {
		t.Fatal(err)
	}
	if seen.URL.Path != "/argocd/api/v1/applications/guestbook/manifests" || seen.URL.RawQuery != "" {
		t.Errorf("request %s?%s", seen.URL.Path, seen.URL.RawQuery)
	}
}

func TestManifestsErrors(t *testing.T) {
	var seen http.Request
	srv := httptest.NewServer(fakeArgoCD(t, &seen))
	defer srv.Close()
	plain := strings.TrimPrefix(srv.URL, "http://")
	tls := httptest.NewTLSServer(fakeArgoCD(t, &seen))
	defer tls.Close()
	secure := strings.TrimPrefix(tls.URL, "https://")
	for _, tc := range []struct {
		name string
		s    Server
		app  string
		want string
	}{
		{"no token", Server{Addr: plain, PlainText: true}, "guestbook", "wants a token (401): set ARGOCD_AUTH_TOKEN"},
		{"wrong token", Server{Addr: plain, PlainText: true, Token: "wrong"}, "guestbook", "refused the token of ARGOCD_AUTH_TOKEN (401: no session information)"},
		{"unknown app", Server{Addr: plain, PlainText: true, Token: token}, "nope", "application nope: Argo CD at http://" + plain + " denies it (403: permission denied)"},
		{"self-signed", Server{Addr: secure, Token: token}, "guestbook", "--insecure skips the check"},
		{"no server", Server{Token: token}, "guestbook", "set ARGOCD_SERVER"},
		{"https to plain http", Server{Addr: plain, Token: token}, "guestbook", "--plaintext"},
		{"bad scheme", Server{Addr: "ftp://x", Token: token}, "guestbook", `expected host[:port]`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.s.Manifests(context.Background(), tc.app, "", "")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
			if strings.Contains(err.Error(), token) {
				t.Errorf("the error shows the token: %v", err)
			}
		})
	}
	// --insecure reaches the self-signed server
	s := Server{Addr: secure, Token: token, Insecure: true}
	if _, err := s.Manifests(context.Background(), "guestbook", "", ""); err != nil {
		t.Fatal(err)
	}
}

func TestParseApp(t *testing.T) {
	for in, want := range map[string][2]string{"guestbook": {"guestbook", ""}, "apps/guestbook": {"guestbook", "apps"}} {
		n, ns, err := ParseApp(in)
		if err != nil || n != want[0] || ns != want[1] {
			t.Errorf("%s: %s %s %v", in, n, ns, err)
		}
	}
	for _, bad := range []string{"", "/x", "x/", "a/b/c"} {
		if _, _, err := ParseApp(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// TestManifestsDuringARendering: the client is its own, not the process's
// http.DefaultTransport and net.DefaultResolver, which a rendering's
// containment replaces while it runs (sandbox.DenyNetwork); reading the
// default transport then panicked when commands shared a process (tests).
// Sequential: it holds the containment for its whole run.
func TestManifestsDuringARendering(t *testing.T) {
	var seen http.Request
	srv := httptest.NewServer(fakeArgoCD(t, &seen))
	defer srv.Close()
	restore := sandbox.DenyNetwork()
	defer restore()
	s := Server{Addr: "localhost:" + srv.URL[strings.LastIndex(srv.URL, ":")+1:], Token: token, PlainText: true}
	m, err := s.Manifests(context.Background(), "guestbook", "apps", "")
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Resources) != 3 {
		t.Errorf("%d resources, want 3", len(m.Resources))
	}
}
