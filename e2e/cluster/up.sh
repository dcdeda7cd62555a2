#!/usr/bin/env bash
# Starts a real local Kubernetes control plane on 127.0.0.1 with no Docker engine:
# etcd, kube-apiserver (TLS, RBAC, service-account tokens), kube-controller-manager,
# kube-scheduler and kwok managing fake nodes whose pods become Running and Ready.
#
# Idempotent: if the cluster is already up it only prints the export line again.
# The last line printed is one shell line to eval:
#   eval "$(e2e/cluster/up.sh | tail -n 1)"
#
# Environment (defaults in e2e/cluster/lib.sh): TSO_STATE_DIR (logs, data, kubeconfig, pids),
# TSO_CACHE_DIR / TSO_BIN_DIR (built binaries), TSO_*_PORT, TSO_NODES (fake nodes, default 2),
# TSO_POD_READY_DELAY_MS / TSO_POD_READY_JITTER_MS (pod warm-up), TSO_SKIP_BUILD=1 (never build
# the binaries; fail if missing), TSO_SMOKE=0 (skip the smoke Deployment).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() { sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; }
case ${1:-} in
  -h|--help) usage; exit 0 ;;
  "") ;;
  *) echo "up.sh: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
esac

t_start=$SECONDS
mkdir -p "$TSO_STATE_DIR"/{pids,logs,pki}

# --- already up? ------------------------------------------------------------------------------
all_up=1
any_up=0
for c in "${TSO_COMPONENTS[@]}"; do
  if is_running "$c"; then any_up=1; else all_up=0; fi
done
if [[ $all_up == 1 ]] && kubectl_ get --raw /readyz >/dev/null 2>&1; then
  log "already running (state in $TSO_STATE_DIR)"
  export_line
  exit 0
fi
if [[ $any_up == 1 ]]; then
  log "partly running: stopping the rest before a clean start"
  "$(dirname "${BASH_SOURCE[0]}")/down.sh" >/dev/null
fi

