package cli

import (
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// tlsServer serves h over TLS on 127.0.0.1 and returns it with the PEM
// file of its certificate (to trust it as a private CA).
func tlsServer(t *testing.T, h http.Handler) (*httptest.Server, string) {
	t.Helper()
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ErrorLog = nil
	srv.StartTLS()
	t.Cleanup(srv.Close)
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o644); err != nil {
		t.Fatal(err)
	}
	return srv, ca
}

// silentServer completes the TLS handshake and never answers.
func silentServer(t *testing.T) (*httptest.Server, string, *atomic.Int64) {
	t.Helper()
	stop := make(chan struct{})
	var hits atomic.Int64
	srv, ca := tlsServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		select {
		case <-stop:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(func() { close(stop) })
	return srv, ca, &hits
}

// depApp writes a chart depending on name from repository under a
// temporary repository root, and returns the application directory and
// generate's environment for it.
func depApp(t *testing.T, name, version, repository string) (string, []string) {
	t.Helper()
	repo := t.TempDir()
	app := filepath.Join(repo, "apps", "shop")
	if err := os.MkdirAll(filepath.Join(app, "templates"), 0o755); err != nil {
		t.Fatal(err)
	}
	chart := fmt.Sprintf("apiVersion: v2\nname: shop\nversion: 1.0.0\ndependencies:\n  - {name: %s, version: %q, repository: %q}\n", name, version, repository)
	if err := os.WriteFile(filepath.Join(app, "Chart.yaml"), []byte(chart), 0o644); err != nil {
		t.Fatal(err)
	}
	return app, []string{"ARGOCD_APP_NAME=web", "ARGOCD_APP_NAMESPACE=shop", "ARGOCD_APP_SOURCE_PATH=apps/shop"}
}

// TestDownloadDeadline: a repository or registry that completes the TLS
// handshake and never answers holds generate no longer than its one
// deadline (SYNCWAVE_TIMEOUT), OCI requests included (Helm's registry
// client uses context.Background()), and the message names the host.
func TestDownloadDeadline(t *testing.T) {
	srv, ca, hits := silentServer(t)
	host := srv.Listener.Addr().String()
	reposYAML := filepath.Join(t.TempDir(), "repositories.yaml")
	if err := os.WriteFile(reposYAML, []byte(fmt.Sprintf("repositories:\n  - name: silent\n    url: %s/charts\n    caFile: %s\n", srv.URL, ca)), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, version, repository string
		env                       []string
	}{
		{"index", "19.x.x", srv.URL + "/charts", []string{"SYNCWAVE_REPOSITORY_CONFIG=" + reposYAML}},
		{"oci tags", "19.x.x", "oci://" + host + "/charts", []string{"SYNCWAVE_REGISTRY_CA_FILE=" + ca}},
		{"oci exact version", "19.2.0", "oci://" + host + "/charts", []string{"SYNCWAVE_REGISTRY_CA_FILE=" + ca}},
	} {
		t.Run(c.name, func(t *testing.T) {
			hits.Store(0)
			app, env := depApp(t, "redis", c.version, c.repository)
			env = append(append(env, "SYNCWAVE_TIMEOUT=2s", "SYNCWAVE_ALLOW_HOSTS=127.0.0.1"), c.env...)
			start := time.Now()
			out, errOut, code := runHost(t, env, app, "generate")
			took := time.Since(start)
			if code != 1 || out != "" {
				t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errOut)
			}
			if took < 2*time.Second || took > 4500*time.Millisecond {
				t.Errorf("took %s, want about the 2s deadline", took.Round(time.Millisecond))
			}
			for _, want := range []string{"generate apps/shop: downloading the chart dependencies took longer than 2s", "no complete answer from " + host + " before the deadline"} {
				if !strings.Contains(errOut, want) {
					t.Errorf("stderr lacks %q:\n%s", want, errOut)
				}
			}
			if hits.Load() == 0 {
				t.Errorf("no request reached the server: the test did not test the deadline (%s)", errOut)
			}
		})
	}
}

// TestDownloadSizeLimits: an index larger than the limit its memory budget
// gives (a 48th: 5.3 MiB under 256Mi) fails with the limit and the URL,
// without its query; a registry that pages its tag list without end is
// cut at the page limit; the limits hold without reading the whole answer.
func TestDownloadSizeLimits(t *testing.T) {
	big := strings.Repeat("# padding of an index that is far too large for its budget\n", (9<<20)/60)
	srv, ca := tlsServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/charts/index.yaml":
			// no Content-Length: the limit holds while streaming
			w.(http.Flusher).Flush()
			for i := 0; i < len(big); i += 1 << 16 {
				if _, err := w.Write([]byte(big[i:min(i+1<<16, len(big))])); err != nil {
					return
				}
			}
		case r.URL.Path == "/v2/":
			w.WriteHeader(http.StatusOK)
		case strings.HasSuffix(r.URL.Path, "/tags/list"):
			last := r.URL.Query().Get("last")
			next := last + "0"
			w.Header().Set("Link", fmt.Sprintf(`<%s?last=%s>; rel="next"`, r.URL.Path, next))
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprintf(w, `{"name":"charts/redis","tags":["0.0.%d"]}`, len(last))
		default:
			http.NotFound(w, r)
		}
	}))
	host := srv.Listener.Addr().String()
	reposYAML := filepath.Join(t.TempDir(), "repositories.yaml")
	if err := os.WriteFile(reposYAML, []byte(fmt.Sprintf("repositories:\n  - name: big\n    url: %s/charts\n    caFile: %s\n", srv.URL, ca)), 0o644); err != nil {
		t.Fatal(err)
	}
	common := []string{"SYNCWAVE_MAX_MEMORY=256Mi", "SYNCWAVE_ALLOW_HOSTS=127.0.0.1", "SYNCWAVE_REPOSITORY_CONFIG=" + reposYAML, "SYNCWAVE_REGISTRY_CA_FILE=" + ca}

	app, env := depApp(t, "redis", "19.x.x", srv.URL+"/charts")
	out, errOut, code := runHost(t, append(env, common...), app, "generate")
	want := "repository index " + srv.URL + "/charts/index.yaml: larger than 5.3 MiB, the limit of a download"
	if code != 1 || out != "" || !strings.Contains(errOut, want) {
		t.Errorf("index: exit %d, stdout %q, stderr %q; want %q", code, out, errOut, want)
	}

	app, env = depApp(t, "redis", "0.x.x", "oci://"+host+"/charts")
	out, errOut, code = runHost(t, append(env, common...), app, "generate")
	want = "tag list https://" + host + "/v2/charts/redis/tags/list: more than 50 pages"
	if code != 1 || out != "" || !strings.Contains(errOut, want) {
		t.Errorf("tag list: exit %d, stdout %q, stderr %q; want %q", code, out, errOut, want)
	}
}

