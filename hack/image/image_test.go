package main

import (
	"archive/tar"
	"context"
	"debug/elf"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"

	_ "github.com/syncwave/syncwave/internal/golden"
)

const repoRoot = "../.."

// TestDockerfileFromSpec: the committed Dockerfile is what the spec
// generates, so the Dockerfile and `make image` cannot drift apart.
func TestDockerfileFromSpec(t *testing.T) {
	gv, err := goVersion(repoRoot)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(repoRoot, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != spec.dockerfile(gv) {
		t.Error("Dockerfile is stale: run go run ./hack/image -dockerfile Dockerfile")
	}
}

// TestImage builds the image for both platforms into a layout, opens it as
// a registry client would and checks each image's config, its file list
// and modes, the binaries' architecture and static linking, and runs the
// amd64 binary from the layer.
func TestImage(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: builds syncwave twice")
	}
	out := filepath.Join(t.TempDir(), "image")
	res, err := build(context.Background(), repoRoot, out, "v9.8.7-test", "abc123", spec.Platforms)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		t.Logf("%s: layer %d bytes compressed, %d uncompressed", r.Platform, r.Compressed, r.Uncompressed)
	}
	lp, err := layout.FromPath(out)
	if err != nil {
		t.Fatal(err)
	}
	top, err := lp.ImageIndex()
	if err != nil {
		t.Fatal(err)
	}
	im, err := top.IndexManifest()
	if err != nil || len(im.Manifests) != 1 || im.Manifests[0].Annotations["org.opencontainers.image.ref.name"] != "v9.8.7-test" {
		t.Fatalf("layout index: %+v, %v", im, err)
	}
	idx, err := top.ImageIndex(im.Manifests[0].Digest)
	if err != nil {
		t.Fatal(err)
	}
	m, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	var platforms []string
	for _, d := range m.Manifests {
		platforms = append(platforms, d.Platform.OS+"/"+d.Platform.Architecture)
		img, err := idx.Image(d.Digest)
		if err != nil {
			t.Fatal(err)
		}
		checkImage(t, img, d.Platform.Architecture)
	}
	if !reflect.DeepEqual(platforms, []string{"linux/amd64", "linux/arm64"}) {
		t.Errorf("platforms %v", platforms)
	}
}

func checkImage(t *testing.T, img v1.Image, arch string) {
	t.Helper()
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	c := cf.Config
	if cf.OS != "linux" || cf.Architecture != arch || c.User != "999:999" ||
		!reflect.DeepEqual(c.Entrypoint, []string{"/var/run/argocd/argocd-cmp-server"}) || len(c.Cmd) != 0 ||
		!reflect.DeepEqual(c.Env, []string{"PATH=/usr/local/bin", "TMPDIR=/tmp"}) || c.Labels["org.opencontainers.image.version"] != "v9.8.7-test" {
		t.Errorf("%s: config %+v", arch, cf)
	}
	layers, err := img.Layers()
	if err != nil || len(layers) != 1 {
		t.Fatalf("%s: %d layers, %v", arch, len(layers), err)
	}
	rc, err := layers[0].Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	files := map[string]int64{}
	var bin string
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Uid != 0 || h.Gid != 0 {
			t.Errorf("%s: %s owned by %d:%d", arch, h.Name, h.Uid, h.Gid)
		}
		files[h.Name] = h.Mode
		data, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		switch "/" + h.Name {
		case "/usr/local/bin/syncwave":
			bin = filepath.Join(t.TempDir(), "syncwave")
			if err := os.WriteFile(bin, data, 0o755); err != nil {
				t.Fatal(err)
			}
		case "/home/argocd/cmp-server/config/plugin.yaml":
			want, _ := os.ReadFile(filepath.Join(repoRoot, "plugin.yaml"))
			if string(data) != string(want) {
				t.Errorf("%s: plugin.yaml in the image differs from the repository's", arch)
			}
		case uiBundle:
			want, _ := os.ReadFile(filepath.Join(repoRoot, "examples", "install", "ui", "extension-syncwave.js"))
			if len(want) == 0 || string(data) != string(want) {
				t.Errorf("%s: the UI bundle in the image differs from the repository's", arch)
			}
		case caFile:
			if !strings.Contains(string(data), "BEGIN CERTIFICATE") {
				t.Errorf("%s: no certificates in %s", arch, caFile)
			}
		}
	}
	want := map[string]int64{
		"etc/": 0o755, "etc/ssl/": 0o755, "etc/ssl/certs/": 0o755, "etc/ssl/certs/ca-certificates.crt": 0o644,
		"usr/": 0o755, "usr/local/": 0o755, "usr/local/bin/": 0o755, "usr/local/bin/syncwave": 0o755,
		"home/": 0o755, "home/argocd/": 0o755, "home/argocd/cmp-server/": 0o755, "home/argocd/cmp-server/config/": 0o755,
		"home/argocd/cmp-server/config/plugin.yaml": 0o644,
		"home/argocd/ui/": 0o755, "home/argocd/ui/resources/": 0o755, "home/argocd/ui/resources/extension-syncwave.js": 0o644,
	}
	if !reflect.DeepEqual(files, want) {
		names := slices.Sorted(func(yield func(string) bool) {
			for k := range files {
				if !yield(k) {
					return
				}
			}
		})
		t.Errorf("%s: files %v (no shell, nothing else expected)", arch, names)
	}
	if bin == "" {
		return
	}
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	wantMachine := map[string]elf.Machine{"amd64": elf.EM_X86_64, "arm64": elf.EM_AARCH64}[arch]
	if f.Machine != wantMachine {
		t.Errorf("%s: binary for %v", arch, f.Machine)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Errorf("%s: the binary is dynamically linked", arch)
		}
	}
	if arch == "amd64" && runtime.GOOS == "linux" && runtime.GOARCH == "amd64" {
		out, err := exec.Command(bin, "version").CombinedOutput()
		if err != nil || !strings.HasPrefix(string(out), "syncwave v9.8.7-test\ncommit: abc123\n") {
			t.Errorf("syncwave version from the image: %v\n%s", err, out)
		}
	}
}
