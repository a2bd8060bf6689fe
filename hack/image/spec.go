package main

import (
	"fmt"
	"os"
	"regexp"
	"strings"

	"github.com/syncwave/syncwave/plugin"
)

// The sidecar image, once: both the Dockerfile (generated from this by
// `go run ./hack/image -dockerfile Dockerfile`) and the image `make image`
// builds without Docker come from it, and TestDockerfileFromSpec fails when
// the committed Dockerfile differs.

// file is one file of the final image.
type file struct {
	// From is where the file comes from: "binary" (syncwave, built), a path
	// in the builder stage (build host), or a path in the repository.
	From     string
	Stage    string // "build" when From is in the builder stage
	Dest     string
	Mode     int64
	Describe string
}

type imageSpec struct {
	Files      []file
	User       string
	Env        [][2]string
	Entrypoint []string
	Platforms  []string
	Package    string // the Go package built into the binary
}

const (
	// uiBundle is the UI extension in the installer's layout (resources/):
	// an image volume of this image, or a copy, gives argocd-server its
	// /tmp/extensions/syncwave.
	uiBundle = "/home/argocd/ui/resources/extension-syncwave.js"
	caFile   = "/etc/ssl/certs/ca-certificates.crt"
	binFrom  = "/out/syncwave"
	ldPkg    = "github.com/syncwave/syncwave/internal/cli"
)

var spec = imageSpec{
	Files: []file{
		{From: caFile, Stage: "build", Dest: caFile, Mode: 0o644, Describe: "CA certificates"},
		{From: binFrom, Stage: "build", Dest: plugin.BinaryPath, Mode: 0o755, Describe: "the static syncwave binary"},
		{From: "plugin.yaml", Dest: plugin.ConfigPath, Mode: 0o644, Describe: "the plugin configuration"},
		{From: "examples/install/ui/extension-syncwave.js", Dest: uiBundle, Mode: 0o644, Describe: "the Sync plan UI extension for argocd-server (make ui)"},
	},
	// Argo CD's user: the cmp-server and the repo-server share files.
	User: "999:999",
	Env:  [][2]string{{"PATH", "/usr/local/bin"}, {"TMPDIR", "/tmp"}},
	// Argo CD's own cmp-server, copied into the shared var-files volume by
	// the repo-server's copyutil init container; not part of this image.
	Entrypoint: []string{"/var/run/argocd/argocd-cmp-server"},
	Platforms:  []string{"linux/amd64", "linux/arm64"},
	Package:    "./cmd/syncwave",
}

// ldflags are the build's linker flags, as the Makefile's.
func ldflags(version, commit string) string {
	return fmt.Sprintf("-s -w -X %s.version=%s -X %s.commit=%s", ldPkg, version, ldPkg, commit)
}

var goDirective = regexp.MustCompile(`(?m)^go ([0-9.]+)\s*$`)

// goVersion is the go directive of go.mod at root.
func goVersion(root string) (string, error) {
	data, err := os.ReadFile(root + "/go.mod")
	if err != nil {
		return "", err
	}
	m := goDirective.FindSubmatch(data)
	if m == nil {
		return "", fmt.Errorf("%s/go.mod has no go directive", root)
	}
	return string(m[1]), nil
}

// dockerfile renders the spec as a multi-stage Dockerfile.
func (s imageSpec) dockerfile(goVer string) string {
	var b strings.Builder
	b.WriteString(`# syntax=docker/dockerfile:1
#
# GENERATED from hack/image/spec.go by ` + "`go run ./hack/image -dockerfile Dockerfile`" + `;
# edit the spec, not this file. ` + "`make image`" + ` builds the same image without Docker.
#
# The syncwave sidecar image for Argo CD's repo-server (Config Management
# Plugin). The final image holds only the static syncwave binary, CA
# certificates, plugin.yaml and the UI extension's bundle; Argo CD's own argocd-cmp-server is copied into
# /var/run/argocd by the repo-server's copyutil init container and is the
# entrypoint (see examples/install/).
#
#   docker build -t <your-registry>/syncwave:<version> --build-arg VERSION=<version> .
#
# It runs as UID 999 (Argo CD's user) with a read-only root filesystem and
# writes only under /tmp (an emptyDir of its own).

`)
	fmt.Fprintf(&b, "ARG GO_VERSION=%s\n\n", goVer)
	b.WriteString("FROM golang:${GO_VERSION} AS build\nWORKDIR /src\nCOPY go.mod go.sum ./\nRUN go mod download\nCOPY . .\nARG VERSION=dev\nARG COMMIT=unknown\n")
	fmt.Fprintf(&b, "RUN CGO_ENABLED=0 go build -trimpath \\\n      -ldflags \"%s\" \\\n      -o %s %s\n\n", ldflags("${VERSION}", "${COMMIT}"), binFrom, s.Package)
	b.WriteString("FROM scratch\n")
	for _, f := range s.Files {
		from := ""
		if f.Stage != "" {
			from = "--from=" + f.Stage + " "
		}
		fmt.Fprintf(&b, "COPY %s%s %s\n", from, f.From, f.Dest)
	}
	b.WriteString("ENV ")
	for i, e := range s.Env {
		if i > 0 {
			b.WriteString(" \\\n    ")
		}
		b.WriteString(e[0] + "=" + e[1])
	}
	fmt.Fprintf(&b, "\nUSER %s\n", s.User)
	fmt.Fprintf(&b, "ENTRYPOINT [%s]\n", quoteJoin(s.Entrypoint))
	return b.String()
}

func quoteJoin(xs []string) string {
	q := make([]string, len(xs))
	for i, x := range xs {
		q[i] = `"` + x + `"`
	}
	return strings.Join(q, ", ")
}
