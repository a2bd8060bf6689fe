#!/usr/bin/env bash
# Runs inside the private network + PID namespace that run.sh creates (this
# script is PID 1 there: when it exits, the kernel kills whatever is left).
# Starts etcd, the Kubernetes control plane, kwok, redis and Argo CD (with
# syncwave's plugin.yaml in argocd-cmp-server, and argocd-server serving the
# Sync plan extension), runs the scenarios
# (e2e.test), and stops everything it started, also on failure or interrupt.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
: "${E2E_CACHE:?}"
BIN=$E2E_CACHE/bin
RUN=$E2E_CACHE/run
LOGS=$RUN/logs
P=$RUN/pki
SOCK=

rm -rf "$RUN"
mkdir -p "$LOGS" "$P" "$RUN/home"
export HOME=$RUN/home # git, helm and argocd write here, not in the caller's home
export KUBECONFIG=$RUN/kubeconfig
T0=${EPOCHREALTIME/[.,]/}

log() {
	local ms=$(((${EPOCHREALTIME/[.,]/} - T0) / 1000))
	printf 'e2e [%3d.%03ds] %s\n' $((ms / 1000)) $((ms % 1000)) "$*" >&2
}

declare -a NAMES=() PIDS=()

# start NAME [ENV=VALUE...] -- CMD...: runs CMD in its own session and process
# group, logging to $LOGS/NAME.log.
start() {
	local name=$1
	shift
	local -a envs=()
	while [[ $1 != -- ]]; do
		envs+=("$1")
		shift
	done
	shift
	env "${envs[@]}" setsid "$@" >"$LOGS/$name.log" 2>&1 </dev/null &
	NAMES+=("$name")
	PIDS+=($!)
	log "started $name (pid $!)"
}

alive() { # alive NAME: the process started as NAME still runs.
	local i state
	for i in "${!NAMES[@]}"; do
		if [[ ${NAMES[$i]} == "$1" ]]; then
			state=$(awk '{print $3}' "/proc/${PIDS[$i]}/stat" 2>/dev/null) || return 1
			[[ $state != Z ]]
			return
		fi
	done
	return 1
}

# wait_for NAME SECONDS DESCRIPTION CMD...: polls CMD until it succeeds; fails
# when the deadline passes or when process NAME exits first.
wait_for() {
	local name=$1 timeout=$2 what=$3 deadline
	shift 3
	deadline=$((SECONDS + timeout))
	until "$@" >/dev/null 2>&1; do
		if ! alive "$name"; then
			fail "$name exited while waiting for $what"
		fi
		if ((SECONDS >= deadline)); then
			fail "timed out after ${timeout}s waiting for $what"
		fi
		sleep 0.2
	done
	log "$what"
}

fail() {
	log "FAIL: $*"
	exit 1
}

# Peak memory: the largest sum of RSS over every process in this PID
# namespace (it holds only what this script started), sampled every 0.5 s.
sample_memory() {
	local max=0 sum
	while :; do
		sum=$(awk '/^VmRSS:/{s+=$2} END{print s+0}' /proc/[0-9]*/status 2>/dev/null) || sum=0
		if ((${sum:-0} > max)); then
			max=$sum
			echo "$max" >"$RUN/peak-rss-kb"
		fi
		sleep 0.5
	done
}

stop_all() {
	local rc=$? i pid deadline
	trap - EXIT INT TERM
	if ((rc != 0)); then
		for i in "${!NAMES[@]}"; do
			[[ ${NAMES[$i]} == memory ]] && continue
			printf '\n----- last lines of %s -----\n' "$LOGS/${NAMES[$i]}.log" >&2
			tail -n 25 "$LOGS/${NAMES[$i]}.log" >&2 || true
		done
	fi
	for i in "${!NAMES[@]}"; do # per-process peak RSS, before stopping
		pid=${PIDS[$i]}
		[[ ${NAMES[$i]} == memory ]] && continue
		[[ -r /proc/$pid/status ]] && printf '%-26s peak RSS %6d MB\n' "${NAMES[$i]}" \
			$(($(awk '/^VmHWM:/{print $2}' /proc/$pid/status 2>/dev/null || echo 0) / 1024)) >>"$RUN/memory.txt"
	done
	for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do # reverse start order
		kill -TERM -- "-${PIDS[$i]}" 2>/dev/null || true
	done
	deadline=$((SECONDS + 5))
	for i in "${!PIDS[@]}"; do
		pid=${PIDS[$i]}
		while alive "${NAMES[$i]}" && ((SECONDS < deadline)); do sleep 0.1; done
		if alive "${NAMES[$i]}"; then
			log "${NAMES[$i]} still running 5 s after SIGTERM; sending SIGKILL"
		fi
		kill -KILL -- "-$pid" 2>/dev/null || true
	done
	wait 2>/dev/null || true
	[[ -z $SOCK ]] || rm -rf "$SOCK"
	[[ -f $RUN/memory.txt ]] && cat "$RUN/memory.txt" >&2
	[[ -f $RUN/peak-rss-kb ]] && log "peak RSS of the whole stack (sum over processes): $(($(cat "$RUN/peak-rss-kb") / 1024)) MB"
	if ((rc == 0)); then log "PASS; logs in $LOGS"; else log "FAIL (exit $rc); logs in $LOGS"; fi
	exit "$rc"
}
trap stop_all EXIT
trap 'log "interrupted"; exit 130' INT TERM
# Unix socket paths are limited to 108 bytes: keep the socket dir short.
SOCK=$(mktemp -d /tmp/swe2e.XXXXXX)

