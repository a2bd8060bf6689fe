//go:build e2e

package e2e

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"k8s.io/apimachinery/pkg/watch"

	"github.com/syncwave/syncwave/test/internal/chartpack"
)

// TestDependencyFetch: a chart whose Chart.yaml declares a dependency that is
// not vendored under charts/. plugin.yaml has no init command: the sidecar's
// syncwave generate downloads the dependency from its chart repository
// (served by this test over HTTP on 127.0.0.1, inside the run's network
// namespace) and renders it, and the Application syncs the subchart's
// resources with the chart's own, in the planned order.
func TestDependencyFetch(t *testing.T) {
	archive := chartpack.Archive(t, "cache", "1.2.0", map[string]string{
		"configmap.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-cache\ndata:\n  url: redis://{{ .Release.Name }}-cache:6379\n",
		"service.yaml":   "apiVersion: v1\nkind: Service\nmetadata:\n  name: {{ .Release.Name }}-cache\nspec:\n  selector: {app: cache}\n  ports: [{port: 6379}]\n",
	})
	sum := sha256.Sum256(archive)
	index := fmt.Sprintf("apiVersion: v1\nentries:\n  cache:\n  - name: cache\n    version: 1.2.0\n    urls: [cache-1.2.0.tgz]\n    digest: %s\n", hex.EncodeToString(sum[:]))
	var hits, downloads atomic.Int32
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		switch r.URL.Path {
		case "/charts/index.yaml":
			w.Write([]byte(index))
		case "/charts/cache-1.2.0.tgz":
			downloads.Add(1)
			w.Write(archive)
		default:
			http.NotFound(w, r)
		}
	})}
	go srv.Serve(lis)
	defer srv.Close()

	const path = "deps/shop"
	repo.write(t, path+"/Chart.yaml", fmt.Sprintf(`apiVersion: v2
name: shop
version: 1.0.0
dependencies:
  - name: cache
    version: 1.x.x
    repository: http://%s/charts
`, lis.Addr()))
	repo.write(t, path+"/templates/deployment.yaml", `apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}-web
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - name: web
          image: nginx:1.27
          envFrom: [{configMapRef: {name: {{ .Release.Name }}-cache}}]
`)
	repo.write(t, path+"/syncwave.yaml", `apiVersion: syncwave.io/v1alpha1
kind: SyncOrder
groups:
  - name: cache
    select: [{kind: ConfigMap}, {kind: Service}]
  - name: web
    select: [{kind: Deployment}]
    after: [cache]
`)
	rev := repo.commit(t, path)
	if files, err := repo.git("ls-tree", "-r", "--name-only", "HEAD", path); err != nil {
		t.Fatal(err)
	} else if strings.Contains(files, "/charts/") {
		t.Fatalf("the dependency is vendored in the repository:\n%s", files)
	}

	// The plan of the same chart with the dependency vendored, in a copy.
	vendored := filepath.Join(t.TempDir(), "shop")
	copyTree(t, repo.abs(path), vendored)
	if err := os.MkdirAll(filepath.Join(vendored, "charts"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(vendored, "charts", "cache-1.2.0.tgz"), archive, 0o644); err != nil {
		t.Fatal(err)
	}
	a := appSpec{name: "deps", path: path, destNS: "deps"}
	p := planFor(t, vendored, a.destNS, "--app-name", a.name)
	cache := []objKey{{"", "ConfigMap", "deps", "deps-cache"}, {"", "Service", "deps", "deps-cache"}}
	web := objKey{"apps", "Deployment", "deps", "deps-web"}
	for _, k := range append(cache, web) {
		if _, ok := p.byKey[k]; !ok {
			t.Fatalf("the plan has no %s", k)
		}
	}

	hits.Store(0)
	downloads.Store(0)
	evs := syncFirst(t, a, rev, p)
	if downloads.Load() == 0 {
		t.Errorf("the chart repository served the dependency %d times (%d requests): it did not come from there", downloads.Load(), hits.Load())
	}
	t.Logf("chart repository: %d requests, %d downloads of cache-1.2.0.tgz", hits.Load(), downloads.Load())
	ws := writes(evs, p, nil)
	w, ok := first(ws, watch.Added, web)
	if !ok {
		t.Fatalf("%s was never created", web)
	}
	for _, k := range cache {
		c, ok := first(ws, watch.Added, k)
		switch {
		case !ok:
			t.Errorf("%s (from the fetched subchart) was never created", k)
		case c.rv > w.rv:
			t.Errorf("%s created at rv %d, after %s (rv %d)", k, c.rv, web, w.rv)
		}
	}
}

// copyTree copies the directory src to dst.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.Walk(src, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		out := filepath.Join(dst, rel)
		if info.IsDir() {
			return os.MkdirAll(out, 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(out, b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}
