#!/usr/bin/env bash
# Memory of the operator with N ThroughputServices (default 2000), each with a fitted model and
# its recent-demand buffer: creates them in ForecastOnly mode (all watching one Deployment, so
# nothing is scaled), runs the operator until every one has a status with a forecast, then
# prints the process RSS and the model-state gauge. The local Prometheus scrapes the operator's
# /metrics all along (every second, TSO_PROM_SCRAPE_INTERVAL), as a production Prometheus would:
# a scrape's own memory is part of the figure, and the end prints how many per-service series
# Prometheus ingested. Needs the local cluster and Prometheus (e2e/cluster/up.sh,
# e2e/prometheus/up.sh). Last, what one dashboard refresh and one request for every history
# cost (/api/services), with the RSS after each. Prints figures; asserts nothing.
# Usage: bench/operator_rss.sh BINARY [N]
set -euo pipefail
bin=${1:?usage: bench/operator_rss.sh BINARY [N]}
n=${2:-2000}
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
eval "$("$repo/e2e/cluster/up.sh" | tail -n 1)"
eval "$("$repo/e2e/prometheus/up.sh" | tail -n 1)"
# shellcheck source-path=SCRIPTDIR source=../e2e/cluster/lib.sh
source "$repo/e2e/cluster/lib.sh"
ns=tso-rss-$$
port=$((20000 + RANDOM % 10000))
kubectl apply -f "$repo/crds/throughput.dev_throughputservices.yaml" >/dev/null
kubectl create namespace "$ns" >/dev/null
target=$TSO_STATE_DIR/prometheus/targets/$ns.json
trap 'kill "${op:-0}" 2>/dev/null || true; rm -f "$target"; kubectl delete namespace "$ns" --wait=false >/dev/null 2>&1 || true' EXIT
until kubectl get serviceaccount default -n "$ns" >/dev/null 2>&1; do sleep 0.2; done
kubectl -n "$ns" create deployment web --image=registry.invalid/web:1 --replicas=1 >/dev/null
# A week of minute history per service: weekly shape from time(), so every model has data.
for ((i = 0; i < n; i++)); do
  cat <<YAML
---
apiVersion: throughput.dev/v1alpha1
kind: ThroughputService
metadata: {name: svc-$i}
spec:
  targetRef: {name: web}
  mode: ForecastOnly
  demand:
    query: 'vector(1000 + $i) + 500 * sin(vector(time()) / 13751)'
    step: 1m
    history: 7d
  capacity: {perReplica: 100}
  replicas: {min: 1, max: 100}
  forecast: {leadTime: 2m}
YAML
done | kubectl apply -n "$ns" --server-side -f - >/dev/null
echo "created $n ThroughputServices in $ns"
"$bin" run --namespace "$ns" --prometheus-address "$TSO_PROMETHEUS_URL" --metrics-bind-address "127.0.0.1:$port" \
  --workers 4 --qps 200 --burst 400 --log-level warn >/tmp/operator-rss-$$.log 2>&1 &
op=$!
echo "[{\"targets\": [\"127.0.0.1:$port\"], \"labels\": {\"job\": \"$ns\"}}]" >"$target"
start=$SECONDS
while true; do
  done_count=$(kubectl get tps -n "$ns" -o jsonpath='{range .items[*]}{.status.predictedDemand}{"\n"}{end}' | grep -c . || true)
  rss=$(awk '/VmRSS/ {print $2}' "/proc/$op/status")
  echo "t=$((SECONDS - start))s services with a forecast: $done_count/$n  RSS ${rss} kB"
  [[ $done_count -ge $((n * 99 / 100)) ]] && break
  ((SECONDS - start < 900)) || { echo "gave up after 900 s"; break; }
  sleep 10
done
sleep 5
echo "== operator with $n ThroughputServices (7 d of 1-minute history each)"
grep -E 'VmRSS|VmHWM' "/proc/$op/status"
curl -s "127.0.0.1:$port/metrics" | grep -E '^tso_model_state_bytes|^tso_reconcile_duration_seconds_(sum|count)'
echo "== what the local Prometheus scraped from it"
for q in "up{job=\"$ns\"}" "count(tso_replicas{namespace=\"$ns\"})" "scrape_duration_seconds{job=\"$ns\"}" \
  "scrape_samples_scraped{job=\"$ns\"}"; do
  echo "$q = $(curl -s --get "$TSO_PROMETHEUS_URL/api/v1/query" --data-urlencode "query=$q" |
    python3 -c 'import json,sys; r=json.load(sys.stdin)["data"]["result"]; print(r[0]["value"][1] if r else "none")')"
done
# The built-in dashboard polls, every 5 s, the summary list (?history=none) and the chart
# history of the 10 services it draws (?service=...): what one refresh costs the process. Then
# one request for every service with its history (the API's default), the largest answer.
get() {
  local start_ms bytes
  start_ms=$(date +%s%3N)
  bytes=$(curl -s "127.0.0.1:$port/api/services$1" | wc -c)
  echo "/api/services$2: $bytes bytes in $(($(date +%s%3N) - start_ms)) ms"
}
echo "== one dashboard refresh"
get "?history=none" "?history=none"
charts=""
for i in $(seq 0 9); do charts+="${charts:+&}service=$ns%2Fsvc-$i"; done
get "?$charts" "?service=... (10 services)"
sleep 2
grep -E 'VmRSS|VmHWM' "/proc/$op/status"
echo "== every service with its history (/api/services)"
get "" ""
sleep 2
grep -E 'VmRSS|VmHWM' "/proc/$op/status"