for b in etcd kube-apiserver kube-controller-manager kube-scheduler kwok syncwave e2e.test; do
	[[ -x $BIN/$b ]] || fail "$BIN/$b is missing; run test/e2e/build.sh"
done
# Argo CD: the cache's own build, or with E2E_ARGOCD_BIN the copy build.sh
# made of that prebuilt binary and its CRDs.
ARGOCD=$BIN/argocd
CRDS=$E2E_CACHE/argocd-crds
if [[ -n ${E2E_ARGOCD_BIN:-} ]]; then
	ARGOCD=$E2E_CACHE/prebuilt/argocd
	CRDS=$E2E_CACHE/prebuilt/argocd-crds
fi
[[ -x $ARGOCD ]] || fail "$ARGOCD is missing; run test/e2e/build.sh"
[[ -s $CRDS/application-crd.yaml ]] || fail "$CRDS has no application-crd.yaml; run test/e2e/build.sh"

ip link set lo up
start memory -- bash -c "$(declare -f sample_memory); RUN='$RUN' sample_memory"

# --- certificates, generated per run ------------------------------------------------------
cert() { # cert NAME SUBJECT EXTENSIONS: an EC key and a certificate signed by the run's CA.
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$P/$1.key" \
		-subj "$2" -out "$P/$1.csr" 2>/dev/null
	printf '%b' "$3" >"$P/$1.ext"
	openssl x509 -req -in "$P/$1.csr" -CA "$P/ca.crt" -CAkey "$P/ca.key" -CAcreateserial -days 1 \
		-extfile "$P/$1.ext" -out "$P/$1.crt" 2>/dev/null
}
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 -subj /CN=syncwave-e2e-ca \
	-keyout "$P/ca.key" -out "$P/ca.crt" 2>/dev/null || fail "openssl could not create the CA"
cert apiserver /CN=kube-apiserver "subjectAltName=IP:127.0.0.1,IP:10.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature,keyEncipherment\n"
cert admin "/O=system:masters/CN=syncwave-e2e-admin" "extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature,keyEncipherment\n"
openssl genrsa -out "$P/sa.key" 2048 2>/dev/null && openssl rsa -in "$P/sa.key" -pubout -out "$P/sa.pub" 2>/dev/null ||
	fail "openssl could not create the service-account key"
[[ -s $P/admin.crt && -s $P/apiserver.crt ]] || fail "openssl could not create the certificates"
cat >"$KUBECONFIG" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: e2e
  cluster: {server: "https://127.0.0.1:6443", certificate-authority: "$P/ca.crt"}
users:
- name: admin
  user: {client-certificate: "$P/admin.crt", client-key: "$P/admin.key"}
contexts:
- name: e2e
  context: {cluster: e2e, user: admin}
current-context: e2e
EOF
log "certificates generated"

KCURL=(curl -sS --max-time 10 --cacert "$P/ca.crt" --cert "$P/admin.crt" --key "$P/admin.key")
api_ok() { [[ $("${KCURL[@]}" "https://127.0.0.1:6443$1") == ok ]]; }
api_get() { "${KCURL[@]}" -f -o /dev/null "https://127.0.0.1:6443$1"; }
api_create() { # api_create URL FILE: POSTs one YAML document.
	"${KCURL[@]}" --fail-with-body -o "$LOGS/api-create.out" -X POST -H 'Content-Type: application/yaml' \
		--data-binary @"$2" "https://127.0.0.1:6443$1" || {
		cat "$LOGS/api-create.out" >&2
		fail "creating $2 at $1 failed"
	}
}
http_ok() { curl -ksSf --max-time 5 -o /dev/null "$1"; }

