#!/usr/bin/env bash
# Memory of the operator with N ThroughputServices (default 2000), each with a fitted model and
# its recent-demand buffer: first the RSS of an idle operator (no ThroughputService, caches
# synced), then creates the N in ForecastOnly mode (all watching one Deployment, so nothing is
# scaled), runs the operator until 99 % of them have a status with a forecast, and reads the
# process RSS and high-water mark, the model-state gauge and the reconcile histogram. The local
# Prometheus scrapes the operator's /metrics all along (every second, TSO_PROM_SCRAPE_INTERVAL),
# as a production Prometheus would: a scrape's own memory is part of the figure, and the samples
# per scrape are read back from Prometheus. Last, what one dashboard refresh and one request for
# every history cost (/api/services), with the RSS after each.
#
# Starts the local control plane and Prometheus (e2e/cluster/up.sh, e2e/prometheus/up.sh) if
# they are not running, and stops what it started when it ends. Prints figures and asserts
# nothing, but exits non-zero with a message when it cannot measure (the cluster does not start,
# the operator exits, the services get no forecast within 900 s, Prometheus cannot scrape it).
#
# Usage: bench/operator_rss.sh [--markdown] BINARY [N]
#   --markdown  print the figures as one markdown table on stdout (progress goes to stderr);
#               bench/write_benchmarks.sh puts it in docs/benchmarks.md
set -Eeuo pipefail
usage="usage: bench/operator_rss.sh [--markdown] BINARY [N]"
markdown=0
if [[ ${1:-} == --markdown ]]; then
  markdown=1
  shift
fi
bin=${1:?$usage}
n=${2:-2000}
[[ -x $bin && -f $bin ]] || { echo "operator_rss: $bin is not an executable ($usage)" >&2; exit 2; }
[[ $n =~ ^[1-9][0-9]*$ ]] || { echo "operator_rss: N must be a positive number, not '$n' ($usage)" >&2; exit 2; }
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source-path=SCRIPTDIR source=../e2e/cluster/lib.sh
source "$repo/e2e/cluster/lib.sh"

ns=tso-rss-$$
log_file=/tmp/operator-rss-$$.log
op=""
# Progress: with --markdown, stdout holds only the table.
say() { if [[ $markdown == 1 ]]; then echo "$*" >&2; else echo "$*"; fi; }
fail() {
  echo "operator_rss: cannot measure: $*" >&2
  if [[ -s $log_file ]]; then
    echo "operator_rss: last lines of the operator's log ($log_file):" >&2
    tail -n 20 "$log_file" >&2
  fi
  exit 1
}
trap 'echo "operator_rss: failed at line $LINENO: $BASH_COMMAND" >&2' ERR

# Stop only what this run started, so a cluster someone else uses stays up.
cluster_was_up=0 prometheus_was_up=0
is_running kube-apiserver && cluster_was_up=1
is_running prometheus && prometheus_was_up=1
target=$TSO_STATE_DIR/prometheus/targets/$ns.json
cleanup() {
  stop_operator
  rm -f "$target"
  if [[ $cluster_was_up == 0 ]]; then
    "$repo/e2e/cluster/down.sh" >/dev/null 2>&1 || true  # Prometheus too
    return
  fi
  kubectl delete namespace "$ns" --wait=false >/dev/null 2>&1 || true
  [[ $prometheus_was_up == 1 ]] || stop_component prometheus
}
stop_operator() {
  [[ -n $op ]] || return 0
  kill "$op" 2>/dev/null || true
  wait "$op" 2>/dev/null || true
  op=""
}
trap cleanup EXIT

if ! line=$("$repo/e2e/cluster/up.sh" | tail -n 1) || [[ $line != export* ]]; then
  fail "the local control plane did not start (e2e/cluster/up.sh)"
fi
eval "$line"
if ! line=$("$repo/e2e/prometheus/up.sh" | tail -n 1) || [[ $line != export* ]]; then
  fail "the local Prometheus did not start (e2e/prometheus/up.sh)"
fi
eval "$line"
kubectl apply -f "$repo/crds/throughput.dev_throughputservices.yaml" >/dev/null
kubectl create namespace "$ns" >/dev/null
until kubectl get serviceaccount default -n "$ns" >/dev/null 2>&1; do sleep 0.2; done
kubectl -n "$ns" create deployment web --image=registry.invalid/web:1 --replicas=1 >/dev/null

mib() { awk -v k="$1" 'BEGIN { printf "%.1f MiB", k / 1024 }'; }  # mib KIB
# proc_status FIELD: a field of the operator's /proc/PID/status (VmRSS, VmHWM, RssFile in kB; Threads).
proc_status() {
  if [[ -z $op ]] || ! kill -0 "$op" 2>/dev/null; then fail "the operator exited"; fi
  awk -v f="$1:" '$1 == f { print $2 }' "/proc/$op/status"
}
start_operator() {
  port=$((20000 + RANDOM % 10000))
  "$bin" run --namespace "$ns" --prometheus-address "$TSO_PROMETHEUS_URL" --metrics-bind-address "127.0.0.1:$port" \
    --workers 4 --qps 200 --burst 400 --log-level warn >>"$log_file" 2>&1 &
  op=$!
  local deadline=$((SECONDS + 60))
  until curl -sf "127.0.0.1:$port/readyz" >/dev/null 2>&1; do
    kill -0 "$op" 2>/dev/null || fail "the operator exited during start-up"
    ((SECONDS < deadline)) || fail "the operator was not ready (/readyz) after 60 s"
    sleep 0.2
  done
}