# --- binaries ---------------------------------------------------------------------------------
need=(etcd kube-apiserver kube-controller-manager kube-scheduler kubectl kwok)
missing=()
for b in "${need[@]}"; do [[ -x $TSO_BIN_DIR/$b ]] || missing+=("$b"); done
if [[ ${#missing[@]} -gt 0 || ${TSO_SKIP_BUILD:-0} != 1 ]]; then
  if [[ ${TSO_SKIP_BUILD:-0} == 1 ]]; then
    die "missing binaries in $TSO_BIN_DIR: ${missing[*]} (run e2e/tools/build.sh or unset TSO_SKIP_BUILD)"
  fi
  # Cheap when cached: build.sh compares version stamps and returns at once.
  TSO_CACHE_DIR=$TSO_CACHE_DIR "$TSO_REPO/e2e/tools/build.sh" etcd kwok kubernetes >&2 ||
    die "building the control-plane binaries failed (see above)"
  [[ $TSO_BIN_DIR == "$TSO_CACHE_DIR/bin" ]] || die "TSO_BIN_DIR must be \$TSO_CACHE_DIR/bin when building"
fi
for tool in openssl curl; do
  command -v "$tool" >/dev/null || die "'$tool' not found on PATH (run 'make deps')"
done

# --- ports ------------------------------------------------------------------------------------
for p in TSO_ETCD_PORT TSO_ETCD_PEER_PORT TSO_APISERVER_PORT TSO_KCM_PORT TSO_SCHEDULER_PORT TSO_KWOK_PORT; do
  if port_in_use "${!p}"; then
    die "port ${!p} ($p) on 127.0.0.1 is already in use by another process; free it or set $p"
  fi
done

# From here on, anything that fails stops what this run started.
started=()
cleanup_on_failure() {
  local rc=$?
  if [[ $rc != 0 ]]; then
    log "start failed; stopping what was started: ${started[*]:-nothing}"
    for ((i = ${#started[@]} - 1; i >= 0; i--)); do stop_component "${started[$i]}"; done
  fi
}
trap cleanup_on_failure EXIT

start_component() { # start_component NAME ARGS...
  local name=$1
  shift
  setsid "$@" >"$TSO_STATE_DIR/logs/$name.log" 2>&1 </dev/null &
  echo $! >"$(pidfile "$name")"
  started+=("$name")
}

# wait_for NAME SECONDS CMD...: poll CMD until it succeeds; fail naming the component and its log.
wait_for() {
  local name=$1 limit=$2
  shift 2
  local deadline=$((SECONDS + limit))
  until "$@" >/dev/null 2>&1; do
    if ! is_running "$name"; then
      tail -n 20 "$TSO_STATE_DIR/logs/$name.log" >&2 || true
      die "$name exited during start-up (log: $TSO_STATE_DIR/logs/$name.log)"
    fi
    if ((SECONDS > deadline)); then
      tail -n 20 "$TSO_STATE_DIR/logs/$name.log" >&2 || true
      die "$name not ready after ${limit}s (log: $TSO_STATE_DIR/logs/$name.log)"
    fi
    sleep 0.2
  done
}

# --- certificates (kept between runs) ---------------------------------------------------------
pki=$TSO_STATE_DIR/pki
if [[ ! -f $pki/admin.crt || ! -f $pki/sa.key ]]; then
  log "generating a CA, the serving/admin certificate and the service-account key"
  (
    cd "$pki"
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -keyout ca.key -out ca.crt \
      -subj "/CN=throughput-operator-local-ca" 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -keyout admin.key -out admin.csr \
      -subj "/O=system:masters/CN=kubernetes-admin" 2>/dev/null
    cat >admin.ext <<'EOF'
basicConstraints=CA:FALSE
keyUsage=digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth,clientAuth
subjectAltName=DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local,IP:127.0.0.1,IP:10.0.0.1
EOF
    openssl x509 -req -in admin.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 3650 \
      -extfile admin.ext -out admin.crt 2>/dev/null
    openssl genrsa -out sa.key 2048 2>/dev/null
    openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null
    rm -f admin.csr
  ) || die "openssl failed to generate certificates in $pki"
fi

b64() { base64 -w0 <"$1"; }
cat >"$TSO_STATE_DIR/kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: tso-local
  cluster:
    server: https://127.0.0.1:$TSO_APISERVER_PORT
    certificate-authority-data: $(b64 "$pki/ca.crt")
users:
- name: tso-admin
  user:
    client-certificate-data: $(b64 "$pki/admin.crt")
    client-key-data: $(b64 "$pki/admin.key")
contexts:
- name: tso-local
  context: {cluster: tso-local, user: tso-admin, namespace: default}
current-context: tso-local
EOF
chmod 600 "$TSO_STATE_DIR/kubeconfig"

# --- etcd (fresh data each start: tests want a clean cluster) ---------------------------------
rm -rf "$TSO_STATE_DIR/etcd"
log "starting etcd on 127.0.0.1:$TSO_ETCD_PORT"
start_component etcd "$TSO_BIN_DIR/etcd" --name tso --data-dir "$TSO_STATE_DIR/etcd" \
  --listen-client-urls "http://127.0.0.1:$TSO_ETCD_PORT" \
  --advertise-client-urls "http://127.0.0.1:$TSO_ETCD_PORT" \
  --listen-peer-urls "http://127.0.0.1:$TSO_ETCD_PEER_PORT" \
  --initial-advertise-peer-urls "http://127.0.0.1:$TSO_ETCD_PEER_PORT" \
  --initial-cluster "tso=http://127.0.0.1:$TSO_ETCD_PEER_PORT" \
  --unsafe-no-fsync=true --quota-backend-bytes=2147483648
wait_for etcd 20 curl -sf "http://127.0.0.1:$TSO_ETCD_PORT/health"

# --- kube-apiserver ---------------------------------------------------------------------------
log "starting kube-apiserver on https://127.0.0.1:$TSO_APISERVER_PORT"
# shellcheck disable=SC2054  # Node,RBAC is one flag value
apiserver_args=(
  --etcd-servers "http://127.0.0.1:$TSO_ETCD_PORT"
  --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$TSO_APISERVER_PORT"
  --cert-dir "$pki" --tls-cert-file "$pki/admin.crt" --tls-private-key-file "$pki/admin.key"
  --client-ca-file "$pki/ca.crt"
  --service-account-issuer https://kubernetes.default.svc.cluster.local
  --service-account-key-file "$pki/sa.pub" --service-account-signing-key-file "$pki/sa.key"
  --service-cluster-ip-range 10.0.0.0/24 --authorization-mode Node,RBAC --allow-privileged=true
  --enable-priority-and-fairness=false --profiling=false
)
# restart-apiserver.sh reuses the exact same arguments.
printf '%s\n' "${apiserver_args[@]}" >"$TSO_STATE_DIR/kube-apiserver.args"
start_component kube-apiserver "$TSO_BIN_DIR/kube-apiserver" "${apiserver_args[@]}"
wait_for kube-apiserver 60 kubectl_ get --raw /readyz

# --- controller-manager, scheduler, kwok ------------------------------------------------------
kc=$TSO_STATE_DIR/kubeconfig
log "starting kube-controller-manager, kube-scheduler and kwok"
start_component kube-controller-manager "$TSO_BIN_DIR/kube-controller-manager" \
  --kubeconfig "$kc" --authentication-kubeconfig "$kc" --authorization-kubeconfig "$kc" \
  --bind-address 127.0.0.1 --secure-port "$TSO_KCM_PORT" --leader-elect=false \
  --controllers '*' --use-service-account-credentials \
  --service-account-private-key-file "$pki/sa.key" --root-ca-file "$pki/ca.crt" \
  --cluster-signing-cert-file "$pki/ca.crt" --cluster-signing-key-file "$pki/ca.key" \
  --service-cluster-ip-range 10.0.0.0/24 --horizontal-pod-autoscaler-sync-period 15s \
  --cert-dir "$TSO_STATE_DIR/kcm-certs"
start_component kube-scheduler "$TSO_BIN_DIR/kube-scheduler" \
  --kubeconfig "$kc" --authentication-kubeconfig "$kc" --authorization-kubeconfig "$kc" \
  --bind-address 127.0.0.1 --secure-port "$TSO_SCHEDULER_PORT" --leader-elect=false \
  --cert-dir "$TSO_STATE_DIR/scheduler-certs"

# kwok loads no default stages: assemble them from the module's stage files, with the pod
# readiness delay (the warm-up model) set from TSO_POD_READY_DELAY_MS and short other delays.
# kwok treats a jitter as the upper end of the delay ("jitter <= delay" means "use the jitter"),
# so without jitter the jitter lines are dropped; that also lets a pod's own
# pod-ready.stage.kwok.x-k8s.io/delay annotation stand alone.
stages=$TSO_CACHE_DIR/kwok-stages
[[ -d $stages ]] || die "kwok stage files missing in $stages (run e2e/tools/build.sh kwok)"
drop_jitter() { awk '/jitterDurationMilliseconds:/ {next} /jitterDurationFrom:/ {skip=1; next} skip && /expressionFrom:/ {skip=0; next} {skip=0; print}'; }
kwok_cfg=$TSO_STATE_DIR/kwok.yaml
: >"$kwok_cfg"
for f in node/fast/node-initialize.yaml node/heartbeat-with-lease/node-heartbeat-with-lease.yaml \
  pod/general/pod-create.yaml pod/general/pod-init-container-running.yaml \
  pod/general/pod-init-container-completed.yaml pod/general/pod-ready.yaml \
  pod/general/pod-complete.yaml pod/general/pod-delete.yaml; do
  [[ -f $stages/$f ]] || die "kwok stage file missing: $stages/$f"
  echo "---" >>"$kwok_cfg"
  case $f in
    */pod-ready.yaml)
      if [[ $TSO_POD_READY_JITTER_MS == 0 ]]; then
        sed -e "s/durationMilliseconds: 1000/durationMilliseconds: $TSO_POD_READY_DELAY_MS/" "$stages/$f" | drop_jitter >>"$kwok_cfg"
      else
        sed -e "s/durationMilliseconds: 1000/durationMilliseconds: $TSO_POD_READY_DELAY_MS/" \
          -e "s/jitterDurationMilliseconds: 5000/jitterDurationMilliseconds: $((TSO_POD_READY_DELAY_MS + TSO_POD_READY_JITTER_MS))/" \
          "$stages/$f" >>"$kwok_cfg"
      fi ;;
    pod/*) sed -e "s/durationMilliseconds: 1000/durationMilliseconds: 100/" "$stages/$f" | drop_jitter >>"$kwok_cfg" ;;
    *) cat "$stages/$f" >>"$kwok_cfg" ;;
  esac
done
start_component kwok "$TSO_BIN_DIR/kwok" --kubeconfig "$kc" --config "$kwok_cfg" \
  --manage-nodes-with-annotation-selector kwok.x-k8s.io/node=fake \
  --node-lease-duration-seconds 40 --server-address "127.0.0.1:$TSO_KWOK_PORT" \
  --cidr 10.244.0.0/16 --node-ip 127.0.0.1

wait_for kube-controller-manager 60 curl -skf "https://127.0.0.1:$TSO_KCM_PORT/healthz"
wait_for kube-scheduler 60 curl -skf "https://127.0.0.1:$TSO_SCHEDULER_PORT/healthz"

# --- fake nodes ---------------------------------------------------------------------------------
for ((n = 0; n < TSO_NODES; n++)); do
  cat <<EOF
---
apiVersion: v1
kind: Node
metadata:
  name: kwok-node-$n
  annotations: {kwok.x-k8s.io/node: fake, node.alpha.kubernetes.io/ttl: "0"}
  labels: {type: kwok, kubernetes.io/os: linux, kubernetes.io/arch: amd64, kubernetes.io/hostname: kwok-node-$n}
status:
  allocatable: {cpu: "64", memory: 256Gi, pods: "250"}
  capacity: {cpu: "64", memory: 256Gi, pods: "250"}
EOF
done | kubectl_ apply -f - >/dev/null || die "creating the fake nodes failed"
wait_for kwok 30 kubectl_ wait --for=condition=Ready node --all --timeout=1s
wait_for kube-controller-manager 30 kubectl_ get serviceaccount default -n default

# --- smoke: a Deployment must reach its ready replicas ------------------------------------------
if [[ ${TSO_SMOKE:-1} != 0 ]]; then
  kubectl_ create namespace tso-smoke >/dev/null 2>&1 || true
  wait_for kube-controller-manager 30 kubectl_ get serviceaccount default -n tso-smoke
  kubectl_ apply -n tso-smoke -f - >/dev/null <<'EOF' || die "creating the smoke Deployment failed"
apiVersion: apps/v1
kind: Deployment
metadata: {name: smoke}
spec:
  replicas: 2
  selector: {matchLabels: {app: smoke}}
  template:
    metadata:
      labels: {app: smoke}
      annotations: {pod-ready.stage.kwok.x-k8s.io/delay: "0s"}
    spec:
      containers: [{name: app, image: registry.invalid/smoke:1}]
EOF
  wait_for kube-scheduler 30 kubectl_ -n tso-smoke rollout status deploy/smoke --timeout=1s
  kubectl_ delete namespace tso-smoke --wait=false >/dev/null
fi

trap - EXIT
log "ready in $((SECONDS - t_start)) s; state, logs and kubeconfig in $TSO_STATE_DIR"
export_line
