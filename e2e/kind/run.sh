#!/usr/bin/env bash
# End-to-end on kind, for machines with a Docker engine: creates a kind cluster, builds the
# operator image (Dockerfile) and loads it into the cluster, installs a plain Prometheus
# (e2e/kind/prometheus.yaml), installs the chart with that image, runs the cluster-agnostic
# scenario runner e2e/scenario/run.sh against it (it asserts the workload was scaled ahead of the
# spike), and deletes the cluster on exit, failed or not.
#
# Usage: e2e/kind/run.sh [--keep] [--setup-only]
#   --keep        leave the cluster running afterwards (kind delete cluster --name $TSO_KIND_CLUSTER)
#   --setup-only  stop after the chart is installed (implies --keep); prints the export line
# Env: TSO_KIND_CLUSTER (default tso-e2e), TSO_KIND_NODE_IMAGE (kind's default if empty),
#      TSO_IMAGE (default throughput-operator:e2e), TSO_CACHE_DIR (kind/helm/kubectl are in its
#      bin/, built by `make tools`), TSO_SCENARIO (default e2e/scenario/run.sh).
# The scenario runner gets KUBECONFIG, TSO_PROMETHEUS_URL (a port-forward to the in-cluster
# Prometheus), TSO_OPERATOR=in-cluster and TSO_OPERATOR_NAMESPACE: the operator already runs in
# the cluster, so the runner must not start one of its own.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
bin=${TSO_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/throughput-operator}/bin
cluster=${TSO_KIND_CLUSTER:-tso-e2e}
image=${TSO_IMAGE:-throughput-operator:e2e}
scenario=${TSO_SCENARIO:-$repo/e2e/scenario/run.sh}
operator_ns=throughput-system
release=tso
prom_port=${TSO_KIND_PROM_PORT:-29090}

log() { echo "[kind-e2e] $*" >&2; }
die() { echo "[kind-e2e] ERROR: $*" >&2; exit 1; }
usage() { sed -n '2,/^set -/{/^#/p}' "$0" | sed 's/^# \{0,1\}//'; }

keep=0
setup_only=0
for arg in "$@"; do
  case $arg in
    --keep) keep=1 ;;
    --setup-only) setup_only=1; keep=1 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "run.sh: unknown argument '$arg'" >&2; usage >&2; exit 2 ;;
  esac
done

# --- preconditions, all before anything is created -----------------------------------------------
command -v docker >/dev/null || die "'docker' not found: the kind end-to-end needs Docker (without it, use the local control plane: make integration)"
if ! docker_err=$(docker info 2>&1 >/dev/null); then
  die "docker has no engine ('docker info' failed: $(tail -n 1 <<<"$docker_err")); start Docker, or use the local control plane (make integration), which needs none"
fi
for tool in kind helm kubectl; do
  [[ -x $bin/$tool ]] || die "$bin/$tool not found (run 'make tools')"
done
if [[ $setup_only == 0 && ! -x $scenario ]]; then
  die "the scenario runner $scenario is not there yet (issue 6: it is written separately); run with --setup-only to bring up the cluster, image, Prometheus and chart without it"
fi
kind=$bin/kind
export PATH=$bin:$PATH
work=$(mktemp -d)
export KUBECONFIG=$work/kubeconfig
if [[ $keep == 1 ]]; then
  KUBECONFIG=${TSO_KIND_KUBECONFIG:-$HOME/.kube/tso-kind-$cluster}
  mkdir -p "$(dirname "$KUBECONFIG")"
fi

forward_pid=""
created=0
teardown() {
  local rc=$?
  [[ -n $forward_pid ]] && kill "$forward_pid" 2>/dev/null
  if [[ $created == 1 && $keep == 0 ]]; then
    log "deleting kind cluster $cluster"
    "$kind" delete cluster --name "$cluster" >&2 || log "kind delete cluster --name $cluster failed; delete it by hand"
  fi
  rm -rf "$work"
  if [[ $rc != 0 ]]; then log "FAILED (exit $rc)"; fi
}
trap teardown EXIT

# --- cluster and image ---------------------------------------------------------------------------
if "$kind" get clusters 2>/dev/null | grep -qx "$cluster"; then
  die "a kind cluster named $cluster already exists; delete it (kind delete cluster --name $cluster) or set TSO_KIND_CLUSTER"
fi
log "creating kind cluster $cluster"
node_image=()
[[ -n ${TSO_KIND_NODE_IMAGE:-} ]] && node_image=(--image "$TSO_KIND_NODE_IMAGE")
created=1
"$kind" create cluster --name "$cluster" --kubeconfig "$KUBECONFIG" --wait 180s "${node_image[@]}" >&2
log "building $image"
docker build -t "$image" "$repo" >&2
"$kind" load docker-image "$image" --name "$cluster" >&2

# --- Prometheus and the chart --------------------------------------------------------------------
log "installing Prometheus (e2e/kind/prometheus.yaml)"
kubectl apply -f "$repo/e2e/kind/prometheus.yaml" >&2
kubectl -n monitoring rollout status deployment/prometheus --timeout 180s >&2
log "installing the chart with $image"
helm install "$release" "$repo/charts/throughput-operator" --namespace "$operator_ns" --create-namespace \
  --set image.repository="${image%:*}" --set image.tag="${image##*:}" --set image.pullPolicy=Never \
  --set prometheus.address=http://prometheus.monitoring.svc:9090 \
  --set-string 'metrics.service.annotations.prometheus\.io/scrape=true' \
  --set logFormat=text --wait --timeout 180s >&2
kubectl -n "$operator_ns" get pods -o wide >&2

if [[ $setup_only == 1 ]]; then
  log "set up; the cluster stays (kind delete cluster --name $cluster). Use it with:"
  echo "export KUBECONFIG=$KUBECONFIG"
  exit 0
fi

# --- the scenario --------------------------------------------------------------------------------
kubectl -n monitoring port-forward svc/prometheus "$prom_port:9090" >"$work/port-forward.log" 2>&1 &
forward_pid=$!
for _ in $(seq 100); do
  curl -sf "http://127.0.0.1:$prom_port/-/ready" >/dev/null 2>&1 && break
  kill -0 "$forward_pid" 2>/dev/null || die "kubectl port-forward to Prometheus exited: $(cat "$work/port-forward.log")"
  sleep 0.2
done
curl -sf "http://127.0.0.1:$prom_port/-/ready" >/dev/null 2>&1 || die "Prometheus not reachable through the port-forward on $prom_port"
log "running the scenario ($scenario)"
TSO_PROMETHEUS_URL=http://127.0.0.1:$prom_port TSO_OPERATOR=in-cluster TSO_OPERATOR_NAMESPACE=$operator_ns \
  "$scenario"
log "passed"
