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
