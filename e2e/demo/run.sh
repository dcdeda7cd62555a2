#!/usr/bin/env bash
# `make demo`: the operator against the local control plane with a sample workload.
#
# Starts (all on 127.0.0.1) the local Kubernetes control plane, Debian's Prometheus, a load
# generator whose demand follows a compressed 10-minute "day" with a 3x spike every 2 minutes,
# a Deployment "checkout" whose pods take 20 s to become Ready (kwok), a ThroughputService for
# it, and the operator. Then it prints, every few seconds, demand, forecast and replicas, and
# marks each spike with whether the pods were Ready before it began. Ctrl-C stops what it started.
#
# Usage: e2e/demo/run.sh [BUILD_DIR]    Env: TSO_DEMO_DURATION=SECONDS (default: until Ctrl-C)
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=${1:-$repo/build}
bin=$build/throughput-operator
export PATH=$PATH:/usr/local/go/bin
# shellcheck source-path=SCRIPTDIR source=../cluster/lib.sh
source "$repo/e2e/cluster/lib.sh"
[[ -x $bin ]] || die "no operator binary at $bin (run 'make build')"

ns=tso-demo
loadgen_port=${TSO_DEMO_LOADGEN_PORT:-19101}
op_port=${TSO_DEMO_OPERATOR_PORT:-18080}
duration=${TSO_DEMO_DURATION:-0}
pids=()
cluster_was_up=0
is_running kube-apiserver && cluster_was_up=1

cleanup() {
  echo
  log "stopping the demo"
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -f "$TSO_STATE_DIR/prometheus/targets/demo-loadgen.json"
  if [[ $cluster_was_up == 0 ]]; then
    "$repo/e2e/cluster/down.sh" >/dev/null 2>&1 || true
    log "stopped the local cluster and Prometheus it started"
  else
    kubectl delete namespace "$ns" --wait=false >/dev/null 2>&1 || true
    log "left the cluster running (it was up before the demo); removed namespace $ns"
  fi
}
trap cleanup EXIT
trap 'exit 0' INT TERM

kube_line=$("$repo/e2e/cluster/up.sh" | tail -n 1)
[[ $kube_line == export* ]] || die "the local control plane did not start"
eval "$kube_line"
prom_line=$("$repo/e2e/prometheus/up.sh" | tail -n 1)
[[ $prom_line == export* ]] || die "Prometheus did not start"
eval "$prom_line"

for p in $loadgen_port $op_port; do
  port_in_use "$p" && die "port $p is in use (set TSO_DEMO_LOADGEN_PORT / TSO_DEMO_OPERATOR_PORT)"
done

"$bin" loadgen --listen "127.0.0.1:$loadgen_port" --base 100 --peak 300 --period 10m \
  --spike-every 2m --spike-offset 60s --spike-duration 40s --spike-multiplier 3 \
  >"$TSO_STATE_DIR/logs/demo-loadgen.log" 2>&1 &
pids+=($!)
echo "[{\"targets\": [\"127.0.0.1:$loadgen_port\"], \"labels\": {\"job\": \"demo-loadgen\"}}]" \
  >"$TSO_STATE_DIR/prometheus/targets/demo-loadgen.json"

kubectl apply -f "$repo/crds/throughput.dev_throughputservices.yaml" >/dev/null
kubectl wait --for=condition=Established crd/throughputservices.throughput.dev --timeout=30s >/dev/null
kubectl create namespace "$ns" --dry-run=client -o yaml | kubectl apply -f - >/dev/null
until kubectl get serviceaccount default -n "$ns" >/dev/null 2>&1; do sleep 0.2; done
kubectl apply -n "$ns" -f - >/dev/null <<'EOF'
apiVersion: apps/v1
kind: Deployment
metadata: {name: checkout}
spec:
  replicas: 3
  selector: {matchLabels: {app: checkout}}
  template:
    metadata:
      labels: {app: checkout}
      # kwok: Ready 20 s after start, a stand-in for a real warm-up.
      annotations: {pod-ready.stage.kwok.x-k8s.io/delay: "20s"}
    spec:
      containers: [{name: app, image: registry.invalid/checkout:1}]
---
apiVersion: throughput.dev/v1alpha1
kind: ThroughputService
metadata: {name: checkout}
spec:
  targetRef: {kind: Deployment, name: checkout}
  demand:
    query: 'sum(rate(tso_demo_requests_total{service="demo"}[4s]))'
    step: 2s
    history: 1h
  capacity: {perReplica: 50, targetUtilization: 0.8}
  replicas: {min: 2, max: 40}
  forecast: {quantile: 0.9, leadTime: Auto}
  behavior:
    scaleDown: {stabilizationWindowSeconds: 20}
EOF

"$bin" run --namespace "$ns" --prometheus-address "$TSO_PROMETHEUS_URL" \
  --metrics-bind-address "127.0.0.1:$op_port" >"$TSO_STATE_DIR/logs/demo-operator.log" 2>&1 &
pids+=($!)

cat <<MSG

The demo is running. Demand has a 3x spike every 2 minutes (at :01:00, :03:00, ... UTC for
40 s); pods need 20 s to become Ready. The first spikes teach the model; after a few, the
operator raises the replicas *before* each spike (watch the 'ready' column at spike start).

Where to look (in another shell):
  $kube_line
  kubectl get tps -n $ns -w                       # Replicas, Desired, Actual, Predicted
  kubectl describe tps -n $ns checkout            # conditions and Events (ScaledAhead)
  open http://127.0.0.1:$op_port/                  # the operator's dashboard: predicted vs actual
  open $TSO_PROMETHEUS_URL/graph?g0.expr=tso_demand_actual%20or%20tso_demand_predicted
  curl -s http://127.0.0.1:$op_port/metrics | grep '^tso_'
Logs: $TSO_STATE_DIR/logs/demo-operator.log    Stop: Ctrl-C

MSG

start=$SECONDS
printf '%-9s %8s %10s %8s %8s %6s  %s\n' "time" "demand" "predicted" "desired" "ready" "winner" "note"
while true; do
  if [[ $duration -gt 0 && $((SECONDS - start)) -ge $duration ]]; then break; fi
  for p in "${pids[@]}"; do
    kill -0 "$p" 2>/dev/null || die "a demo process exited; see $TSO_STATE_DIR/logs/demo-*.log"
  done
  now=$(date -u +%s)
  status=$(kubectl get tps checkout -n "$ns" -o json 2>/dev/null || echo '{}')
  ready=$(kubectl get deployment checkout -n "$ns" -o jsonpath='{.status.readyReplicas}' 2>/dev/null || echo 0)
  read -r demand predicted desired winner < <(python3 -c '
import json,sys
s=json.load(sys.stdin).get("status",{})
r=s.get("recommendation",{})
print(round(s.get("currentDemand",0),1), round(s.get("predictedDemand",0),1), s.get("desiredReplicas","-"), r.get("winner","-"))' <<<"$status")
  in_period=$((now % 120))
  note=""
  if ((in_period >= 56 && in_period < 60)); then note="spike in $((60 - in_period)) s (${ready:-0} pods ready)"; fi
  if ((in_period >= 60 && in_period < 100)); then note="spike"; fi
  printf '%-9s %8s %10s %8s %8s %6s  %s\n' "$(date -u +%H:%M:%S)" "$demand" "$predicted" "$desired" "${ready:-0}" "$winner" "$note"
  sleep 4
done
