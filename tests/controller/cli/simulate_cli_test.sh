#!/usr/bin/env bash
# `throughput-operator simulate` end to end on a small generated trace: the equal-cost report,
# its JSON and frontier SVG, and bad flags rejected with exit 2 and a message naming the flag.
set -euo pipefail
bin=${1:?usage: simulate_cli_test.sh BINARY}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL $*" >&2; exit 1; }

# Four days of a daily rhythm at 5-minute steps (deterministic).
awk 'BEGIN { print "timestamp,value"; for (i = 0; i < 4 * 288; i++) printf "%d,%d\n", 1700000000 + 300 * i, 1000 + 800 * sin(2 * 3.14159265 * i / 288) + 37 * ((i * 7919) % 11) }' >"$work/t.csv"

"$bin" simulate --input "$work/t.csv" --train 2d --json --frontier-plot "$work/f.svg" >"$work/out.json" 2>/dev/null
python3 - "$work/out.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
assert len(r["hpa_sweep"]) == 145, len(r["hpa_sweep"])
assert [round(p["knob"], 4) for p in r["predictive_sweep"]] == [0.001, 0.002, 0.005, 0.01, 0.02, 0.05]
env = r["hpa_envelope"]
assert all(a["pod_seconds_ratio"] < b["pod_seconds_ratio"] and a["underprovisioned_fraction"] > b["underprovisioned_fraction"]
           for a, b in zip(env, env[1:])), "the envelope is sorted by cost with falling misses"
ec = r["equal_cost"]
assert ec["miss_ratio"] is not None and 0 <= ec["miss_ratio"] < 1, ec
hpa, pred = r["policies"]["hpa"], r["policies"]["predictive"]
nearest = min(env, key=lambda p: abs(p["pod_seconds_ratio"] - pred["pod_seconds_ratio"]))
assert abs(hpa["pod_seconds_ratio"] - nearest["pod_seconds_ratio"]) < 1e-9, "the HPA shown is the envelope's nearest in cost"
assert r["provisioning"]["quantile"] == 0.95 and r["provisioning"]["miss_budget"] is None
w = r["predictive_windows"]
assert len(w) == 1 and w[0]["scale_down_seconds"] == 300, "HPA's default window is replayed beside"
assert w[0]["pod_seconds"] >= pred["pod_seconds"], "holding pods 300 s longer costs pod-seconds"
PY
for name in 'HPA at its best (lower envelope)' 'predictive, miss budget swept' 'predictive (this run)'; do
  grep -q "data-name=\"$name\"" "$work/f.svg" || fail "frontier SVG lacks '$name'"
done

"$bin" simulate --input "$work/t.csv" --train 2d --miss-budget 0.5% --no-sweep --json >"$work/b.json" 2>/dev/null
python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert r["provisioning"]["miss_budget"] == 0.005 and r["hpa_sweep"] == [] and r["equal_cost"]["miss_ratio"] is None' "$work/b.json"

# A known event doubles the forecast for two hours on the last day: more pods than without it.
echo "start,duration,multiplier" >"$work/events.csv"
echo "$((1700000000 + 3 * 86400 + 36000)),2h,2" >>"$work/events.csv"
"$bin" simulate --input "$work/t.csv" --train 2d --no-sweep --json >"$work/plain.json" 2>/dev/null
"$bin" simulate --input "$work/t.csv" --train 2d --no-sweep --json --events "$work/events.csv" >"$work/ev.json" 2>/dev/null
python3 -c 'import json,sys; a,b=(json.load(open(f))["policies"]["predictive"]["pod_seconds"] for f in sys.argv[1:]); assert b > a, (a, b)' "$work/plain.json" "$work/ev.json"

expect_usage() {  # FLAG-NAME ARGS...: exit 2 and a message naming the flag
  local flag=$1
  shift
  local rc=0
  "$bin" simulate --input "$work/t.csv" --train 2d --no-sweep "$@" >/dev/null 2>"$work/err" || rc=$?
  [[ $rc == 2 ]] || fail "$* exited $rc, want 2"
  grep -q -- "--$flag" "$work/err" || fail "$*: the message does not name --$flag: $(cat "$work/err")"
}
expect_usage miss-budget --miss-budget 150%
expect_usage miss-budget --miss-budget zero
expect_usage quantile --quantile p100
expect_usage breakout --breakout sometimes
expect_usage hpa-target --hpa-target 1.5
expect_usage hpa-scale-down-window --hpa-scale-down-window 60s
expect_usage frontier-plot --frontier-plot "$work/x.svg"
expect_usage events --events "$work/missing.csv"
printf 'start,duration,multiplier\nsoon,2h,2\n' >"$work/bad.csv"
expect_usage events --events "$work/bad.csv"
grep -q "line 2" "$work/err" || fail "--events: the error does not name the line: $(cat "$work/err")"

# --service: the resource's own policy. Its bounds hold every policy (the trace needs 1 to 6
# replicas of 1 req/s), and the flags it decides are refused.
cat >"$work/tps.yaml" <<'YAML'
apiVersion: throughput.dev/v1alpha1
kind: ThroughputService
metadata: {name: web}
spec:
  targetRef: {kind: Deployment, name: web}
  demand: {query: 'sum(x)', step: 5m, history: 2d}
  capacity: {perReplica: 1}
  replicas: {min: 3, max: 5}
  forecast: {leadTime: 5m}
YAML
"$bin" simulate --input "$work/t.csv" --service "$work/tps.yaml" --no-sweep --json >"$work/s.json" 2>/dev/null
python3 - "$work/s.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
assert r["service"] == {"target_utilization": 0.8, "min_replicas": 3, "max_replicas": 5}, r["service"]
assert r["warmup_seconds"] == 300 and r["per_replica_rps"] == 1
seconds = 2 * 86400
for name, p in r["policies"].items():
    assert 3 * seconds <= p["pod_seconds"] <= 5 * seconds + 1e-6, (name, p["pod_seconds"])
PY
rc=0
"$bin" simulate --input "$work/t.csv" --service "$work/tps.yaml" --quantile p99 >/dev/null 2>"$work/err" || rc=$?
if [[ $rc != 2 ]] || ! grep -q -- "--quantile: --service takes it from the resource" "$work/err"; then
  fail "--service with --quantile: $rc $(cat "$work/err")"
fi
sed 's/step: 5m/step: 120s/' "$work/tps.yaml" >"$work/tps2.yaml"
rc=0
"$bin" simulate --input "$work/t.csv" --service "$work/tps2.yaml" --no-sweep >/dev/null 2>"$work/err" || rc=$?
if [[ $rc != 2 ]] || ! grep -q "spec.demand.step (120s)" "$work/err"; then
  fail "--service at a step that does not divide the trace's: $rc $(cat "$work/err")"
fi
echo "simulate_cli: ok"
