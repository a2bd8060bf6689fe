#!/usr/bin/env bash
# Builds everything the e2e suite runs into $E2E_CACHE/bin, from the Go module
# proxy only. A binary is rebuilt only when its version stamp
# ($E2E_CACHE/bin/.<name>.stamp) no longer matches what would be built:
#
#   kube-apiserver, kube-controller-manager, kube-scheduler  test/e2e/k8s  (k8s.io/kubernetes v1.36.x)
#   etcd                                                     test/e2e/etcd (go.etcd.io/etcd/server/v3 v3.6.x)
#   kwok (+ kwok-stages.yaml: fast node and pod stages)      go install sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION
#   argocd (+ argocd-crds/)                                  test/ module  (github.com/argoproj/argo-cd/v2)
#   prebuilt/argocd (+ prebuilt/argocd-crds/)                E2E_ARGOCD_BIN + E2E_ARGOCD_CRDS: any prebuilt build
#   syncwave, e2e.test                                       always rebuilt (they are what is tested)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
: "${E2E_CACHE:?E2E_CACHE must name the cache directory}"
GO=${GO:-go}
KWOK_VERSION=${KWOK_VERSION:-v0.8.0}
BIN=$E2E_CACHE/bin
mkdir -p "$BIN"

say() { printf 'e2e-build: %s\n' "$*" >&2; }
die() { printf 'e2e-build: FAIL: %s\n' "$*" >&2; exit 1; }

GOVERSION=$($GO env GOVERSION) || die "cannot run '$GO' (Go is required)"

# hashfiles FILE... prints one hash of the files' contents.
hashfiles() { cat "$@" | sha256sum | cut -c1-16; }

# fresh NAME KEY: the binary exists and was built with KEY.
fresh() { [[ -x $BIN/$1 && -f $BIN/.$1.stamp && "$(cat "$BIN/.$1.stamp")" == "$2" ]]; }
stamp() { printf '%s\n' "$2" >"$BIN/.$1.stamp"; }

# timed NAME CMD...: runs CMD and reports its wall time.
timed() {
	local name=$1 t0=$SECONDS
	shift
	say "building $name ..."
	"$@" || die "building $name failed (see the go output above)"
	say "built $name in $((SECONDS - t0))s"
}

# --- Kubernetes control plane -------------------------------------------------
K8S_DIR=$ROOT/test/e2e/k8s
K8S_VERSION=$(cd "$K8S_DIR" && $GO list -m -f '{{.Version}}' k8s.io/kubernetes) ||
	die "cannot resolve k8s.io/kubernetes in $K8S_DIR (module download failed?)"
K8S_MINOR=$(echo "$K8S_VERSION" | cut -d. -f2)
K8S_LDFLAGS="-s -w"
for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
	K8S_LDFLAGS+=" -X $p.gitVersion=$K8S_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$K8S_MINOR -X $p.gitTreeState=clean"
done
key="kubernetes $K8S_VERSION $GOVERSION $(hashfiles "$K8S_DIR/go.mod" "$K8S_DIR/go.sum")"
if ! fresh kube-apiserver "$key" || ! fresh kube-controller-manager "$key" || ! fresh kube-scheduler "$key"; then
	build_k8s() {
		(cd "$K8S_DIR" && $GO build -trimpath -ldflags "$K8S_LDFLAGS" -o "$BIN/" \
			k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager k8s.io/kubernetes/cmd/kube-scheduler)
	}
	timed "kube-apiserver, kube-controller-manager, kube-scheduler $K8S_VERSION" build_k8s
	for b in kube-apiserver kube-controller-manager kube-scheduler; do stamp $b "$key"; done
fi

# --- etcd ---------------------------------------------------------------------
ETCD_DIR=$ROOT/test/e2e/etcd
key="etcd $GOVERSION $(hashfiles "$ETCD_DIR/go.mod" "$ETCD_DIR/go.sum")"
if ! fresh etcd "$key"; then
	timed etcd bash -c "cd '$ETCD_DIR' && $GO build -trimpath -ldflags '-s -w' -o '$BIN/etcd' go.etcd.io/etcd/server/v3"
	stamp etcd "$key"
fi

# --- kwok and its stages --------------------------------------------------------
key="kwok $KWOK_VERSION $GOVERSION"
if ! fresh kwok "$key" || [[ ! -s $E2E_CACHE/kwok-stages.yaml ]]; then
	timed "kwok $KWOK_VERSION" env GOBIN="$BIN" $GO install -trimpath -ldflags '-s -w' "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION"
	kdir=$($GO env GOMODCACHE)/sigs.k8s.io/kwok@$KWOK_VERSION/kustomize/stage
	# Standalone kwok has no default stages: nodes become Ready, pods Ready,
	# pods of Jobs Succeeded, deleted pods go away, all without delays.
	out=$E2E_CACHE/kwok-stages.yaml.tmp
	: >"$out"
	for f in node/fast/node-initialize.yaml node/heartbeat/node-heartbeat.yaml \
		pod/fast/pod-ready.yaml pod/fast/pod-complete.yaml pod/fast/pod-delete.yaml; do
		[[ -f $kdir/$f ]] || die "kwok stage $kdir/$f is missing"
		{ echo '---'; cat "$kdir/$f"; } >>"$out"
	done
	mv "$out" "$E2E_CACHE/kwok-stages.yaml"
	stamp kwok "$key"
