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

measure() { # label command...
	label=$1
	shift
	/usr/bin/time -f "$label %e %M %U %S" "$@" >/dev/null 2>>"$TMP/times" || true
}
for i in $(seq "$RUNS"); do
	if [ $((i % 2)) -eq 0 ]; then
		measure kustomize "$KUSTOMIZE" build "$APP"
		measure syncwave "$SYNCWAVE" render --repo-root "$REPO" "$APP"
	else
		measure syncwave "$SYNCWAVE" render --repo-root "$REPO" "$APP"
		measure kustomize "$KUSTOMIZE" build "$APP"
	fi
done
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
kw=$(awk '$1=="kustomize"{print $2}' "$TMP/times" | median)
kr=$(awk '$1=="kustomize"{print $3}' "$TMP/times" | median)
sw=$(awk '$1=="syncwave"{print $2}' "$TMP/times" | median)
sr=$(awk '$1=="syncwave"{print $3}' "$TMP/times" | median)
kc=$(awk '$1=="kustomize"{print $4+$5}' "$TMP/times" | median)
sc=$(awk '$1=="syncwave"{print $4+$5}' "$TMP/times" | median)
echo "runs: $RUNS paired; load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "kustomize build: wall ${kw}s  cpu ${kc}s  peak RSS $((kr / 1024)) MiB"
echo "syncwave render: wall ${sw}s  cpu ${sc}s  peak RSS $((sr / 1024)) MiB"
awk -v a="$sw" -v b="$kw" -v c="$sr" -v d="$kr" -v e="$sc" -v f="$kc" 'BEGIN {printf "ratio syncwave/kustomize: wall %.2f  cpu %.2f  peak RSS %.2f\n", a/b, e/f, c/d}'
