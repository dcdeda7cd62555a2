#!/usr/bin/env bash
# Copies the CRDs from crds/ (the single source of truth) into the chart's crds/ folder, which
# Helm installs before the templates. Run it (or `make chart-sync`) after changing a CRD;
# tests/chart/chart_test.sh fails while the copies differ. --check only reports differences.
# Usage: charts/sync-crds.sh [--check]
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
src=$repo/crds
dst=$repo/charts/throughput-operator/crds
check=0
case ${1:-} in
  --check) check=1 ;;
  "") ;;
  *) echo "sync-crds.sh: unknown argument '$1' (usage: charts/sync-crds.sh [--check])" >&2; exit 2 ;;
esac

rc=0
mkdir -p "$dst"
for f in "$src"/*.yaml; do
  name=$(basename "$f")
  if ! cmp -s "$f" "$dst/$name"; then
    if [[ $check == 1 ]]; then
      echo "sync-crds: charts/throughput-operator/crds/$name differs from crds/$name (run make chart-sync)" >&2
      rc=1
    else
      cp "$f" "$dst/$name"
      echo "sync-crds: copied crds/$name" >&2
    fi
  fi
done
# A CRD removed from crds/ must leave the chart too.
for f in "$dst"/*.yaml; do
  [[ -e $f ]] || continue
  name=$(basename "$f")
  if [[ ! -e $src/$name ]]; then
    if [[ $check == 1 ]]; then
      echo "sync-crds: charts/throughput-operator/crds/$name has no source in crds/" >&2
      rc=1
    else
      rm "$f"
      echo "sync-crds: removed $name (no longer in crds/)" >&2
    fi
  fi
done
exit $rc
