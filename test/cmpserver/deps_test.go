package cmpserver

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/argoproj/argo-cd/v2/pkg/apis/application/v1alpha1"

	"github.com/syncwave/syncwave/test/internal/chartpack"
)

// TestDependencyFetch: plugin.yaml runs no init command, yet a chart whose
// Chart.yaml declares a dependency that is not vendored gets it, through
// the real cmp-server, from its chart repository (served here on
// 127.0.0.1), at every generation (the sidecar unpacks a fresh copy of the
// repository each time); a chart that vendors it makes no request.
func TestDependencyFetch(t *testing.T) {
	// The repository is plain http on 127.0.0.1: the operator allows it,
	// as for an in-cluster ChartMuseum (the cmp-server passes its
	// environment to the plugin's commands).
	t.Setenv("SYNCWAVE_ALLOW_HOSTS", "127.0.0.1")
	archive := chartpack.Archive(t, "redis", "19.2.0", map[string]string{
		"cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-redis\n",
	})
	sum := sha256.Sum256(archive)
	index := fmt.Sprintf("apiVersion: v1\nentries:\n  redis:\n  - name: redis\n    version: 19.2.0\n    urls: [redis-19.2.0.tgz]\n    digest: %s\n", hex.EncodeToString(sum[:]))
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		switch r.URL.Path {
		case "/charts/index.yaml":
			w.Write([]byte(index))
		case "/charts/redis-19.2.0.tgz":
			w.Write(archive)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()

	repo := t.TempDir()
	chartYAML := fmt.Sprintf("apiVersion: v2\nname: shop\nversion: 1.0.0\ndependencies:\n  - {name: redis, version: 19.x.x, repository: %s/charts}\n", srv.URL)
	own := "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-shop\n"
	for _, dir := range []string{"apps/shop", "apps/vendored"} {
		d := filepath.Join(repo, filepath.FromSlash(dir))
		if err := os.MkdirAll(filepath.Join(d, "templates"), 0o755); err != nil {
			t.Fatal(err)
		}
		writeTestFile(t, filepath.Join(d, "Chart.yaml"), chartYAML)
		writeTestFile(t, filepath.Join(d, "templates", "cm.yaml"), own)
	}
	if err := os.MkdirAll(filepath.Join(repo, "apps", "vendored", "charts"), 0o755); err != nil {
		t.Fatal(err)
	}
	writeTestFile(t, filepath.Join(repo, "apps", "vendored", "charts", "redis-19.2.0.tgz"), string(archive))

	for _, c := range []struct {
		path      string
		requested bool
	}{
		{"apps/shop", true},
		{"apps/shop", true}, // a fresh copy again: fetched again
		{"apps/vendored", false},
	} {
		hits.Store(0)
		got, err := generate(testContext(t), repo, app{
			name: "web", namespace: "shop", kubeVersion: "1.29",
			source: v1alpha1.ApplicationSource{Path: c.path, Plugin: &v1alpha1.ApplicationSourcePlugin{Name: pluginName}},
		})
		if err != nil {
			t.Fatalf("%s: %v", c.path, err)
		}
		find(t, got, "ConfigMap", "web-shop")
		find(t, got, "ConfigMap", "web-redis")
		if n := hits.Load(); (n > 0) != c.requested {
			t.Errorf("%s: %d requests to the chart repository, want requests: %v", c.path, n, c.requested)
		}
	}
	// the download went into the sidecar's copy, not the repository
	if _, err := os.Stat(filepath.Join(repo, "apps", "shop", "charts")); !os.IsNotExist(err) {
		t.Errorf("apps/shop/charts in the repository: %v", err)
	}
}

func writeTestFile(t *testing.T, file, s string) {
	t.Helper()
	if err := os.WriteFile(file, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}