# --- etcd, control plane, kwok -------------------------------------------------------------
start etcd -- "$BIN/etcd" --name e2e --data-dir "$RUN/etcd" \
	--listen-client-urls http://127.0.0.1:2379 --advertise-client-urls http://127.0.0.1:2379 \
	--listen-peer-urls http://127.0.0.1:2380 --initial-advertise-peer-urls http://127.0.0.1:2380 \
	--initial-cluster e2e=http://127.0.0.1:2380 --unsafe-no-fsync --log-level warn
wait_for etcd 30 "etcd healthy" bash -c 'curl -sSf http://127.0.0.1:2379/health | grep -q "\"health\":\"true\""'

start kube-apiserver -- "$BIN/kube-apiserver" --bind-address=127.0.0.1 --secure-port=6443 --advertise-address=127.0.0.1 \
	--etcd-servers=http://127.0.0.1:2379 \
	--tls-cert-file="$P/apiserver.crt" --tls-private-key-file="$P/apiserver.key" --client-ca-file="$P/ca.crt" \
	--service-account-issuer=https://kubernetes.default.svc.cluster.local \
	--service-account-key-file="$P/sa.pub" --service-account-signing-key-file="$P/sa.key" \
	--service-cluster-ip-range=10.0.0.0/24 --authorization-mode=Node,RBAC \
	--enable-priority-and-fairness=false --endpoint-reconciler-type=none --profiling=false --v=1
wait_for kube-apiserver 90 "kube-apiserver ready" api_ok /readyz

start kube-controller-manager -- "$BIN/kube-controller-manager" --kubeconfig="$KUBECONFIG" \
	--bind-address=127.0.0.1 --secure-port=10257 --leader-elect=false --controllers='*' \
	--service-account-private-key-file="$P/sa.key" --root-ca-file="$P/ca.crt" \
	--cluster-signing-cert-file="$P/ca.crt" --cluster-signing-key-file="$P/ca.key" \
	--use-service-account-credentials=false --profiling=false --v=1
start kube-scheduler -- "$BIN/kube-scheduler" --kubeconfig="$KUBECONFIG" \
	--bind-address=127.0.0.1 --secure-port=10259 --leader-elect=false --profiling=false --v=1
start kwok KUBE_FEATURE_WatchListClient=false -- "$BIN/kwok" --kubeconfig="$KUBECONFIG" \
	--config="$E2E_CACHE/kwok-stages.yaml" --manage-all-nodes=false \
	--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake \
	--server-address=127.0.0.1:10247 --node-ip=127.0.0.2
api_create /api/v1/nodes "$HERE/manifests/node.yaml"
wait_for kube-controller-manager 60 "kube-controller-manager healthy" http_ok https://127.0.0.1:10257/healthz
wait_for kube-scheduler 60 "kube-scheduler healthy" http_ok https://127.0.0.1:10259/healthz
wait_for kwok 60 "kwok healthy" http_ok http://127.0.0.1:10247/healthz

