#!/usr/bin/env bash
# Runs every benchmark program the build produced and prints their figures.
# Usage: scripts/bench.sh BUILD_DIR
set -euo pipefail
build=${1:-build}
shopt -s nullglob
found=0
for b in "$build"/bench/*; do
  [[ -x $b && -f $b ]] || continue
  found=1
  echo "== $(basename "$b")"
  "$b"
done
[[ $found == 1 ]] || echo "bench: no benchmark programs built yet in $build/bench"

# The predictor's backtest/simulate tables over the shared traces, when they are beside the repo.
traces=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/../shared/traces
if [[ -d $traces && -x $build/throughput-operator ]]; then
  echo "== predictor report ($traces)"
  "$(dirname "${BASH_SOURCE[0]}")/../bench/predictor_report.sh" "$build/throughput-operator" "$traces"
  echo "== predictor report, fleet regression ($traces)"
  "$(dirname "${BASH_SOURCE[0]}")/../bench/predictor_report.sh" "$build/throughput-operator" "$traces" --fleet
fi
