#!/usr/bin/env bash
# The cost of the kernel seal per command: each command on an example,
# sealed (the default) and with SYNCWAVE_SANDBOX=off, alternating, RUNS
# times each (default 20); prints the medians of wall and CPU time.
#
#   hack/bench-seal.sh [BIN]    (default: builds bin/syncwave as `make build`)
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-20}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
. hack/bench-lib.sh
BIN=${1:-}
if [ -z "$BIN" ]; then
	BIN=$TMP/syncwave
	CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$BIN" ./cmd/syncwave
fi
APP=examples/chart-with-hooks
GEN=examples/sync-hook-wave
for i in $(seq "$RUNS"); do
	for mode in sealed off; do
		env=()
		[ $mode = off ] && env=(SYNCWAVE_SANDBOX=off)
		measure "render-$mode" env "${env[@]}" "$BIN" render $APP
		measure "plan-$mode" env "${env[@]}" "$BIN" plan $APP
		measure "lint-$mode" env "${env[@]}" "$BIN" lint $APP
		measure "generate-$mode" env -C $GEN "${env[@]}" ARGOCD_APP_NAME=shop ARGOCD_APP_SOURCE_PATH=$GEN "$BIN" generate
	done
done
echo "runs: $RUNS each, alternating; load average: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-10s %12s %12s %12s %12s\n' command "wall sealed" "wall off" "cpu sealed" "cpu off"
for c in render plan lint generate; do
	printf '%-10s %11.1fms %11.1fms %11.1fms %11.1fms\n' $c \
		"$(col $c-sealed wall | awk '{print $1*1000}')" "$(col $c-off wall | awk '{print $1*1000}')" \
		"$(col $c-sealed cpu | awk '{print $1*1000}')" "$(col $c-off cpu | awk '{print $1*1000}')"
done
