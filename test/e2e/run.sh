#!/usr/bin/env bash
# make e2e: syncwave as a Config Management Plugin of a real Argo CD v2.14
# (application controller, repo-server, cmp-server) on a real Kubernetes 1.36
# control plane (etcd, kube-apiserver, kube-controller-manager,
# kube-scheduler) with kwok nodes, all on 127.0.0.1 in a private network
# namespace. See test/e2e/README.md.
#
#   E2E_CACHE   build cache and run directory (required; the Makefile sets it)
#   E2E_RUN     go test -run filter for the scenarios (optional)
#   E2E_KEEP=1  keep the run directory's logs even when the run passes
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
: "${E2E_CACHE:?E2E_CACHE must name the cache directory}"
mkdir -p "$E2E_CACHE"
E2E_CACHE=$(cd "$E2E_CACHE" && pwd)
export E2E_CACHE

die() {
	printf 'e2e: FAIL: %s\n' "$*" >&2
	exit 1
}
t0=$SECONDS

# --- prerequisites: present, or installed, or a clear failure -------------------------
need_root_for() { [[ $(id -u) == 0 ]] || die "$1 is missing and installing it needs root (apt-get install $2)"; }
apt_install() { # apt_install PACKAGE: installs a Debian package, or fails loudly.
	command -v apt-get >/dev/null || die "apt-get is not available to install $1; install it by hand"
	echo "e2e: installing $1 with apt-get" >&2
	if ! { DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$1" ||
		{ apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$1"; }; } >&2; then
		die "apt-get could not install $1"
	fi
}
for tool in go:golang git:git openssl:openssl curl:curl unshare:util-linux setsid:util-linux ip:iproute2 sha256sum:coreutils; do
	cmd=${tool%%:*} pkg=${tool#*:}
	if ! command -v "$cmd" >/dev/null; then
		[[ $cmd == go ]] && die "go is not on PATH"
		need_root_for "$cmd" "$pkg"
		apt_install "$pkg"
		command -v "$cmd" >/dev/null || die "$cmd is still missing after installing $pkg"
	fi
done
if ! command -v redis-server >/dev/null; then
	need_root_for redis-server redis-server
	apt_install redis-server
	# The package's service is not needed (and usually not running without
	# systemd); the suite starts its own redis-server inside the namespace.
	command -v redis-server >/dev/null || die "redis-server is still missing after apt-get install redis-server"
fi

# The Sync plan UI extension's browser scenarios: Debian's chromium, and
# Debian's React UMD builds for the page that hosts the extension.
if ! command -v chromium >/dev/null; then
	need_root_for chromium chromium
	apt_install chromium
	command -v chromium >/dev/null || die "chromium is still missing after apt-get install chromium"
fi
for pkg in node-react node-react-dom; do
	f=/usr/share/nodejs/${pkg#node-}/umd/${pkg#node-}.production.min.js
	if [[ ! -s $f ]]; then
		need_root_for "$f" "$pkg"
		apt_install "$pkg"
		[[ -s $f ]] || die "$f is still missing after apt-get install $pkg"
	fi
done

# A private network namespace (and PID namespace, so that nothing started
# there can outlive the run) needs root, or an unprivileged user namespace.
UNSHARE=(unshare --net --pid --mount --fork --mount-proc --kill-child)
if [[ $(id -u) != 0 ]]; then
	UNSHARE=(unshare --map-root-user --net --pid --mount --fork --mount-proc --kill-child)
fi
"${UNSHARE[@]}" true 2>/dev/null ||
	die "cannot create a private network namespace (${UNSHARE[*]}); run as root or enable unprivileged user namespaces"

# --- build (outside the namespace: it needs the module proxy) -------------------------------
GO=${GO:-go} "$HERE/build.sh"
tb=$((SECONDS - t0))

# --- the UI extension in headless Chromium (test/uiext, build tag browser) ---------------
# The bundle on the page that implements Argo CD's extension contract, with
# generate's plan record for the sync-hook-wave example; screenshots go to
# $E2E_CACHE/screenshots (fixture-*.png; the stack's scenarios add server-*.png:
# the stack clears $E2E_CACHE/run when it starts).
tu=$SECONDS
rm -rf "$E2E_CACHE/screenshots"
mkdir -p "$E2E_CACHE/screenshots"
if ! (cd "$ROOT/test" && SYNCWAVE_BIN="$E2E_CACHE/bin/syncwave" UIEXT_SCREENSHOTS="$E2E_CACHE/screenshots" \
	${GO:-go} test -count=1 -tags browser ./uiext/) >&2; then
	die "the Sync plan extension's browser scenarios failed (test/uiext)"
fi
echo "e2e: browser scenarios passed in $((SECONDS - tu))s" >&2

# --- run --------------------------------------------------------------------------------
echo "e2e: builds checked in ${tb}s; starting the stack in a private network namespace" >&2
set +e
"${UNSHARE[@]}" "$HERE/stack.sh"
rc=$?
set -e
echo "e2e: total $((SECONDS - t0))s (build check ${tb}s), exit $rc" >&2
exit $rc
