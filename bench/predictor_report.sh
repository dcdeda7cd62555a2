#!/usr/bin/env bash
# Prints the predictor's backtest and simulate tables (markdown) for every trace in a folder,
# with the issue-3 targets beside the figures. Used by `make bench` and for the README.
# Usage: bench/predictor_report.sh BINARY [TRACES_DIR] [EXTRA FLAGS...]   (default TRACES_DIR:
# ../shared/traces; extra flags, e.g. --fast-search or --fleet, go to both backtest and simulate)
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
  echo "running: $bin simulate --input $f --warmup 90s --peak-replicas 50 --json ${extra[*]}" >&2
  "$bin" simulate --input "$f" --warmup 90s --peak-replicas 50 --json "${extra[@]}" >"$tmp/$name.simulate.json"
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
print("\n### Simulate (warm-up 90 s, 50 peak replicas; targets: predictive under-provisioned <= 1/5 of HPA's and <= 0.1 % seasonal / 1 % flash crowds, pod-seconds <= 1.25x oracle)\n")
print("| trace | policy | under-provisioned requests | time under-provisioned | pod-seconds vs oracle | actions/h | theta_U % | theta_O % |")
print("|---|---|---|---|---|---|---|---|")
for n in names:
    s = json.load(open(f"{tmp}/{n}.simulate.json"))
    for p in ("predictive", "hpa", "oracle"):
        m = s["policies"][p]
        print(f"| {n} | {p} | {100*m['underprovisioned_fraction']:.3f} % | {100*m['underprovisioned_time_share']:.2f} % | {m['pod_seconds_ratio']:.3f} | {m['actions_per_hour']:.2f} | {m['theta_u']:.3f} | {m['theta_o']:.2f} |")
    pr, hp = s["policies"]["predictive"], s["policies"]["hpa"]
    ratio = pr["underprovisioned_fraction"] / hp["underprovisioned_fraction"] if hp["underprovisioned_fraction"] > 0 else float("nan")
    print(f"| {n} | predictive / hpa misses | {ratio:.3f} | | | | | |")
PY
