#!/bin/sh
# Whole-process comparison of `syncwave render` against `helm template` and
# `kustomize build` on a corpus of public charts and kustomizations kept
# outside the repository: for each item, paired runs (alternating order),
# medians of wall time, CPU time (user+sys) and peak RSS from /usr/bin/time,
# one line per item. Then, unless CHECK=0, the object-set check: the
# fidelity test TestCorpusFidelity renders every item in-process and
# compares its objects with the reference tool's output.
#
#   hack/bench-corpus.sh CORPUS [RUNS]        (default 9)
#
# CORPUS/items.txt lists the items, one per line (# comments allowed):
#
#   NAME helm      PATH RELEASE NAMESPACE [helm template flags: --set k=v ...]
#   NAME kustomize PATH
#
# PATH is relative to CORPUS, which is also syncwave's --repo-root. Helm
# items run as `helm template RELEASE PATH --namespace NAMESPACE
# --include-crds FLAGS` and `syncwave render --release-name RELEASE
# --namespace NAMESPACE FLAGS PATH` (syncwave includes CRDs by default, as
# Argo CD does). When items.txt is missing, the list of BENCHMARKS.md's
# public corpus is written (assembly: BENCHMARKS.md, "Public corpus").
#
# SYNCWAVE_BEFORE, when set, is an older syncwave binary: each item's output
# is compared byte for byte with it (a speed change must change no byte),
# and it is timed in the same rotation, so that the line "before" gives
# its figures and ratios from the same run.
#
# HELM and KUSTOMIZE are the reference binaries (default: the ones the
# fidelity tests build under $HOME/.cache/syncwave-tools); SYNCWAVE the
# binary under test (default: built here into a temp dir).
set -eu
CORPUS=${1:?usage: hack/bench-corpus.sh CORPUS [RUNS]}
RUNS=${2:-9}
CORPUS=$(cd "$CORPUS" && pwd)
cd "$(dirname "$0")/.."
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
TOOLS=${XDG_CACHE_HOME:-$HOME/.cache}/syncwave-tools
HELM=${HELM:-$TOOLS/helm-v3.22.0/helm}
KUSTOMIZE=${KUSTOMIZE:-$TOOLS/kustomize-v5.8.2/kustomize}
if [ -z "${SYNCWAVE:-}" ]; then
	CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$TMP/syncwave" ./cmd/syncwave
	SYNCWAVE=$TMP/syncwave
fi
if [ ! -f "$CORPUS/items.txt" ]; then
	cat >"$CORPUS/items.txt" <<'ITEMS'
# name                     tool      path                                                release        namespace      flags
kube-prometheus-stack      helm      helm/kube-prometheus-stack                          kps            monitoring     --set grafana.adminPassword=pinned
argo-cd                    helm      helm/argo-cd                                        argocd         argocd
cert-manager               helm      helm/cert-manager                                   cert-manager   cert-manager   --set crds.enabled=true
ingress-nginx              helm      helm/ingress-nginx                                  ingress-nginx  ingress-nginx
postgresql                 helm      helm/postgresql                                     pg             db             --set auth.postgresPassword=pinned
traefik                    helm      helm/traefik                                        traefik        traefik
cnpg-cluster               helm      helm/cnpg-cluster                                   cnpg           db
argo-cd-cluster-install    kustomize kustomize/argo-cd/manifests/cluster-install
argo-cd-ha-cluster-install kustomize kustomize/argo-cd/manifests/ha/cluster-install
ingress-nginx-cloud        kustomize kustomize/ingress-nginx/deploy/static/provider/cloud
ITEMS
fi

. "$(dirname "$0")/bench-lib.sh"

echo "runs: $RUNS paired per item; load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-27s %-9s %4s %9s | %-26s | %-26s | %s\n' item tool objs bytes "reference wall/cpu/RSS" "syncwave wall/cpu/RSS" "ratio wall cpu RSS"
grep -v '^[[:space:]]*#' "$CORPUS/items.txt" | grep -v '^[[:space:]]*$' | while read -r name tool path rest; do
	dir=$CORPUS/$path
	# Commands as words (corpus paths must not contain blanks).
	case $tool in
	helm)
		set -- $rest
		rel=$1 ns=$2
		shift 2
		refcmd="$HELM template $rel $dir --namespace $ns --include-crds $*"
		swcmd="$SYNCWAVE render --repo-root $CORPUS --release-name $rel --namespace $ns $* $dir"
		;;
	kustomize)
		refcmd="$KUSTOMIZE build $dir"
		swcmd="$SYNCWAVE render --repo-root $CORPUS $dir"
		;;
	*)
		echo "$name: unknown tool $tool" >&2
		continue
		;;
	esac
	$refcmd >"$TMP/ref.yaml"
	$swcmd >"$TMP/sw.yaml"
	if [ -n "${SYNCWAVE_BEFORE:-}" ]; then
		# shellcheck disable=SC2086 # the command is words
		set -- $swcmd
		shift
		if "$SYNCWAVE_BEFORE" "$@" >"$TMP/before.yaml" && cmp -s "$TMP/before.yaml" "$TMP/sw.yaml"; then
			echo "$name: output byte-identical to $SYNCWAVE_BEFORE"
		else
			echo "$name: OUTPUT DIFFERS from $SYNCWAVE_BEFORE" >&2
			exit 1
		fi
	fi
	: >"$TMP/times"
	beforecmd=
	if [ -n "${SYNCWAVE_BEFORE:-}" ]; then
		beforecmd="$SYNCWAVE_BEFORE ${swcmd#"$SYNCWAVE" }"
	fi
	for i in $(seq "$RUNS"); do
		# rotate the order, so that no command always runs first
		case $((i % 3)) in
		0) measure ref $refcmd; measure sw $swcmd; [ -z "$beforecmd" ] || measure before $beforecmd ;;
		1) measure sw $swcmd; [ -z "$beforecmd" ] || measure before $beforecmd; measure ref $refcmd ;;
		2) [ -z "$beforecmd" ] || measure before $beforecmd; measure ref $refcmd; measure sw $swcmd ;;
		esac
	done
	rw=$(col ref wall) rc=$(col ref cpu) rr=$(col ref rss)
	for label in sw before; do
		[ "$label" = sw ] || [ -n "$beforecmd" ] || continue
		sw_=$(col $label wall) sc=$(col $label cpu) sr=$(col $label rss)
		what=$name
		[ "$label" = sw ] || what="  (before)"
		printf '%-27s %-9s %4s %9s | %7.4fs %7.4fs %5.0f MiB | %7.4fs %7.4fs %5.0f MiB | %5.2f %5.2f %5.2f\n' \
			"$what" "$tool" "$(grep -c '^kind:' "$TMP/ref.yaml")" "$(wc -c <"$TMP/ref.yaml")" \
			"$rw" "$rc" "$rr" "$sw_" "$sc" "$sr" \
			"$(awk -v a="$sw_" -v b="$rw" 'BEGIN{print a/b}')" "$(awk -v a="$sc" -v b="$rc" 'BEGIN{print a/b}')" "$(awk -v a="$sr" -v b="$rr" 'BEGIN{print a/b}')"
	done
done
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
if [ "${CHECK:-1}" != 0 ]; then
	echo "object sets (go test -tags fidelitytools -run TestCorpusFidelity ./render/):"
	SYNCWAVE_CORPUS=$CORPUS go test -count=1 -tags fidelitytools -run TestCorpusFidelity -v ./render/ | grep -E '^(=== RUN|--- |    |ok|FAIL|PASS)' | grep -v '^=== RUN'
fi