fi

# --- Argo CD (from the test module, so that CI compiles the k8s 0.31 tree once) -
TEST_DIR=$ROOT/test
if [[ -n ${E2E_ARGOCD_BIN:-} ]]; then
	# A prebuilt argocd (e.g. 3.x built from a source checkout: the 3.x module
	# cannot be built from the module proxy) and the CRD directory of the same
	# tree (manifests/crds), copied into $E2E_CACHE/prebuilt/, where stack.sh
	# takes them from when E2E_ARGOCD_BIN is set. The cache's own build
	# ($BIN/argocd, its stamp, argocd-crds/) is left alone, so the next run
	# without E2E_ARGOCD_BIN does not rebuild it.
	[[ -x $E2E_ARGOCD_BIN ]] || die "E2E_ARGOCD_BIN=$E2E_ARGOCD_BIN is not an executable"
	: "${E2E_ARGOCD_CRDS:?E2E_ARGOCD_BIN needs E2E_ARGOCD_CRDS, the manifests/crds directory of the same Argo CD tree}"
	PRE=$E2E_CACHE/prebuilt
	rm -rf "$PRE"
	mkdir -p "$PRE/argocd-crds"
	cp "$E2E_ARGOCD_BIN" "$PRE/argocd"
	for f in application-crd.yaml appproject-crd.yaml applicationset-crd.yaml; do
		[[ -s $E2E_ARGOCD_CRDS/$f ]] || die "E2E_ARGOCD_CRDS=$E2E_ARGOCD_CRDS has no $f"
		cp "$E2E_ARGOCD_CRDS/$f" "$PRE/argocd-crds/$f"
	done
	chmod -R u+w "$PRE"
	aver=$("$PRE/argocd" version --client --short 2>/dev/null | head -1)
	say "argocd: prebuilt $E2E_ARGOCD_BIN ($aver)"
	# 3.5+ repo-servers run git-verify-wrapper.sh on every generation; without
	# it on their PATH every Application fails after the 180 s timeout with
	# only "permission denied". Refuse to start such a run.
	if [[ $aver =~ v([0-9]+)\.([0-9]+) ]] && ((BASH_REMATCH[1] > 3 || (BASH_REMATCH[1] == 3 && BASH_REMATCH[2] >= 5))); then
		wrapper=$(PATH="${E2E_ARGOCD_PATH:+$E2E_ARGOCD_PATH:}$PATH" command -v git-verify-wrapper.sh || true)
		[[ -n $wrapper && -x $wrapper ]] ||
			die "argocd $aver runs git-verify-wrapper.sh in the repo-server, and it is not an executable on E2E_ARGOCD_PATH (${E2E_ARGOCD_PATH:-unset}) or PATH: set E2E_ARGOCD_PATH to the hack/ directory of the same Argo CD tree"
	fi
else
ARGOCD_MOD=github.com/argoproj/argo-cd/v2
ARGOCD_VERSION=$(cd "$TEST_DIR" && $GO list -m -f '{{.Version}}' "$ARGOCD_MOD" 2>/dev/null) || ARGOCD_VERSION=
[[ -n $ARGOCD_VERSION ]] ||
	die "test/go.mod does not require $ARGOCD_MOD; the e2e suite builds the argocd binary from the test module"
# The stamp covers the module versions the argocd command is built from, not
# the whole test module: other test dependencies changing does not relink it.
deps=$(cd "$TEST_DIR" && $GO list -deps -f '{{with .Module}}{{.Path}} {{.Version}}{{with .Replace}} => {{.Path}} {{.Version}}{{end}}{{end}}' \
	"$ARGOCD_MOD/cmd" | sort -u | sha256sum | cut -c1-16) || die "go list of $ARGOCD_MOD/cmd failed"
key="argocd $ARGOCD_VERSION $GOVERSION $deps"
if ! fresh argocd "$key" || [[ ! -s $E2E_CACHE/argocd-crds/application-crd.yaml ]]; then
	timed "argocd $ARGOCD_VERSION" bash -c "cd '$TEST_DIR' && $GO build -trimpath \
		-ldflags '-s -w -X $ARGOCD_MOD/common.version=${ARGOCD_VERSION#v}' -o '$BIN/argocd' $ARGOCD_MOD/cmd"
	adir=$(cd "$TEST_DIR" && $GO list -m -f '{{.Dir}}' "$ARGOCD_MOD")
	rm -rf "$E2E_CACHE/argocd-crds"
	mkdir -p "$E2E_CACHE/argocd-crds"
	for f in application-crd.yaml appproject-crd.yaml applicationset-crd.yaml; do
		cp "$adir/manifests/crds/$f" "$E2E_CACHE/argocd-crds/$f"
	done
	chmod -R u+w "$E2E_CACHE/argocd-crds"
	stamp argocd "$key"
fi
fi

# --- what is under test -----------------------------------------------------------
timed syncwave bash -c "cd '$ROOT' && CGO_ENABLED=0 $GO build -trimpath -o '$BIN/syncwave' ./cmd/syncwave"
timed e2e.test bash -c "cd '$TEST_DIR' && $GO vet -tags e2e ./e2e/ && $GO test -c -tags e2e -o '$BIN/e2e.test' ./e2e/"
say "binaries ready in $BIN"
