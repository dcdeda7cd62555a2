#!/usr/bin/env bash
# Prints the predictor's backtest and simulate tables (markdown) for every trace in a folder,
# with the targets beside the figures. Used by `make bench` and for the README. The simulate
# tables compare the predictive policy with the HPA tuned to the same cost (the lower envelope
# of 145 swept HPA settings), never with an HPA at target 1.0.
# Usage: bench/predictor_report.sh BINARY [TRACES_DIR] [EXTRA FLAGS...]   (default TRACES_DIR:
# ../shared/traces; extra flags, e.g. --fast-search or --fleet, go to both backtest and simulate;
# PLOTS_DIR=DIR also writes each trace's frontier SVG there)
set -euo pipefail
bin=${1:?usage: predictor_report.sh BINARY [TRACES_DIR]}
dir=${2:-$(cd "$(dirname "$0")/../.." && pwd)/shared/traces}
extra=("${@:3}")
[[ -x $bin ]] || { echo "predictor_report: $bin is not an executable" >&2; exit 2; }
[[ -d $dir ]] || { echo "predictor_report: no traces folder $dir (the real traces live in ../shared/traces)" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
shopt -s nullglob
traces=("$dir"/*.csv)
[[ ${#traces[@]} -gt 0 ]] || { echo "predictor_report: no .csv files in $dir" >&2; exit 2; }
for f in "${traces[@]}"; do
  name=$(basename "$f" .csv)
  echo "running: $bin backtest --input $f --json ${extra[*]}" >&2
  "$bin" backtest --input "$f" --json "${extra[@]}" >"$tmp/$name.backtest.json"
  plot=()
  [[ -n ${PLOTS_DIR:-} ]] && plot=(--frontier-plot "$PLOTS_DIR/$name.frontier.svg")
  echo "running: $bin simulate --input $f --warmup 90s --peak-replicas 50 --json ${plot[*]} ${extra[*]}" >&2
  "$bin" simulate --input "$f" --warmup 90s --peak-replicas 50 --json "${plot[@]}" "${extra[@]}" >"$tmp/$name.simulate.json"
  echo "running: $bin simulate --input $f --warmup 90s --peak-replicas 50 --time-of-day-headroom on --json ${extra[*]}" >&2
  "$bin" simulate --input "$f" --warmup 90s --peak-replicas 50 --time-of-day-headroom on --json "${extra[@]}" >"$tmp/$name.tod.json"
done
python3 - "$tmp" <<'PY'
import json, os, sys
tmp = sys.argv[1]
names = sorted({f.split('.')[0] for f in os.listdir(tmp)})
model = json.load(open(f"{tmp}/{names[0]}.backtest.json"))["selected"]["model"]
print(f"### Backtest ({'auto-selected model' if model == 'auto' else model}; targets: skill <= 0.90, P90 coverage 0.87-0.93)\n")
print("| trace | horizon | skill | best baseline | mase | wape | coverage P90 | met |")
print("|---|---|---|---|---|---|---|---|")
for n in names:
    b = json.load(open(f"{tmp}/{n}.backtest.json"))
    secs = lambda k: float(k[:-1]) * {"s": 1, "m": 60, "h": 3600, "d": 86400}.get(k[-1], 1) if k[-1].isalpha() else float(k)
    for h, m in sorted(b["selected"]["horizons"].items(), key=lambda kv: secs(kv[0])):
        skill = m["skill"]
        ok = skill is not None and skill <= 0.90 and 0.87 <= m["coverage_p90"] <= 0.93
        fmt = lambda v: "-" if v is None else f"{v:.3f}"
        print(f"| {n} | {h} | {fmt(skill)} | {m['best_baseline']} | {fmt(m['mase'])} | {m['wape']:.3f} | {m['coverage_p90']:.3f} | {'yes' if ok else 'no'} |")
bursty = {"nab_twitter_amzn_5min"}
fmtr = lambda v: "-" if v is None else f"{v:.3f}"
print("\n### Simulate against the HPA tuned to the same cost (warm-up 90 s, 50 peak replicas; default policy: P95 headroom, breakout above P90, no scale-down stabilization)\n")
print("Targets: equal-cost miss ratio <= 0.2 on the seasonal traces and <= 0.5 on the bursty one (twitter_amzn), never above 1.0 at any miss budget, pod-seconds <= 1.5x the oracle.\n")
print("| trace | predictive misses | pod-seconds vs oracle | actions/h | HPA nearest that cost (target, window) | its misses | equal-cost miss ratio | equal-miss cost ratio | met |")
print("|---|---|---|---|---|---|---|---|---|")
for n in names:
    s = json.load(open(f"{tmp}/{n}.simulate.json"))
    pr, hp, ec = s["policies"]["predictive"], s["policies"]["hpa"], s["equal_cost"]
    goal = 0.5 if n in bursty else 0.2
    ok = ec["miss_ratio"] is not None and ec["miss_ratio"] <= goal and pr["pod_seconds_ratio"] <= 1.5
    print(f"| {n} | {100*pr['underprovisioned_fraction']:.3f} % | {pr['pod_seconds_ratio']:.3f} | {pr['actions_per_hour']:.1f} | "
          f"{hp['knob']:.3f}, {hp['scale_down_seconds']} s | {100*hp['underprovisioned_fraction']:.3f} % | {fmtr(ec['miss_ratio'])} | {fmtr(ec['cost_ratio'])} | {'yes' if ok else 'no'} |")
print("\n#### The same policy with HPA's default scale-down window (300 s), what a `behavior` copied from an HPA would set\n")
print("| trace | predictive misses | pod-seconds vs oracle | actions/h | equal-cost miss ratio | equal-miss cost ratio |")
print("|---|---|---|---|---|---|")
for n in names:
    s = json.load(open(f"{tmp}/{n}.simulate.json"))
    for p in s.get("predictive_windows", []):
        print(f"| {n} | {100*p['underprovisioned_fraction']:.3f} % | {p['pod_seconds_ratio']:.3f} | {p['actions_per_hour']:.1f} | {fmtr(p['equal_cost_miss_ratio'])} | {fmtr(p['equal_cost_cost_ratio'])} |")
print("\n#### The predictive policy with a miss budget (`--miss-budget`), each against the same HPA envelope\n")
print("| trace | budget | missed | pod-seconds vs oracle | actions/h | equal-cost miss ratio | equal-miss cost ratio |")
print("|---|---|---|---|---|---|---|")
worst = {}
for n in names:
    s = json.load(open(f"{tmp}/{n}.simulate.json"))
    for p in s["predictive_sweep"]:
        r = p["equal_cost_miss_ratio"]
        if r is not None:
            worst[n] = max(worst.get(n, 0), r)
        print(f"| {n} | {100*p['knob']:g} % | {100*p['underprovisioned_fraction']:.3f} % | {p['pod_seconds_ratio']:.3f} | {p['actions_per_hour']:.1f} | {fmtr(r)} | {fmtr(p['equal_cost_cost_ratio'])} |")
print("\nWorst equal-cost miss ratio over the budgets (target: never above 1.0): " +
      ", ".join(f"{n} {worst[n]:.3f}" for n in names if n in worst))
print("\n#### With headroom placed by time of day (`--time-of-day-headroom on`, the operator's `forecast.headroomByTimeOfDay`)\n")
print("| trace | predictive misses | pod-seconds vs oracle | equal-cost miss ratio | worst over the budgets | without it |")
print("|---|---|---|---|---|---|")
for n in names:
    s = json.load(open(f"{tmp}/{n}.tod.json"))
    base = json.load(open(f"{tmp}/{n}.simulate.json"))
    pr = s["policies"]["predictive"]
    ratios = [p["equal_cost_miss_ratio"] for p in s["predictive_sweep"] if p["equal_cost_miss_ratio"] is not None]
    print(f"| {n} | {100*pr['underprovisioned_fraction']:.3f} % | {pr['pod_seconds_ratio']:.3f} | {fmtr(s['equal_cost']['miss_ratio'])} | "
          f"{fmtr(max(ratios) if ratios else None)} | {fmtr(base['equal_cost']['miss_ratio'])} |")
PY
