# syncwave — make targets. Needs only Go; everything else is built from the
# Go module proxy by the targets that need it.
GO        ?= go
BIN       ?= bin
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT    ?= $(shell git rev-parse HEAD 2>/dev/null)
LDFLAGS   := -s -w -X github.com/syncwave/syncwave/internal/cli.version=$(VERSION) -X github.com/syncwave/syncwave/internal/cli.commit=$(COMMIT)
FUZZTIME  ?= 20s
PKGS      := ./...
# The tests build with the release build's settings (static, trimmed), so
# that go vet, go test and the binaries the tests build (the hostile table's,
# the sidecar test's, the image's) share one compile of every dependency: a
# cold run compiles Helm, Kubernetes and kustomize once, not three times.
TESTENV   := CGO_ENABLED=0 GOFLAGS="-trimpath $(GOFLAGS)"

.PHONY: all build test test-slow test-unit test-image test-fidelity test-fidelity-tools vet demo fuzz bench update-golden clean

all: build

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "$(LDFLAGS)" -o $(BIN)/syncwave ./cmd/syncwave

## test: vet, unit, golden, CLI, examples and fidelity tests (under 10
## minutes cold on 2 cores). CI (.ci/run) runs it, then test-slow.
test: vet test-unit test-fidelity

## test-slow: the suites bound by building from nothing, which CI runs after
## `make test`: the image for both platforms (TestImage) and the reference
## CLIs of test-fidelity-tools.
test-slow: test-image test-fidelity-tools

vet:
	$(TESTENV) $(GO) vet $(PKGS)
	@fmt=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$fmt" ]; then echo "gofmt needed:"; echo "$$fmt"; exit 1; fi

# TestImage cross-builds syncwave for two platforms: test-image runs it.
test-unit:
	$(TESTENV) $(GO) test -count=1 -skip '^TestImage$$' $(PKGS)

## test-image: the image for both platforms (hack/image), opened as a
## registry client would.
test-image:
	$(TESTENV) $(GO) test -count=1 -run '^TestImage$$' ./hack/image/

test-fidelity:
	@if [ -f test/go.mod ]; then cd test && $(TESTENV) $(GO) vet ./... && $(TESTENV) $(GO) test -count=1 ./...; fi

## test-fidelity-tools: syncwave's Helm and Kustomize rendering against
## `helm template` v3.22.0 and `kustomize build` v5.8.2, which the test
## builds from the Go module proxy into SYNCWAVE_TOOLS (default: the user
## cache dir) on first use (3-4 min cold). A tool that cannot be built fails
## the target; SYNCWAVE_SKIP_FIDELITY_TOOLS=1 skips instead (local use only).
test-fidelity-tools:
	$(TESTENV) $(GO) vet -tags fidelitytools ./render/
	$(TESTENV) $(GO) test -count=1 -tags fidelitytools -run Fidelity ./render/

## e2e: real Argo CD v2.14 (application controller, repo-server, argocd-cmp-server
## with plugin.yaml) on a real Kubernetes 1.36 control plane with kwok nodes syncs
## the examples through the plugin in the planned order (test/e2e/README.md).
## Builds everything into E2E_CACHE (reused while the version stamps match);
## needs root (or unprivileged user namespaces) for a private network namespace.
E2E_CACHE ?= .cache/e2e
.PHONY: e2e
e2e:
	E2E_CACHE="$(abspath $(E2E_CACHE))" GO="$(GO)" test/e2e/run.sh

## image: the sidecar image the Dockerfile describes, without Docker: an OCI
## image layout in $(BIN)/image with linux/amd64 and linux/arm64 images
## (hack/image; the Dockerfile is generated from the same spec).
.PHONY: image
image:
	$(GO) run ./hack/image -o $(BIN)/image -version "$(VERSION)" -commit "$(COMMIT)"

## ui: the Argo CD UI extension "Sync plan" (ui/extension, TypeScript) bundled
## with esbuild's Go API (hack/ui, no Node): $(BIN)/ui/extension-syncwave.tar
## holds resources/extension-syncwave.js, the layout of Argo CD's extension
## installer; the bundle alone is examples/install/ui/extension-syncwave.js
## (committed: the install component and the image use it; ui tests it is fresh).
.PHONY: ui
ui:
	$(GO) run ./hack/ui -src ui/extension -o $(BIN)/ui/extension-syncwave.tar -js examples/install/ui/extension-syncwave.js

## demo: render the seed example
demo: build
	$(BIN)/syncwave render examples/sync-hook-wave

## fuzz: run every fuzz target for FUZZTIME each
fuzz:
	@set -e; for pkg in $$($(GO) list $(PKGS)); do \
	  for t in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
	    echo "== $$pkg $$t"; $(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) $$pkg; \
	  done; done

## bench: the ordering benchmarks recorded in BENCHMARKS.md
bench:
	$(GO) test -run '^$$' -bench . -benchmem -count 5 ./order/ ./annotate/

## update-golden: rewrite golden files after an intended change
update-golden:
	$(GO) test ./... -update

clean:
	rm -rf $(BIN)