# An idle operator: caches synced, nothing to reconcile.
start_operator
sleep 5
idle_rss=$(proc_status VmRSS)
idle_file=$(proc_status RssFile)
idle_threads=$(proc_status Threads)
stop_operator
say "idle operator: RSS $(mib "$idle_rss")"

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
say "created $n ThroughputServices in $ns"
start=$SECONDS
start_operator
echo "[{\"targets\": [\"127.0.0.1:$port\"], \"labels\": {\"job\": \"$ns\"}}]" >"$target"
want=$((n * 99 / 100))
while true; do
  done_count=$(kubectl get tps -n "$ns" -o jsonpath='{range .items[*]}{.status.predictedDemand}{"\n"}{end}' | grep -c . || true)
  say "t=$((SECONDS - start))s services with a forecast: $done_count/$n  RSS $(mib "$(proc_status VmRSS)")"
  ((done_count >= want)) && break
  ((SECONDS - start < 900)) || fail "only $done_count of $n services had a forecast after 900 s"
  sleep 10
done
forecast_secs=$((SECONDS - start))
sleep 5
rss=$(proc_status VmRSS)
hwm=$(proc_status VmHWM)
metrics=$(curl -sf "127.0.0.1:$port/metrics") || fail "GET /metrics failed"
metric() { awk -v m="$1" '$1 == m { print $2; found = 1 } END { exit !found }' <<<"$metrics" || fail "/metrics has no $1"; }
model_bytes=$(metric tso_model_state_bytes)
reconciles=$(metric tso_reconcile_duration_seconds_count)
reconcile_secs=$(metric tso_reconcile_duration_seconds_sum)

# One instant query to the local Prometheus; fails when it has no answer.
prom() {
  local value
  value=$(curl -sf --get "$TSO_PROMETHEUS_URL/api/v1/query" --data-urlencode "query=$1" |
    python3 -c 'import json,sys; r=json.load(sys.stdin)["data"]["result"]; print(r[0]["value"][1] if r else "")') ||
    fail "Prometheus query $1 failed"
  [[ -n $value ]] || fail "Prometheus has no value for $1 (did it scrape the operator?)"
  echo "$value"
}
up=$(prom "up{job=\"$ns\"}")
[[ $up == 1 ]] || fail "Prometheus's last scrape of the operator failed (up{job=\"$ns\"} is not 1)"
samples=$(prom "scrape_samples_scraped{job=\"$ns\"}")
scrape_secs=$(prom "scrape_duration_seconds{job=\"$ns\"}")

# The built-in dashboard polls, every 5 s, the summary list (?history=none) and the chart
# history of the 10 services it draws (?service=...): what one refresh costs the process. Then
# one request for every service with its history (the API's default), the largest answer.
get() { # get QUERY: "BYTES SECONDS" of GET /api/services$QUERY
  curl -sf -o /dev/null -w '%{size_download} %{time_total}' "127.0.0.1:$port/api/services$1" ||
    fail "GET /api/services$1 failed"
}
answer() { # answer "BYTES SECONDS"
  awk '{ printf($1 >= 1e6 ? "%.2f MB" : "%.0f KB", $1 >= 1e6 ? $1 / 1e6 : $1 / 1e3); printf " in %.1f ms", $2 * 1000 }' <<<"$1"
}
summary=$(get "?history=none")
charts=""
for i in $(seq 0 9); do charts+="${charts:+&}service=$ns%2Fsvc-$i"; done
charted=$(get "?$charts")
sleep 2
refresh_rss=$(proc_status VmRSS)
refresh_hwm=$(proc_status VmHWM)
every=$(get "")
sleep 2
every_rss=$(proc_status VmRSS)
every_hwm=$(proc_status VmHWM)

rows=(
  "RSS with $n services forecasting (7 d of 1-minute history each)" "$(mib "$rss")"
  "high-water mark (VmHWM) by then" "$(mib "$hwm")"
  "model state (the tso_model_state_bytes gauge)" "$(mib "$(awk -v b="$model_bytes" 'BEGIN { print b / 1024 }')")"
  "idle RSS (no ThroughputService, caches synced)" \
  "$(mib "$idle_rss"), of it $(mib "$idle_file") mapped files such as shared libraries (RssFile); $idle_threads threads"
  "time from the operator's start until $want of $n have a forecast (polled every 10 s; 4 workers)" "$forecast_secs s"
  "reconciles by then, their mean duration (tso_reconcile_duration_seconds)" \
  "$(awk -v s="$reconcile_secs" -v c="$reconciles" 'BEGIN { printf "%d, %.0f ms", c, s / c * 1000 }')"
  "Prometheus: samples per scrape of /metrics, scrape duration (every 1 s)" \
  "$(awk -v n="$samples" -v s="$scrape_secs" 'BEGIN { printf "%d, %.0f ms", n, s * 1000 }')"
  "one dashboard refresh: the summary list (/api/services?history=none)" "$(answer "$summary")"
  "one dashboard refresh: the histories of the 10 charted services (?service=...)" "$(answer "$charted")"
  "RSS and high-water mark after that refresh" "$(mib "$refresh_rss"), HWM $(mib "$refresh_hwm")"
  "every service with its history (/api/services)" "$(answer "$every")"
  "RSS and high-water mark after it" "$(mib "$every_rss"), HWM $(mib "$every_hwm")"
)
if [[ $markdown == 1 ]]; then
  echo "| what | figure |"
  echo "|---|---|"
  for ((i = 0; i < ${#rows[@]}; i += 2)); do echo "| ${rows[i]} | ${rows[i + 1]} |"; done
else
  echo "== operator with $n ThroughputServices"
  for ((i = 0; i < ${#rows[@]}; i += 2)); do echo "${rows[i]}: ${rows[i + 1]}"; done
fi
