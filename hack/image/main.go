// Command image builds the syncwave sidecar image that the Dockerfile
// describes, without a Docker daemon: an OCI image layout holding one index
// with an image per platform (linux/amd64 and linux/arm64 by default), each
// a single layer with the static binary, the CA certificates and
// plugin.yaml. Both come from spec.go. Usage (from the repository root):
//
//	go run ./hack/image -o bin/image -version v1.2.3 -commit $(git rev-parse HEAD)
//	go run ./hack/image -dockerfile Dockerfile   # regenerate the Dockerfile
//
// Push or load the layout with any OCI tool (crane, skopeo, podman: the
// oci: transport, or an oci-archive after tar -C bin/image -cf image.tar .).
package main

import (
	"archive/tar"
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

func main() {
	out := flag.String("o", "bin/image", "OCI image layout directory to write (replaced)")
	root := flag.String("root", ".", "repository root")
	version := flag.String("version", "dev", "syncwave version stamped into the binary and the image")
	commit := flag.String("commit", "unknown", "commit stamped into the binary and the image")
	platforms := flag.String("platforms", strings.Join(spec.Platforms, ","), "comma-separated os/arch list")
	dockerfile := flag.String("dockerfile", "", "write the Dockerfile generated from the spec to this file instead of building")
	flag.Parse()
	if err := run(*root, *out, *version, *commit, *platforms, *dockerfile); err != nil {
		fmt.Fprintf(os.Stderr, "image: %v\n", err)
		os.Exit(1)
	}
}

func run(root, out, version, commit, platforms, dockerfile string) error {
	if dockerfile != "" {
		gv, err := goVersion(root)
		if err != nil {
			return err
		}
		return os.WriteFile(dockerfile, []byte(spec.dockerfile(gv)), 0o644)
	}
	res, err := build(context.Background(), root, out, version, commit, strings.Split(platforms, ","))
	if err != nil {
		return err
	}
	for _, r := range res {
		fmt.Printf("%s: %s, layer %d bytes compressed, %d bytes uncompressed\n", r.Platform, r.Digest, r.Compressed, r.Uncompressed)
	}
	fmt.Printf("wrote the OCI image layout %s\n", out)
	return nil
}

// built describes one platform's image.
type built struct {
	Platform                 string
	Digest                   v1.Hash
	Compressed, Uncompressed int64
}

// build writes the layout at out and returns what it holds per platform.
func build(ctx context.Context, root, out, version, commit string, platforms []string) ([]built, error) {
	created := time.Unix(0, 0).UTC()
	if s := os.Getenv("SOURCE_DATE_EPOCH"); s != "" {
		sec, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("SOURCE_DATE_EPOCH %q: %w", s, err)
		}
		created = time.Unix(sec, 0).UTC()
	}
	tmp, err := os.MkdirTemp("", "syncwave-image-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)

	var idx v1.ImageIndex = empty.Index
	idx = mutate.IndexMediaType(idx, types.OCIImageIndex)
	var res []built
	for _, p := range platforms {
		osName, arch, ok := strings.Cut(strings.TrimSpace(p), "/")
		if !ok || osName != "linux" {
			return nil, fmt.Errorf("platform %q: expected linux/<arch>", p)
		}
		bin := filepath.Join(tmp, "syncwave-"+arch)
		cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-ldflags", ldflags(version, commit), "-o", bin, spec.Package)
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+osName, "GOARCH="+arch)
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			return nil, fmt.Errorf("build syncwave for %s: %w", p, err)
		}
		layerTar, err := layerFiles(root, bin, created)
		if err != nil {
			return nil, err
		}
		layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
			return io.NopCloser(bytes.NewReader(layerTar)), nil
		}, tarball.WithMediaType(types.OCILayer))
		if err != nil {
			return nil, err
		}
		img, err := mutate.Append(mutate.ConfigMediaType(mutate.MediaType(empty.Image, types.OCIManifestSchema1), types.OCIConfigJSON), mutate.Addendum{
			Layer: layer, History: v1.History{Created: v1.Time{Time: created}, CreatedBy: "hack/image: syncwave, CA certificates, plugin.yaml"},
		})
		if err != nil {
			return nil, err
		}
		cf, err := img.ConfigFile()
		if err != nil {
			return nil, err
		}
		cf = cf.DeepCopy()
		cf.OS, cf.Architecture, cf.Created = osName, arch, v1.Time{Time: created}
		cf.Config.User = spec.User
		cf.Config.Entrypoint = slices.Clone(spec.Entrypoint)
		cf.Config.Env = nil
		for _, e := range spec.Env {
			cf.Config.Env = append(cf.Config.Env, e[0]+"="+e[1])
		}
		cf.Config.Labels = map[string]string{
			"org.opencontainers.image.title":    "syncwave",
			"org.opencontainers.image.version":  version,
			"org.opencontainers.image.revision": commit,
		}
		if img, err = mutate.ConfigFile(img, cf); err != nil {
			return nil, err
		}
		d, err := img.Digest()
		if err != nil {
			return nil, err
		}
		size, err := layer.Size()
		if err != nil {
			return nil, err
		}
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{
			Platform: &v1.Platform{OS: osName, Architecture: arch},
		}})
		res = append(res, built{Platform: p, Digest: d, Compressed: size, Uncompressed: int64(len(layerTar))})
	}
	if err := os.RemoveAll(out); err != nil {
		return nil, err
	}
	lp, err := layout.Write(out, empty.Index)
	if err != nil {
		return nil, err
	}
	if err := lp.AppendIndex(idx, layout.WithAnnotations(map[string]string{"org.opencontainers.image.ref.name": version})); err != nil {
		return nil, err
	}
	return res, nil
}

// layerFiles is the uncompressed tar of the image's only layer: the spec's
// files with their parent directories, owned by root, dated created.
func layerFiles(root, bin string, created time.Time) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	dirs := map[string]bool{}
	var addDir func(d string) error
	addDir = func(d string) error {
		if d == "/" || dirs[d] {
			return nil
		}
		if err := addDir(path.Dir(d)); err != nil {
			return err
		}
		dirs[d] = true
		return tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: strings.TrimPrefix(d, "/") + "/", Mode: 0o755, ModTime: created, Format: tar.FormatPAX})
	}
	for _, f := range spec.Files {
		src := f.From
		switch {
		case f.From == binFrom:
			src = bin
		case f.Stage == "":
			src = filepath.Join(root, f.From)
		}
		data, err := os.ReadFile(src)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f.Describe, err)
		}
		if err := addDir(path.Dir(f.Dest)); err != nil {
			return nil, err
		}
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: strings.TrimPrefix(f.Dest, "/"), Mode: f.Mode, Size: int64(len(data)), ModTime: created, Format: tar.FormatPAX}); err != nil {
			return nil, err
		}
		if _, err := tw.Write(data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