# --- Argo CD's CRDs and configuration (what the install manifests would create) ------------
for f in "$CRDS"/*.yaml; do
	api_create /apis/apiextensions.k8s.io/v1/customresourcedefinitions "$f"
done
api_create /api/v1/namespaces "$HERE/manifests/argocd-namespace.yaml"
api_create /api/v1/namespaces/argocd/configmaps "$HERE/manifests/argocd-cm.yaml"
api_create /api/v1/namespaces/argocd/secrets "$HERE/manifests/argocd-secret.yaml"
api_create /api/v1/namespaces/argocd/configmaps "$HERE/manifests/argocd-rbac-cm.yaml"
wait_for kube-apiserver 30 "Argo CD CRDs served" api_get /apis/argoproj.io/v1alpha1/namespaces/argocd/appprojects
api_create /apis/argoproj.io/v1alpha1/namespaces/argocd/appprojects "$HERE/manifests/appproject-default.yaml"

# --- redis ----------------------------------------------------------------------------------
redis_ping() { exec 3<>/dev/tcp/127.0.0.1/6379 && printf 'PING\r\n' >&3 && read -r -t 2 line <&3 && [[ $line == +PONG* ]]; }
mkdir -p "$RUN/redis"
start redis -- redis-server --bind 127.0.0.1 --port 6379 --save '' --appendonly no --dir "$RUN/redis"
wait_for redis 20 "redis answers PING" redis_ping

# --- Argo CD: cmp-server with syncwave's plugin.yaml, repo-server, application controller ---
mkdir -p "$RUN/cmp-config" "$RUN/cmp-work" "$RUN/repo-tmp"
# The real plugin.yaml; only the binary path changes (the image has it at
# /usr/local/bin/syncwave).
grep -q '/usr/local/bin/syncwave' "$ROOT/plugin.yaml" || fail "plugin.yaml does not run /usr/local/bin/syncwave any more; update stack.sh"
sed "s#/usr/local/bin/syncwave#$BIN/syncwave#g" "$ROOT/plugin.yaml" >"$RUN/cmp-config/plugin.yaml"
PLUGIN=$(sed -n '/^metadata:/,/^[a-z]/s/^  name: *//p' "$RUN/cmp-config/plugin.yaml" | head -1)
[[ -n $PLUGIN ]] || fail "cannot read metadata.name from plugin.yaml"
# Since 3.3 Argo CD's copyutil copies the argocd binary into the shared volume
# and makes argocd-cmp-server a symlink to it; the sidecar command
# /var/run/argocd/argocd-cmp-server then runs argocd, which picks its
# component from the name it was started as. Run it that way (no
# ARGOCD_BINARY_NAME), so the suite fails if the symlink layout stops working.
mkdir -p "$RUN/var-run-argocd"
ln -sfn "$ARGOCD" "$RUN/var-run-argocd/argocd-cmp-server"
# SYNCWAVE_ALLOW_HOSTS: TestDependencyFetch serves its chart repository
# over plain http on 127.0.0.1, which the sidecar's connect policy refuses
# unless the operator allows the host (as a company allows an in-cluster
# ChartMuseum).
# SYNCWAVE_ARGOCD_CM: the stack's argocd-cm, as an operator mounts it into
# the sidecar, so that plan records count its health checks (the Lua check
# for Application that TestArgoCDServer's app of apps waits on).
start argocd-cmp-server ARGOCD_PLUGINSOCKFILEPATH="$SOCK" \
	ARGOCD_CMP_WORKDIR="$RUN/cmp-work" PATH="$BIN:$PATH" SYNCWAVE_ALLOW_HOSTS=127.0.0.1 \
	SYNCWAVE_ARGOCD_CM="$HERE/manifests/argocd-cm.yaml" -- \
	"$RUN/var-run-argocd/argocd-cmp-server" --config-dir-path "$RUN/cmp-config" --loglevel info
wait_for argocd-cmp-server 30 "argocd-cmp-server listening on $SOCK/$PLUGIN.sock" test -S "$SOCK/$PLUGIN.sock"

# Argo CD 3.5+ refuses --disable-tls without an empty --client-ca-path=
# (argo-cd#29661), and runs git-verify-wrapper.sh on every generation, which
# must be on its PATH: E2E_ARGOCD_PATH names the directory holding it (the
# image has /usr/local/bin; a source tree has hack/).
REPO_TLS=(--disable-tls)
if ARGOCD_BINARY_NAME=argocd-repo-server "$ARGOCD" --help 2>&1 | grep -q -- '--client-ca-path'; then
	REPO_TLS+=(--client-ca-path=)
fi
start argocd-repo-server ARGOCD_BINARY_NAME=argocd-repo-server ARGOCD_PLUGINSOCKFILEPATH="$SOCK" \
	ARGOCD_GPG_ENABLED=false TMPDIR="$RUN/repo-tmp" PATH="${E2E_ARGOCD_PATH:+$E2E_ARGOCD_PATH:}$PATH" -- \
	"$ARGOCD" --address 127.0.0.1 --port 8081 --metrics-address 127.0.0.1 --metrics-port 8084 \
	--redis 127.0.0.1:6379 "${REPO_TLS[@]}" --loglevel info
wait_for argocd-repo-server 60 "argocd-repo-server healthy" http_ok http://127.0.0.1:8084/healthz

# ARGOCD_FAKE_IN_CLUSTER: https://kubernetes.default.svc means $KUBECONFIG.
# ARGOCD_SYNC_WAVE_DELAY: Argo CD sleeps 2 s after each wave by default; the
# order does not depend on it (each wave still waits for health).
start argocd-application-controller ARGOCD_BINARY_NAME=argocd-application-controller ARGOCD_FAKE_IN_CLUSTER=true \
	ARGOCD_SYNC_WAVE_DELAY="${E2E_SYNC_WAVE_DELAY:-0}" -- \
	"$ARGOCD" --kubeconfig "$KUBECONFIG" --namespace argocd --redis 127.0.0.1:6379 \
	--repo-server 127.0.0.1:8081 --repo-server-plaintext --metrics-port 8082 \
	--status-processors 2 --operation-processors 2 --app-resync 30 --loglevel info
