#!/bin/sh
# Whole-process comparison of `syncwave render` against `kustomize build` on
# a generated large kustomization (hack/genkustomize): paired runs (A then B,
# alternating order), medians of wall time, CPU time (user+sys) and peak RSS
# from /usr/bin/time.
#
#   hack/bench-kustomize.sh [RUNS]        (default 9)
#
# KUSTOMIZE is the reference binary (default: the one the fidelity tests
# build, $HOME/.cache/syncwave-tools/kustomize-v5.8.2/kustomize); SYNCWAVE the
# binary under test (default: built here into a temp dir).
set -eu
RUNS=${1:-9}
cd "$(dirname "$0")/.."
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
KUSTOMIZE=${KUSTOMIZE:-${XDG_CACHE_HOME:-$HOME/.cache}/syncwave-tools/kustomize-v5.8.2/kustomize}
if [ -z "${SYNCWAVE:-}" ]; then
	CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$TMP/syncwave" ./cmd/syncwave
	SYNCWAVE=$TMP/syncwave
fi
REPO=$TMP/bigkustomize
APP=$REPO/overlays/prod
go run ./hack/genkustomize -out "$REPO"
"$KUSTOMIZE" build "$APP" >"$TMP/kustomize.yaml"
"$SYNCWAVE" render --repo-root "$REPO" "$APP" >"$TMP/syncwave.yaml"
echo "kustomization: $(find "$REPO" -name kustomization.yaml | wc -l) kustomizations," \
	"$(grep -c '^kind:' "$TMP/kustomize.yaml") objects, kustomize $(wc -c <"$TMP/kustomize.yaml") bytes, syncwave $(wc -c <"$TMP/syncwave.yaml") bytes," \
	"$(grep -c '^  - .*name:' "$APP/syncwave.yaml") groups"

. "$(dirname "$0")/bench-lib.sh"
for i in $(seq "$RUNS"); do
	if [ $((i % 2)) -eq 0 ]; then
		measure kustomize "$KUSTOMIZE" build "$APP"
		measure syncwave "$SYNCWAVE" render --repo-root "$REPO" "$APP"
	else
		measure syncwave "$SYNCWAVE" render --repo-root "$REPO" "$APP"
		measure kustomize "$KUSTOMIZE" build "$APP"
	fi
done
summary kustomize "kustomize build"
