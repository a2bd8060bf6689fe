#!/bin/sh
# Whole-process comparison of `syncwave render` and `syncwave plan` against
# Argo CD's native directory source on a generated directory of 100,000
# small documents (hack/gendir: ConfigMaps, 100 to a file, 1,000 files in one
# directory, about 8.9 MB): runs in rotating order (native, render, plan;
# then render, plan, native; ...), medians of wall time, CPU time
# (user+sys) and peak RSS (hack/runstat), and the ratios syncwave/native.
#
#   hack/bench-directory.sh [RUNS]        (default 9)
#
# The reference is test/cmd/nativedir: Argo CD v2.14.21's repo-server
# manifest generation (repository.GenerateManifests) for a directory
# source, built from the test/ module, which reads and parses every
# document into an unstructured object and encodes it as JSON, and prints
# the manifests. The directory holds no syncwave.yaml, so both read exactly
# the same files. plan runs with its default output (-o table).
#
# NATIVE and SYNCWAVE are the binaries (default: built here into a temp dir);
# DOCS and FILES size the tree (default 100000 and 1000).
set -eu
RUNS=${1:-9}
cd "$(dirname "$0")/.."
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
if [ -z "${SYNCWAVE:-}" ]; then
	CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$TMP/syncwave" ./cmd/syncwave
	SYNCWAVE=$TMP/syncwave
fi
if [ -z "${NATIVE:-}" ]; then
	(cd test && go build -trimpath -ldflags "-s -w" -o "$TMP/nativedir" ./cmd/nativedir)
	NATIVE=$TMP/nativedir
fi
DIR=$TMP/bigdir
go run ./hack/gendir -out "$DIR" -docs "${DOCS:-100000}" -files "${FILES:-1000}"
"$NATIVE" "$DIR" >"$TMP/native.jsonl"
"$SYNCWAVE" render "$DIR" >"$TMP/render.yaml"
"$SYNCWAVE" plan "$DIR" >"$TMP/plan.txt"
echo "directory: $(find "$DIR" -name '*.yaml' | wc -l) files, $(cat "$DIR"/*.yaml | wc -c) bytes;" \
	"objects: native $(wc -l <"$TMP/native.jsonl"), render $(grep -c '^kind:' "$TMP/render.yaml"), plan $(grep -c '^Sync ' "$TMP/plan.txt") steps"

. "$(dirname "$0")/bench-lib.sh"
for i in $(seq "$RUNS"); do
	case $((i % 3)) in
	1)
		measure native "$NATIVE" "$DIR"
		measure render "$SYNCWAVE" render "$DIR"
		measure plan "$SYNCWAVE" plan "$DIR"
		;;
	2)
		measure render "$SYNCWAVE" render "$DIR"
		measure plan "$SYNCWAVE" plan "$DIR"
		measure native "$NATIVE" "$DIR"
		;;
	0)
		measure plan "$SYNCWAVE" plan "$DIR"
		measure native "$NATIVE" "$DIR"
		measure render "$SYNCWAVE" render "$DIR"
		;;
	esac
done
echo "runs: $RUNS; load average: $(cut -d' ' -f1-3 /proc/loadavg)"
nw=$(col native wall) nc=$(col native cpu) nr=$(col native rss)
for l in native render plan; do
	w=$(col $l wall) c=$(col $l cpu) r=$(col $l rss)
	awk -v l="$l" -v w="$w" -v c="$c" -v r="$r" -v nw="$nw" -v nc="$nc" -v nr="$nr" 'BEGIN {
		printf "%-7s wall %.3fs  cpu %.3fs  peak RSS %4.0f MiB", l, w, c, r
		if (l != "native") printf "   ratio /native: wall %.2f  cpu %.2f  peak RSS %.2f", w/nw, c/nc, r/nr
		printf "\n"
	}'
done