wait_for argocd-application-controller 60 "argocd-application-controller healthy" http_ok http://127.0.0.1:8082/healthz

# argocd-server (--insecure: plain HTTP on 127.0.0.1:8080; RBAC and local
# users from argocd-rbac-cm and argocd-cm), serving the Sync plan extension
# itself. Argo CD reads extensions only from the fixed /tmp/extensions, so the
# server gets its own mount namespace in which the run's extensions directory,
# in the installer's layout (resources/extension-syncwave.js), is bind-mounted
# over /tmp/extensions: whatever the host has there stays unseen, and nothing
# is written to it. (/tmp itself cannot be replaced by a tmpfs: the cache, and
# with it the kubeconfig, may live under /tmp.) A bind mount needs an existing
# mount point: an empty /tmp/extensions is created when the host has none, and
# left there (removing it would detach the mount of a concurrent run).
BUNDLE=$ROOT/examples/install/ui/extension-syncwave.js
[[ -s $BUNDLE ]] || fail "$BUNDLE is missing (make ui)"
mkdir -p "$RUN/extensions/resources"
cp "$BUNDLE" "$RUN/extensions/resources/extension-syncwave.js"
[[ -d /tmp/extensions ]] || mkdir -p /tmp/extensions || fail "cannot create the mount point /tmp/extensions"
start argocd-server ARGOCD_BINARY_NAME=argocd-server ARGOCD_FAKE_IN_CLUSTER=true -- \
	unshare --mount --propagation private bash -c 'mount --bind "$1" /tmp/extensions && shift && exec "$@"' \
	_ "$RUN/extensions" "$ARGOCD" --kubeconfig "$KUBECONFIG" --namespace argocd --insecure \
	--address 127.0.0.1 --port 8080 --metrics-port 8083 --redis 127.0.0.1:6379 \
	--repo-server 127.0.0.1:8081 --repo-server-plaintext --loglevel info
wait_for argocd-server 60 "argocd-server healthy" http_ok http://127.0.0.1:8080/healthz
# /extensions.js is every extension file under /tmp/extensions, each after a
# "// source: PATH/NAME " line; since 3.5.0 (argo-cd#27513) each file is also
# wrapped in try { ... } catch, so that one failing extension does not stop
# the others. The answer must be the bundle in one of these two framings.
curl -sS --max-time 10 -o "$RUN/extensions.js" http://127.0.0.1:8080/extensions.js ||
	fail "GET /extensions.js from argocd-server failed"
SRC='// source: /tmp/extensions/resources/extension-syncwave.js/extension-syncwave.js '
{ printf '%s\n' "$SRC"; cat "$BUNDLE"; } >"$RUN/extensions.want-2.14.js"
{ printf '%s\ntry {\n' "$SRC"; cat "$BUNDLE"
	printf "\n} catch(e) { console.error('Extension extension-syncwave.js failed to load:', e); }\n"; } >"$RUN/extensions.want-3.5.js"
if cmp -s "$RUN/extensions.js" "$RUN/extensions.want-2.14.js"; then
	EXT_FRAMING="as is"
elif cmp -s "$RUN/extensions.js" "$RUN/extensions.want-3.5.js"; then
	EXT_FRAMING="in try/catch (3.5+)"
else
	fail "argocd-server does not serve $BUNDLE as /extensions.js from its /tmp/extensions (got $RUN/extensions.js; expected $RUN/extensions.want-2.14.js or $RUN/extensions.want-3.5.js)"
fi
log "argocd-server serves the extension from its own /tmp/extensions, $EXT_FRAMING"

# --- the scenarios ------------------------------------------------------------------------------
log "stack up; running the scenarios"
# In the background, so that an interrupt reaches the trap at once.
E2E_KUBECONFIG=$KUBECONFIG E2E_ROOT=$ROOT E2E_SYNCWAVE=$BIN/syncwave E2E_WORK=$RUN/work E2E_PLUGIN=$PLUGIN \
	E2E_ARGOCD_SERVER=127.0.0.1:8080 E2E_SCREENSHOTS=$E2E_CACHE/screenshots \
	"$BIN/e2e.test" -test.v -test.timeout "${E2E_TIMEOUT:-15m}" ${E2E_RUN:+-test.run "$E2E_RUN"} 2>&1 |
	tee "$LOGS/e2e.test.log" &
status=0
wait $! || status=$?
((status == 0)) || fail "scenarios failed (exit $status)"
exit 0
