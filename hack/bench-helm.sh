#!/bin/sh
# Whole-process comparison of `syncwave render` against `helm template` on a
# generated large chart (hack/genchart): paired runs (A then B, alternating
# order), medians of wall time and peak RSS from /usr/bin/time.
#
#   hack/bench-helm.sh [RUNS]        (default 9)
#
# HELM_MODE (3 or 4, default 4) is the Helm whose semantics syncwave renders
# with (--helm-version) and picks the reference: HELM (default: the one the
# fidelity tests build, $HOME/.cache/syncwave-tools/helm-v3.22.0/helm or
# helm-v4.2.1/helm); SYNCWAVE the binary under test (default: built here
# into a temp dir).
set -eu
RUNS=${1:-9}
cd "$(dirname "$0")/.."
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
HELM_MODE=${HELM_MODE:-4}
case $HELM_MODE in
3) REF=helm-v3.22.0 ;;
4) REF=helm-v4.2.1 ;;
*) echo "HELM_MODE must be 3 or 4" >&2; exit 2 ;;
esac
HELM=${HELM:-${XDG_CACHE_HOME:-$HOME/.cache}/syncwave-tools/$REF/helm}
if [ -z "${SYNCWAVE:-}" ]; then
	CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$TMP/syncwave" ./cmd/syncwave
	SYNCWAVE=$TMP/syncwave
fi
CHART=$TMP/bigchart
go run ./hack/genchart -out "$CHART"
"$HELM" template big "$CHART" --include-crds --namespace big >"$TMP/helm.yaml"
"$SYNCWAVE" render --helm-version "$HELM_MODE" --repo-root "$CHART" --release-name big --namespace big "$CHART" >"$TMP/syncwave.yaml"
echo "Helm $HELM_MODE mode, reference $HELM"
echo "chart: $(find "$CHART" -path '*templates*' -name '*.yaml' | wc -l) templates," \
	"$(grep -c '^kind:' "$TMP/helm.yaml") objects, helm $(wc -c <"$TMP/helm.yaml") bytes, syncwave $(wc -c <"$TMP/syncwave.yaml") bytes," \
	"$(grep -c '^  - ' "$CHART/syncwave.yaml") groups"

. "$(dirname "$0")/bench-lib.sh"
for i in $(seq "$RUNS"); do
	if [ $((i % 2)) -eq 0 ]; then
		measure helm "$HELM" template big "$CHART" --include-crds --namespace big
		measure syncwave "$SYNCWAVE" render --helm-version "$HELM_MODE" --repo-root "$CHART" --release-name big --namespace big "$CHART"
	else
		measure syncwave "$SYNCWAVE" render --helm-version "$HELM_MODE" --repo-root "$CHART" --release-name big --namespace big "$CHART"
		measure helm "$HELM" template big "$CHART" --include-crds --namespace big
	fi
done
summary helm "helm template"