// TestConnectPolicy: generate (the sidecar) reaches no loopback address and
// no plain http until the operator allows them; an allow-list entry that
// is not a host or a network is an error naming the variable.
func TestConnectPolicy(t *testing.T) {
	srv, ca, hits := silentServer(t)
	host := srv.Listener.Addr().String()
	cases := []struct {
		name, repository string
		env              []string
		want             string
	}{
		{"loopback https", srv.URL + "/charts", nil, "connect to 127.0.0.1: a loopback address, refused by the sidecar's connect policy"},
		{"loopback oci", "oci://" + host + "/charts", []string{"SYNCWAVE_REGISTRY_CA_FILE=" + ca}, "connect to 127.0.0.1: a loopback address, refused by the sidecar's connect policy"},
		{"link-local", "https://169.254.169.254/latest", nil, "connect to 169.254.169.254: a link-local address, refused"},
		{"private", "https://10.0.0.1/charts", nil, "connect to 10.0.0.1: a private address, refused"},
		{"cgnat", "https://100.64.0.1/charts", nil, "connect to 100.64.0.1: a non-public address, refused"},
		{"ipv6 loopback", "https://[::1]:1/charts", nil, "connect to ::1: a loopback address, refused"},
		{"ipv4-mapped", "https://[::ffff:127.0.0.1]:1/charts", nil, "a loopback address, refused"},
		{"plain http", "http://example.invalid/charts", nil, "plain http to example.invalid is refused by the sidecar's connect policy"},
		{"network allowed, http still refused", "http://" + host + "/charts", []string{"SYNCWAVE_ALLOW_NETWORKS=127.0.0.0/8"}, "plain http to " + host + " is refused"},
		{"fragment", srv.URL + "/charts#", nil, "a query or fragment in the URL"},
		{"query", srv.URL + "/charts?x=#", nil, "a query or fragment in the URL"},
		{"bad allow-list", srv.URL + "/charts", []string{"SYNCWAVE_ALLOW_NETWORKS=10.0.0.0/33"}, `SYNCWAVE_ALLOW_NETWORKS: "10.0.0.0/33": expected a CIDR`},
		{"bad host entry", srv.URL + "/charts", []string{"SYNCWAVE_ALLOW_HOSTS=https://charts.internal"}, `SYNCWAVE_ALLOW_HOSTS: "https://charts.internal": expected host or host:port`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			hits.Store(0)
			app, env := depApp(t, "redis", "19.x.x", c.repository)
			out, errOut, code := runHost(t, append(append(env, "SYNCWAVE_TIMEOUT=5s"), c.env...), app, "generate")
			if code != 1 || out != "" || !strings.Contains(errOut, c.want) {
				t.Errorf("exit %d, stdout %q, stderr %q; want %q", code, out, errOut, c.want)
			}
			if hits.Load() != 0 {
				t.Errorf("%d requests reached the server", hits.Load())
			}
		})
	}
	// allowed by network: the request is made (and the silent server
	// holds it until the deadline)
	app, env := depApp(t, "redis", "19.x.x", "oci://"+host+"/charts")
	_, errOut, code := runHost(t, append(env, "SYNCWAVE_TIMEOUT=1s", "SYNCWAVE_ALLOW_NETWORKS=127.0.0.1", "SYNCWAVE_REGISTRY_CA_FILE="+ca), app, "generate")
	if code != 1 || hits.Load() == 0 || !strings.Contains(errOut, "no complete answer from "+host) {
		t.Errorf("allowed network: exit %d, %d requests, stderr %q", code, hits.Load(), errOut)
	}
}

// rawStatusServer answers every request with a status line of its own
// reason phrase and a body, both of which must not reach a message; it
// records whether a request carried an Authorization header.
func rawStatusServer(t *testing.T, status, body string) (*httptest.Server, string, *atomic.Int64) {
	t.Helper()
	var authSeen atomic.Int64
	srv, ca := tlsServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "" {
			authSeen.Add(1)
		}
		conn, buf, err := w.(http.Hijacker).Hijack()
		if err != nil {
			return
		}
		defer conn.Close()
		fmt.Fprintf(buf, "HTTP/1.1 %s\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s", status, len(body), body)
		buf.Flush()
	}))
	return srv, ca, &authSeen
}
