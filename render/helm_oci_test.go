package render

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	ggcr "github.com/google/go-containerregistry/pkg/registry"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/registry"
)

// ociRegistry is a real OCI registry (go-containerregistry's) served over
// TLS on 127.0.0.1, optionally behind basic authentication, holding charts
// pushed with Helm's own registry client.
type ociRegistry struct {
	srv  *httptest.Server
	host string
}

const ociUser, ociPassword = "robot", "s3cret-Passw0rd"

func newOCIRegistry(t *testing.T, withAuth bool) *ociRegistry {
	t.Helper()
	h := ggcr.New(ggcr.Logger(log.New(io.Discard, "", 0)))
	if withAuth {
		inner := h
		h = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if u, p, ok := r.BasicAuth(); !ok || u != ociUser || p != ociPassword {
				w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
				http.Error(w, `{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}`, http.StatusUnauthorized)
				return
			}
			inner.ServeHTTP(w, r)
		})
	}
	srv := httptest.NewTLSServer(h)
	t.Cleanup(srv.Close)
	r := &ociRegistry{srv: srv, host: strings.TrimPrefix(srv.URL, "https://")}
	opts := []registry.ClientOption{registry.ClientOptHTTPClient(srv.Client()), registry.ClientOptCredentialsFile(os.DevNull)}
	if withAuth {
		opts = append(opts, registry.ClientOptBasicAuth(ociUser, ociPassword))
	}
	c, err := registry.NewClient(opts...)
	must(t, err)
	tmp := t.TempDir()
	for _, ch := range []struct{ name, version string }{{"redis", "19.0.1"}, {"redis", "19.2.0"}, {"redis", "20.0.0"}, {"postgresql", "15.5.0"}} {
		p, err := chartutil.Save(&chart.Chart{
			Metadata: &chart.Metadata{APIVersion: "v2", Name: ch.name, Version: ch.version},
			Templates: []*chart.File{{Name: "templates/cm.yaml", Data: []byte(fmt.Sprintf(
				"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-%s\n", ch.name))}},
		}, tmp)
		must(t, err)
		data, err := os.ReadFile(p)
		must(t, err)
		if _, err := c.Push(data, r.host+"/charts/"+ch.name+":"+ch.version); err != nil {
			t.Fatalf("push %s %s: %v", ch.name, ch.version, err)
		}
	}
	return r
}

// registryConfig writes a credentials file in the format of `helm registry
// login` for host.
func registryConfig(t *testing.T, host, user, password string) string {
	t.Helper()
	b, err := json.Marshal(map[string]any{"auths": map[string]any{host: map[string]string{"auth": base64.StdEncoding.EncodeToString([]byte(user + ":" + password))}}})
	must(t, err)
	f := filepath.Join(t.TempDir(), "config.json")
	must(t, os.WriteFile(f, b, 0o600))
	return f
}

