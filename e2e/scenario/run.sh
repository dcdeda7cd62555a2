#!/usr/bin/env bash
# The end-to-end scenario, on any cluster in $KUBECONFIG: a Deployment whose pods need a warm-up,
# a demand with a spike during seconds 40-59 of every minute (400 against a base of 100; one
# replica serves 50, so a spike needs 8), a ThroughputService for it; then it watches two spikes
# and asserts the workload was scaled ahead of each: spec.replicas raised and 8 pods Ready before
# the spike starts, and brought back down between spikes (so each spike is a fresh scale-up).
# It cleans up its namespace (and the operator it started) on exit.
#
# Usage: e2e/scenario/run.sh [OPERATOR_BINARY]     (default build/throughput-operator)
# Exit: 0 passed, 1 failed, 77 skipped (no KUBECONFIG / TSO_PROMETHEUS_URL, and CI is not true).
# Env:
#   KUBECONFIG, TSO_PROMETHEUS_URL   the cluster and the Prometheus the operator queries (required)
#   TSO_OPERATOR                     unset: start the operator as a local process (the local
#                                    control plane with kwok: warm-up by kwok's pod-ready delay,
#                                    demand by PromQL over time(), so history exists at once);
#                                    in-cluster: the operator already runs (the chart, on kind)
#   TSO_OPERATOR_NAMESPACE           where the in-cluster operator runs (for its logs on failure)
#   TSO_IMAGE                        in-cluster: image with the loadgen (default throughput-operator:e2e)
#   TSO_SCENARIO_TIMEOUT             seconds to wait for two provisioned spikes (default 240
#                                    locally, 900 in-cluster, where the model learns from scratch)
#
# In-cluster (kind), the demand comes from `throughput-operator loadgen` in a Deployment with a
# Service annotated prometheus.io/scrape, which the plain Prometheus of e2e/kind/prometheus.yaml
# scrapes every 5 s; the model needs a few spikes of history before it forecasts them, hence the
# longer timeout. Pods there are real (registry.k8s.io/pause) and the warm-up is a readinessProbe
# with initialDelaySeconds.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$repo/e2e/scenario/lib.sh"

bin=${1:-$repo/build/throughput-operator}
mode=${TSO_OPERATOR:-local}
if [[ -z ${KUBECONFIG:-} || -z ${TSO_PROMETHEUS_URL:-} ]]; then
  # 77 = skipped for ctest; with CI=true nothing may skip.
  [[ ${CI:-} == true ]] && scn_die "KUBECONFIG and TSO_PROMETHEUS_URL must be set (CI=true)"
  scn_log "skipped: KUBECONFIG and TSO_PROMETHEUS_URL must be set (scripts/integration.sh sets both)"
  exit 77
fi
case $mode in
  local | in-cluster) ;;
  *) scn_die "TSO_OPERATOR must be unset or 'in-cluster', not '$mode'" ;;
esac

ns=tso-scenario-$(date +%s)-$$
name=web
warmup=8      # seconds from pod start to Ready
need=8        # replicas a spike needs: 400 / 50
period=60 spike_at=40
logf=${TMPDIR:-/tmp}/$ns-operator.log

