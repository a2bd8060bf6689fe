package cmpserver

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/argoproj/argo-cd/v2/pkg/apis/application/v1alpha1"
)

// benchRepo writes a repository whose application apps/shop holds n
// manifests (ConfigMaps, Services and Deployments, 10 to a file) and a
// syncwave.yaml with a directory source and three ordered groups.
func benchRepo(b *testing.B, n int) string {
	b.Helper()
	repo := b.TempDir()
	app := filepath.Join(repo, "apps", "shop")
	if err := os.MkdirAll(app, 0o755); err != nil {
		b.Fatal(err)
	}
	var f strings.Builder
	for i := 0; i < n; i++ {
		switch i % 3 {
		case 0:
			fmt.Fprintf(&f, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: config-%d\n  labels: {app: shop}\ndata:\n  key: value-%d\n", i, i)
		case 1:
			fmt.Fprintf(&f, "apiVersion: v1\nkind: Service\nmetadata:\n  name: svc-%d\nspec:\n  selector: {app: shop}\n  ports: [{port: 80, targetPort: 8080}]\n", i)
		case 2:
			fmt.Fprintf(&f, "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web-%d\nspec:\n  replicas: 2\n  selector: {matchLabels: {app: web-%d}}\n  template:\n    metadata: {labels: {app: web-%d}}\n    spec:\n      containers: [{name: web, image: nginx:1.27, ports: [{containerPort: 8080}]}]\n", i, i, i)
		}
		if i%10 == 9 || i == n-1 {
			if err := os.WriteFile(filepath.Join(app, fmt.Sprintf("m%03d.yaml", i/10)), []byte(f.String()), 0o644); err != nil {
				b.Fatal(err)
			}
			f.Reset()
		} else {
			f.WriteString("---\n")
		}
	}
	order := `apiVersion: syncwave.io/v1alpha1
kind: SyncOrder
sources: [{directory: {recurse: true}}]
groups:
  - name: config
    select: [{kind: ConfigMap}]
  - name: services
    select: [{kind: Service}]
    after: [config]
  - name: workloads
    select: [{kind: Deployment}]
    after: [services]
`
	if err := os.WriteFile(filepath.Join(app, "syncwave.yaml"), []byte(order), 0o644); err != nil {
		b.Fatal(err)
	}
	return repo
}

// BenchmarkGenerate measures one manifest generation of the same 200
// manifests by the repo-server: through the cmp-server and syncwave, and
// with Argo CD's native directory source.
func BenchmarkGenerate(b *testing.B) {
	const n = 200
	repo := benchRepo(b, n)
	for _, c := range []struct {
		name string
		src  v1alpha1.ApplicationSource
		want int
	}{
		// native: syncwave.yaml is one more object to Argo CD
		{"native", v1alpha1.ApplicationSource{Path: "apps/shop", Directory: &v1alpha1.ApplicationSourceDirectory{Recurse: true}}, n + 1},
		{"plugin", v1alpha1.ApplicationSource{Path: "apps/shop", Plugin: &v1alpha1.ApplicationSourcePlugin{Name: pluginName}}, n},
		// the floor of any sidecar plugin: init /bin/true, generate prints the files
		{"floor", v1alpha1.ApplicationSource{Path: "apps/shop", Plugin: &v1alpha1.ApplicationSourcePlugin{Name: floorPlugin}}, n},
	} {
		b.Run(c.name, func(b *testing.B) {
			a := app{name: "shop", namespace: "shop", kubeVersion: "1.29", source: c.src}
			for i := 0; i < b.N; i++ {
				objs, err := generate(context.Background(), repo, a)
				if err != nil {
					b.Fatal(err)
				}
				if len(objs) != c.want {
					b.Fatalf("%d manifests, want %d", len(objs), c.want)
				}
			}
		})
	}
}