func TestFetchOCIDependencies(t *testing.T) {
	reg := newOCIRegistry(t, false)
	repo := newChartRepo(t)
	dir := t.TempDir()
	// a version range resolved from the tags, an alias with a condition and
	// tags (downloaded all the same, as helm dependency build does: the
	// condition is decided when rendering), and a chart repository dependency.
	root := writeChart(t, dir, `apiVersion: v2
name: app
version: 1.0.0
dependencies:
  - {name: redis, version: "~19.0.0", repository: "oci://`+reg.host+`/charts"}
  - {name: postgresql, version: "15.x", repository: "oci://`+reg.host+`/charts/", alias: db, condition: db.enabled, tags: [database]}
  - {name: redis, version: "20.0.0", repository: "`+repo.srv.URL+`", alias: cache}
`, nil)
	got, err := FetchDependencies(context.Background(), root, "app", FetchOptions{Client: reg.srv.Client()})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, d := range got {
		names = append(names, d.Name+" "+d.Version+" "+d.File)
	}
	want := "redis 19.0.1 app/charts/redis-19.0.1.tgz|postgresql 15.5.0 app/charts/postgresql-15.5.0.tgz|redis 20.0.0 app/charts/redis-20.0.0.tgz"
	if strings.Join(names, "|") != want {
		t.Errorf("downloaded %q, want %q", strings.Join(names, "|"), want)
	}
	// the chart renders with them: the alias and the condition apply
	out, err := renderHelmForTest(t, root, "app", map[string]any{"db": map[string]any{"enabled": false}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "name: app-redis") || strings.Contains(out, "app-postgresql") {
		t.Errorf("rendered:\n%s", out)
	}
}

func TestFetchOCIDependenciesLock(t *testing.T) {
	reg := newOCIRegistry(t, false)
	req := []*chart.Dependency{{Name: "redis", Version: "19.x", Repository: "oci://" + reg.host + "/charts"}}
	chartYAML := "apiVersion: v2\nname: app\nversion: 1.0.0\ndependencies:\n  - {name: redis, version: 19.x, repository: \"oci://" + reg.host + "/charts\"}\n"
	lockYAML := func(version, digest string) string {
		return "dependencies:\n- name: redis\n  repository: oci://" + reg.host + "/charts\n  version: " + version + "\ndigest: " + digest + "\ngenerated: \"2026-01-01T00:00:00Z\"\n"
	}
	for _, tc := range []struct {
		name, version, digest, err, got string
	}{
		{name: "locked", version: "19.0.1", got: "19.0.1"},
		{name: "locked tag missing", version: "19.9.9", err: "dependency redis (oci://" + reg.host + "/charts): version 19.9.9 (from Chart.lock): " + reg.host + "/charts/redis has no such tag"},
		{name: "wrong lock digest", version: "19.0.1", digest: "sha256:" + strings.Repeat("0", 64), err: "Chart.lock is out of sync with the dependencies in Chart.yaml"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()

			digest := tc.digest
			if digest == "" {
				digest = digestOf(t, req, []*chart.Dependency{{Name: "redis", Version: tc.version, Repository: "oci://" + reg.host + "/charts"}})
			}
			dir := t.TempDir()
			root := writeChart(t, dir, chartYAML, map[string]string{"Chart.lock": lockYAML(tc.version, digest)})
			got, err := FetchDependencies(context.Background(), root, "app", FetchOptions{Client: reg.srv.Client()})
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil || len(got) != 1 || got[0].Version != tc.got {
				t.Fatalf("got %+v, %v", got, err)
			}
		})
	}
}

func TestFetchOCIDependenciesErrors(t *testing.T) {
	open := newOCIRegistry(t, false)
	locked := newOCIRegistry(t, true)
	down := httptest.NewTLSServer(http.NotFoundHandler())
	downHost := strings.TrimPrefix(down.URL, "https://")
	down.Close()
	for _, tc := range []struct {
		name, host, version, config, err string
		ok                               bool
	}{
		{name: "missing tag", host: open.host, version: "21.x", err: `dependency redis (oci://` + open.host + `/charts): version "21.x": no tag of ` + open.host + `/charts/redis matches (tags: 20.0.0, 19.2.0, 19.0.1)`},
		{name: "missing chart", host: open.host + "/other", version: "1.x", err: "dependency redis (oci://" + open.host + "/other/charts): list the tags of " + open.host + "/other/charts/redis: not found in registry " + open.host},
		{name: "auth required", host: locked.host, version: "19.x", err: "dependency redis (oci://" + locked.host + "/charts): list the tags of " + locked.host + "/charts/redis: registry " + locked.host + " requires credentials and none are configured for it (set SYNCWAVE_REGISTRY_CONFIG"},
		{name: "auth refused", host: locked.host, version: "19.x", config: "wrong-password", err: "registry " + locked.host + " refused the credentials of the entry for " + locked.host + " in "},
		{name: "auth accepted", host: locked.host, version: "19.x", config: ociPassword, ok: true},
		{name: "registry down", host: downHost, version: "19.x", err: "dependency redis (oci://" + downHost + "/charts): list the tags of " + downHost + "/charts/redis:"},
		{name: "missing config file", host: open.host, version: "19.x", config: "-", err: "registry credentials file"},
		{name: "environment accepted", host: locked.host, version: "19.x", config: "env:" + ociPassword, ok: true},
		{name: "environment refused", host: locked.host, version: "19.x", config: "env:wrong-password", err: "registry " + locked.host + " refused the credentials of SYNCWAVE_REPO_USERNAME/SYNCWAVE_REPO_PASSWORD (for SYNCWAVE_REPO_URL)"},
		{name: "environment for another host", host: locked.host, version: "19.x", config: "env-other:" + ociPassword, err: "requires credentials and none are configured for it (set SYNCWAVE_REGISTRY_CONFIG to a registry config file with an entry for " + locked.host + ", or set SYNCWAVE_REPO_URL=oci://" + locked.host},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			root := writeChart(t, dir, "apiVersion: v2\nname: app\nversion: 1.0.0\ndependencies:\n  - {name: redis, version: \""+tc.version+"\", repository: \"oci://"+tc.host+"/charts\"}\n", nil)
			o := FetchOptions{Client: open.srv.Client()}
			switch tc.config {
			case "":
			case "-":
				o.RegistryConfig = filepath.Join(dir, "no-such-config.json")
			default:
				if pass, ok := strings.CutPrefix(tc.config, "env:"); ok {
					o.Repositories = []*RepoCredential{envCred(t, "oci://"+locked.host, ociUser, pass)}
					tc.config = pass
					break
				}
				if pass, ok := strings.CutPrefix(tc.config, "env-other:"); ok {
					o.Repositories = []*RepoCredential{envCred(t, "oci://"+open.host, ociUser, pass)}
					tc.config = pass
					break
				}
				o.RegistryConfig = registryConfig(t, locked.host, ociUser, tc.config)
			}
			_, err := FetchDependencies(context.Background(), root, "app", o)
			if tc.ok {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Fatalf("error %v\nwant %q", err, tc.err)
			}
			if strings.Contains(err.Error(), tc.config) && tc.config != "" && tc.config != "-" {
				t.Errorf("the error shows the password: %v", err)
			}
			if entries, _ := os.ReadDir(filepath.Join(dir, "app", "charts")); len(entries) != 0 {
				t.Errorf("charts/ not empty after a failure: %v", entries)
			}
		})
	}
}

