package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestInitThenRender runs `syncwave init` against a chart repository
// served on 127.0.0.1, then `syncwave render`, which needs no network.
func TestInitThenRender(t *testing.T) {
	srv, hits := redisRepo(t, "", "", "")

	app := t.TempDir()
	os.MkdirAll(filepath.Join(app, "templates"), 0o755)
	os.WriteFile(filepath.Join(app, "Chart.yaml"), []byte(fmt.Sprintf("apiVersion: v2\nname: shop\nversion: 1.0.0\ndependencies:\n  - {name: redis, version: 19.x.x, repository: %s}\n", srv.URL)), 0o644)

	out, errOut, code := run(t, app, "render", "--repo-root", ".", ".")
	if code != 1 || out != "" || !strings.Contains(errOut, "missing in charts/: redis; run `syncwave init .`") || hits.Load() != 0 {
		t.Fatalf("render before init: exit %d, stderr %q, %d requests", code, errOut, hits.Load())
	}
	out, errOut, code = run(t, app, "init", "--repo-root", ".", ".")
	if code != 0 || out != "" || errOut != "Downloaded redis 19.2.0 into charts/redis-19.2.0.tgz\n" {
		t.Fatalf("init: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	hits.Store(0)
	out, errOut, code = run(t, app, "render", "--repo-root", ".", "--app-name", "team_web", ".")
	if code != 0 || !strings.Contains(out, "name: web-redis") || hits.Load() != 0 {
		t.Fatalf("render after init: exit %d, stderr %q, %d requests\n%s", code, errOut, hits.Load(), out)
	}
}

func TestHelmFlags(t *testing.T) {
	dir, _ := filepath.Abs("testdata/helm-capabilities/app")
	out, errOut, code := run(t, dir, "render", "--repo-root", ".", "--api-versions", "a.io/v1,monitoring.coreos.com/v1", "--api-versions", "monitoring.coreos.com/v1/ServiceMonitor", "--kube-version", "1.31.2", "--release-name", "rel", "--namespace", "ns", ".")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{`kube: "v1.31.2"`, `monitoring: "true"`, `servicemonitor: "true"`, "release: rel", "namespace: ns"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	_, errOut, code = run(t, dir, "render", "--repo-root", ".", "--kube-version", "latest", ".")
	if code != 1 || !strings.Contains(errOut, `kube version "latest": expected MAJOR.MINOR`) {
		t.Errorf("bad kube version: exit %d %s", code, errOut)
	}
	_, errOut, code = run(t, dir, "render", "--repo-root", ".", "--release-name", "Not_Valid", ".")
	if code != 1 || !strings.Contains(errOut, `release name "Not_Valid"`) {
		t.Errorf("bad release name: exit %d %s", code, errOut)
	}
}

// TestGenerateFetchesMissing: the plugin's generate (plugin.yaml has no
// init command) downloads a declared dependency that is not vendored, with
// the sidecar's credentials, then renders it; once it is in charts/, a
// generation makes no request. A chart repository that cannot serve it
// fails the generation with a message naming the dependency, and nothing
// is printed on stdout.
func TestGenerateFetchesMissing(t *testing.T) {
	const user, pass = "reader", "Secr3t-not-for-logs"
	srv, hits := redisRepo(t, "", user, pass)

	repo := t.TempDir()
	app := filepath.Join(repo, "apps", "shop")
	os.MkdirAll(filepath.Join(app, "templates"), 0o755)
	os.WriteFile(filepath.Join(app, "Chart.yaml"), []byte(fmt.Sprintf("apiVersion: v2\nname: shop\nversion: 1.0.0\ndependencies:\n  - {name: redis, version: 19.x.x, repository: %s}\n", srv.URL)), 0o644)
	env := []string{"ARGOCD_APP_NAME=web", "ARGOCD_APP_NAMESPACE=shop", "ARGOCD_APP_SOURCE_PATH=apps/shop"}
	creds := []string{"SYNCWAVE_REPO_URL=" + srv.URL, "SYNCWAVE_REPO_USERNAME=" + user, "SYNCWAVE_REPO_PASSWORD=" + pass}

	// the repository is plain http on 127.0.0.1: refused by the sidecar's
	// connect policy until the operator allows the host
	out, errOut, code := runHost(t, append(env, creds...), app, "generate")
	if code != 1 || out != "" || !strings.Contains(errOut, "plain http to "+srv.Listener.Addr().String()+" is refused by the sidecar's connect policy") || hits.Load() != 0 {
		t.Fatalf("generate without the allow-list: exit %d, stdout %q, stderr %q, %d requests", code, out, errOut, hits.Load())
	}
	env = append(env, "SYNCWAVE_ALLOW_HOSTS=127.0.0.1")

	// without the sidecar's credentials: the download fails, named
	out, errOut, code = runHost(t, env, app, "generate")
	if code != 1 || out != "" || !strings.Contains(errOut, "generate apps/shop: downloading the chart dependencies: helm chart apps/shop: dependency redis:") || !strings.Contains(errOut, "401 Unauthorized") {
		t.Fatalf("generate without credentials: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	// with them: downloaded, then rendered
	out, errOut, code = runHost(t, append(env, creds...), app, "generate")
	if code != 0 || !strings.Contains(out, "name: web-redis") || errOut != "Downloaded redis 19.2.0 into apps/shop/charts/redis-19.2.0.tgz\n" {
		t.Fatalf("generate: exit %d, stderr %q\n%s", code, errOut, out)
	}
	if strings.Contains(errOut, pass) {
		t.Errorf("the password reached stderr")
	}
	// vendored now: no request
	hits.Store(0)
	out2, errOut, code := runHost(t, append(env, creds...), app, "generate")
	if code != 0 || out2 != out || errOut != "" || hits.Load() != 0 {
		t.Fatalf("generate again: exit %d, stderr %q, %d requests, same output %v", code, errOut, hits.Load(), out2 == out)
	}
}
