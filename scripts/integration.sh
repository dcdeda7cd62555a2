#!/usr/bin/env bash
# Runs the `integration` tests against a real control plane. By default it starts the local
# one (e2e/cluster/up.sh) and stops it afterwards if it started it. With
# USE_EXISTING_CLUSTER=1 it uses the cluster in $KUBECONFIG as it is (e.g. a kind cluster).
# It also starts a local Prometheus (e2e/prometheus/up.sh) unless TSO_PROMETHEUS_URL is set, and
# exports its data directory as TSO_PROMETHEUS_DATA for the tests that backfill history.
# Usage: scripts/integration.sh BUILD_DIR [ctest flags...]
set -euo pipefail
build=${1:?usage: scripts/integration.sh BUILD_DIR [ctest flags...]}
shift
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export PATH=$PATH:/usr/local/go/bin

stop_after=0
if [[ ${USE_EXISTING_CLUSTER:-0} == 1 ]]; then
  [[ -n ${KUBECONFIG:-} ]] || { echo "integration: USE_EXISTING_CLUSTER=1 needs KUBECONFIG" >&2; exit 1; }
  echo "integration: using the existing cluster in $KUBECONFIG" >&2
else
  # shellcheck source-path=SCRIPTDIR source=../e2e/cluster/lib.sh
  source "$repo/e2e/cluster/lib.sh"
  is_running kube-apiserver || stop_after=1
  if ! line=$("$repo/e2e/cluster/up.sh" | tail -n 1) || [[ $line != export* ]]; then
    echo "integration: FAILED: the local control plane could not start (see the [cluster] lines above);" \
      "the integration tests need a real kube-apiserver and are not skipped" >&2
    exit 1
  fi
  eval "$line"
  if [[ $stop_after == 1 ]]; then trap '"$repo/e2e/cluster/down.sh" >/dev/null 2>&1 || true' EXIT; fi
fi

# A real Prometheus for the tests that query one (unless the caller names its own).
if [[ -z ${TSO_PROMETHEUS_URL:-} ]]; then
  if ! line=$("$repo/e2e/prometheus/up.sh" | tail -n 1) || [[ $line != export* ]]; then
    echo "integration: FAILED: Prometheus could not start (see the lines above)" >&2
    exit 1
  fi
  eval "$line"
  # Where tests load real history (e2e/prometheus/backfill.py writes blocks there).
  # shellcheck source-path=SCRIPTDIR source=../e2e/cluster/lib.sh
  source "$repo/e2e/cluster/lib.sh"
  export TSO_PROMETHEUS_DATA=$TSO_STATE_DIR/prometheus/data
fi

export TSO_REPO=$repo
cd "$build"
# --no-tests=error: an empty integration label is a failure, never a silent pass.
ctest -L integration --no-tests=error "$@"