// renderHelmForTest renders the chart at dir (release "app") with values
// and returns the resources' names, one "name: N" line each.
func renderHelmForTest(t *testing.T, root *Root, dir string, values map[string]any) (string, error) {
	t.Helper()
	v, err := json.Marshal(values)
	must(t, err)
	rs, err := Helm(context.Background(), root, HelmOptions{Path: dir, ReleaseName: "app", Values: [][]byte{v}}, func(string) {})
	if err != nil {
		return "", err
	}
	var b strings.Builder
	for _, r := range rs {
		fmt.Fprintf(&b, "name: %s\n", r.Name)
	}
	return b.String(), nil
}

func envCred(t *testing.T, u, user, pass string) *RepoCredential {
	t.Helper()
	env := map[string]string{EnvRepoURL: u, EnvRepoUsername: user, EnvRepoPassword: pass}
	c, err := EnvRepoCredential(func(k string) string { return env[k] })
	must(t, err)
	return c
}

// TestFetchOCIExactVersionWithoutTags: an exact version is pulled by its
// tag without listing the tags, as Helm 4 does, so a credential that may
// pull but not list works; a range needs the list, and the refusal says
// so with the status only, not the registry's text.
func TestFetchOCIExactVersionWithoutTags(t *testing.T) {
	reg := newOCIRegistry(t, false)
	var lists atomic.Int64
	inner := reg.srv.Config.Handler
	reg.srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/tags/list") {
			lists.Add(1)
			http.Error(w, `{"errors":[{"code":"DENIED","message":"REGISTRY-TEXT pull only"}]}`, http.StatusForbidden)
			return
		}
		inner.ServeHTTP(w, r)
	})
	dir := t.TempDir()
	root := writeChart(t, dir, "apiVersion: v2\nname: app\nversion: 1.0.0\ndependencies:\n  - {name: redis, version: 19.2.0, repository: \"oci://"+reg.host+"/charts\"}\n", nil)
	got, err := FetchDependencies(context.Background(), root, "app", FetchOptions{Client: reg.srv.Client()})
	if err != nil || len(got) != 1 || got[0].Version != "19.2.0" || lists.Load() != 0 {
		t.Fatalf("exact version: %+v, %v, %d tag lists", got, err, lists.Load())
	}
	dir = t.TempDir()
	root = writeChart(t, dir, "apiVersion: v2\nname: app\nversion: 1.0.0\ndependencies:\n  - {name: redis, version: 19.x, repository: \"oci://"+reg.host+"/charts\"}\n", nil)
	_, err = FetchDependencies(context.Background(), root, "app", FetchOptions{Client: reg.srv.Client()})
	if err == nil || !strings.Contains(err.Error(), "list the tags of "+reg.host+"/charts/redis") || strings.Contains(err.Error(), "REGISTRY-TEXT") {
		t.Fatalf("range: %v", err)
	}
}
