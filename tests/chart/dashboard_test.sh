#!/usr/bin/env bash
# The Grafana dashboard(s) in charts/throughput-operator/dashboards/ query only metrics the
# operator exports (dashboard_check.py does the PromQL parsing).
#   unit:                     valid JSON, the templated variables, no panel repeated over All, fleet
#                             panels not limited to the charted services, ${datasource} everywhere,
#                             every tso_ name defined in controller/runtime/metrics.cc, and the
#                             checker itself rejects an unknown name
#   integration OPERATOR_BIN: the operator runs against the cluster in $KUBECONFIG with one
#                             ThroughputService (so per-service series exist); every queried
#                             metric is in its real /metrics, with the labels the queries use,
#                             and the local Prometheus accepts every panel query
# Exit 77 = no cluster/Prometheus (integration only): skipped, except with CI=true.
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$here/lib.sh"
mode=${1:?usage: dashboard_test.sh unit|integration [OPERATOR_BIN]}
check_py=$here/dashboard_check.py
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
shopt -s nullglob
dashboards=("$repo"/charts/throughput-operator/dashboards/*.json)
[[ ${#dashboards[@]} -gt 0 ]]
check "there is a dashboard in charts/throughput-operator/dashboards" $? "no *.json"

if [[ $mode == unit ]]; then
  for d in "${dashboards[@]}"; do
    n=$(basename "$d")
    jq -e . "$d" >/dev/null 2>&1
    check "$n is valid JSON" $? "jq cannot parse it"
    vars=$(jq -r '[.templating.list[].name] | sort | join(",")' "$d")
    [[ $vars == *datasource* && $vars == *namespace* && $vars == *name* ]]
    check "$n has the datasource, namespace and name variables" $? "variables: $vars"
    # At thousands of services a repeated panel over "All" would draw thousands of panels:
    # every variable a panel repeats over defaults to one value and offers no All.
    bad=$(jq -r '[.templating.list[] as $v | .panels[] | select(.repeat == $v.name)
                  | select($v.includeAll == true or ($v.current.value // "" | tostring | test("__all")))
                  | .title] | join(", ")' "$d")
    [[ -z $bad ]]
    check "$n repeats no panel over an All value" $? "repeated over All: $bad"
    # The fleet overview covers every service in the namespaces, not only the charted ones.
    jq -e '[.panels[] | select(.type == "table" or .type == "stat" or .type == "bargauge") | .targets[].expr
            | select(test("name=~") | not)] | length >= 3' "$d" >/dev/null
    check "$n has fleet panels (table, counts, worst WAPE) not limited by the name variable" $? \
      "$(jq -c '[.panels[] | select(.type == "table" or .type == "stat" or .type == "bargauge") | .targets[].expr]' "$d")"
    bad=$(jq -r '[.. | objects | select(has("datasource") and (.datasource | type) == "object")
                  | select(.datasource.type != "grafana" and .datasource.uid != "${datasource}")] | length' "$d")
    [[ $bad == 0 ]]
    check "$n uses the \${datasource} variable everywhere" $? "$bad places name another datasource"
    out=$(python3 "$check_py" "$d" --source "$repo/controller/runtime/metrics.cc")
    check "$n queries only metrics defined in controller/runtime/metrics.cc" $? "$(grep FAIL <<<"$out")"
    for m in tso_demand_actual tso_demand_predicted tso_replicas tso_lead_time_seconds tso_forecast_wape \
      tso_forecast_coverage tso_fallback_active tso_reconcile_total tso_reconcile_errors_total \
      tso_reconcile_duration_seconds_bucket tso_workqueue_depth tso_prometheus_query_duration_seconds_bucket \
      tso_prometheus_query_errors_total tso_leader; do
      grep -q "\"expr\": \"[^\"]*\\b$m\\b" "$d"
      check "$n has a panel for $m" $? "no query uses it"
    done
  done
  # The checker must reject what it is there to catch.
  echo '{"panels":[{"title":"x","targets":[{"refId":"A","expr":"rate(tso_no_such_metric_total[5m])"}]}]}' >"$work/bad.json"
  python3 "$check_py" "$work/bad.json" --source "$repo/controller/runtime/metrics.cc" >"$work/out" 2>&1
  [[ $? == 1 ]] && grep -q "FAIL tso_no_such_metric_total" "$work/out"
  check "the checker rejects a metric the operator does not define" $? "$(cat "$work/out")"
  summary
  exit
fi

[[ $mode == integration ]] || { echo "usage: dashboard_test.sh unit|integration [OPERATOR_BIN]" >&2; exit 2; }
bin=${2:?integration needs the operator binary}
if [[ -z ${KUBECONFIG:-} || -z ${TSO_PROMETHEUS_URL:-} ]]; then
  [[ ${CI:-} == true ]] && { echo "FAIL setup: KUBECONFIG and TSO_PROMETHEUS_URL are needed (CI=true)"; exit 1; }
  echo "skipped: KUBECONFIG and TSO_PROMETHEUS_URL are needed (run through scripts/integration.sh)"
  exit 77
fi
# shellcheck source-path=SCRIPTDIR source=../../e2e/scenario/lib.sh
source "$repo/e2e/scenario/lib.sh"
ns=tso-dashboard-$(date +%s)-$$
port=$(scn_free_port)
trap 'scn_stop_operator; kubectl delete namespace "$ns" --wait=false >/dev/null 2>&1; rm -rf "$work"' EXIT
scn_crd "$repo"
scn_namespace "$ns"
scn_workload "$ns" web 2 1 kwok
scn_service "$ns" web "vector(100 + 300 * (time() % 60 >= bool 40))" 10s 2s
# A second service whose query Prometheus rejects, so tso_prometheus_query_errors_total has a
# series (its reasons are not pre-set to 0, so without an error it is not in /metrics at all).
scn_workload "$ns" broken 1 1 kwok
scn_service "$ns" broken "sum(rate(" 10s 2s
scn_start_operator "$bin" "$ns" "$port" "$work/operator.log"
# Per-service series with a forecast and accuracy, a Prometheus query timed and one failed.
for ((i = 0; i < 90; i++)); do
  curl -sf "http://127.0.0.1:$port/metrics" >"$work/metrics.txt" || true
  grep -q '^tso_demand_predicted{' "$work/metrics.txt" && grep -q '^tso_forecast_wape{' "$work/metrics.txt" &&
    grep -q '^tso_prometheus_query_duration_seconds_count [1-9]' "$work/metrics.txt" &&
    grep -q '^tso_prometheus_query_errors_total{' "$work/metrics.txt" && break
  sleep 1
done
grep -q '^tso_demand_predicted{' "$work/metrics.txt"
check "the operator exports per-service series for $ns/web" $? "after 90 s: $(grep -c '^tso_' "$work/metrics.txt") tso_ lines; log: $(tail -n 5 "$work/operator.log")"
for d in "${dashboards[@]}"; do
  out=$(python3 "$check_py" "$d" --metrics "$work/metrics.txt")
  rc=$?
  printf "  %s\n" "${out//$'\n'/$'\n  '}"
  check "$(basename "$d") queries only metrics the running operator exports" $rc "$(grep FAIL <<<"$out")"
  # Every panel's query, with the variables as Grafana fills them, is one the real Prometheus
  # accepts (PromQL syntax and types, e.g. `or vector(0)` and topk()).
  rejected=()
  while IFS= read -r expr; do
    q=${expr//\$__rate_interval/1m}
    q=${q//\$namespace/$ns}
    q=${q//\$name/web}
    status=$(curl -s --get "$TSO_PROMETHEUS_URL/api/v1/query" --data-urlencode "query=$q" | jq -r '.status' 2>/dev/null)
    [[ $status == success ]] || rejected+=("$expr")
  done < <(jq -r '.. | objects | select(has("expr")) | .expr' "$d")
  [[ ${#rejected[@]} == 0 ]]
  check "$(basename "$d"): the local Prometheus accepts every panel query" $? "rejected: ${rejected[*]}"
done
summary
