# syntax=docker/dockerfile:1
#
# GENERATED from hack/image/spec.go by `go run ./hack/image -dockerfile Dockerfile`;
# edit the spec, not this file. `make image` builds the same image without Docker.
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

ARG GO_VERSION=1.26.8

FROM golang:${GO_VERSION} AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
ARG COMMIT=unknown
RUN CGO_ENABLED=0 go build -trimpath \
      -ldflags "-s -w -X github.com/syncwave/syncwave/internal/cli.version=${VERSION} -X github.com/syncwave/syncwave/internal/cli.commit=${COMMIT}" \
      -o /out/syncwave ./cmd/syncwave

FROM scratch
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /out/syncwave /usr/local/bin/syncwave
COPY plugin.yaml /home/argocd/cmp-server/config/plugin.yaml
COPY examples/install/ui/extension-syncwave.js /home/argocd/ui/resources/extension-syncwave.js
ENV PATH=/usr/local/bin \
    TMPDIR=/tmp
USER 999:999
ENTRYPOINT ["/var/run/argocd/argocd-cmp-server"]