cleanup() {
  local rc=$?
  scn_stop_operator
  kubectl delete namespace "$ns" --wait=false >/dev/null 2>&1 || true
  if [[ $rc != 0 ]]; then
    if [[ $mode == local && -f $logf ]]; then
      echo "--- operator log (last 30 lines of $logf)" >&2
      tail -n 30 "$logf" >&2
    elif [[ $mode == in-cluster ]]; then
      kubectl logs -n "${TSO_OPERATOR_NAMESPACE:-throughput-system}" -l app.kubernetes.io/name=throughput-operator --tail=30 >&2 || true
    fi
  fi
  scn_log "removed namespace $ns"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

scn_crd "$repo"
scn_namespace "$ns"
scn_log "namespace $ns ($mode operator)"

if [[ $mode == local ]]; then
  timeout=${TSO_SCENARIO_TIMEOUT:-240}
  scn_workload "$ns" "$name" 2 "$warmup" kwok
  query="vector(100 + 300 * (time() % $period >= bool $spike_at))"
  scn_service "$ns" "$name" "$query" 10s 2s
  scn_start_operator "$bin" "$ns" "$(scn_free_port)" "$logf"
else
  timeout=${TSO_SCENARIO_TIMEOUT:-900}
  scn_workload "$ns" "$name" 2 "$warmup" probe
  kubectl apply -n "$ns" -f - >/dev/null <<YAML || scn_die "cannot create the load generator"
apiVersion: apps/v1
kind: Deployment
metadata: {name: loadgen}
spec:
  replicas: 1
  selector: {matchLabels: {app: loadgen}}
  template:
    metadata: {labels: {app: loadgen}}
    spec:
      containers:
      - name: loadgen
        image: ${TSO_IMAGE:-throughput-operator:e2e}
        imagePullPolicy: IfNotPresent
        command: [/throughput-operator, loadgen, --listen, "0.0.0.0:9101", --base, "100", --peak, "100",
                  --spike-every, ${period}s, --spike-offset, ${spike_at}s, --spike-duration, "$((period - spike_at))s",
                  --spike-multiplier, "4"]
        ports: [{name: metrics, containerPort: 9101}]
---
apiVersion: v1
kind: Service
metadata:
  name: loadgen
  annotations: {prometheus.io/scrape: "true", prometheus.io/port: "9101"}
spec:
  selector: {app: loadgen}
  ports: [{name: metrics, port: 9101}]
YAML
  scn_service "$ns" "$name" "max(tso_demo_demand{kubernetes_namespace=\"$ns\"})" 15s 5s
fi

# Wait for the forecast, then watch the spikes. Each check happens in the second before a spike
# starts (second 39 of the minute, wall clock, as the demand is aligned to time()).
start=$SECONDS
until [[ $(scn_condition "$ns" "$name" ForecastReady) == True ]]; do
  ((SECONDS - start < timeout)) || scn_die "ForecastReady not True after ${timeout} s"
  sleep 1
done
scn_log "ForecastReady after $((SECONDS - start)) s; watching spikes (each needs $need Ready pods by :$spike_at)"

provisioned=0 went_low=0 checked_minute=-1
while ((provisioned < 2)); do
  ((SECONDS - start < timeout)) || scn_die "only $provisioned of 2 spikes were provisioned ahead within ${timeout} s"
  read -r spec ready < <(kubectl get deployment "$name" -n "$ns" \
    -o jsonpath='{.spec.replicas} {.status.readyReplicas}{"\n"}' 2>/dev/null || echo "0 0")
  ready=${ready:-0}
  now=$(date +%s.%N)
  sec=$(awk -v t="$now" -v p="$period" 'BEGIN { printf "%.1f", t - p * int(t / p) }')
  minute=$(awk -v t="$now" -v p="$period" 'BEGIN { print int(t / p) }')
  if awk -v s="$sec" -v a="$spike_at" 'BEGIN { exit !(s < a - 12) }' && ((spec < need)); then
    went_low=1 # between spikes, well before the next one
  fi
  if awk -v s="$sec" -v a="$spike_at" 'BEGIN { exit !(s >= a - 1.5 && s < a) }' && ((minute != checked_minute)); then
    checked_minute=$minute
    if ((spec >= need && ready >= need && went_low == 1)); then
      provisioned=$((provisioned + 1))
      scn_log "spike $provisioned: at :$sec, $spec replicas, $ready Ready, before the spike at :$spike_at"
    else
      scn_log "spike missed: at :$sec, $spec replicas, $ready Ready (need $need; came down since the last spike: $went_low)"
    fi
    went_low=0
  fi
  sleep 0.3
done
scn_log "PASS: the workload was scaled ahead of 2 spikes"
