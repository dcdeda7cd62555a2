#!/usr/bin/env bash
# The operator's built-in dashboard page in headless Chromium (dashboard.test.mjs, Playwright).
# Starts the operator against the cluster in $KUBECONFIG with 12 ThroughputServices fed by PromQL
# demand (one over time() with spikes), waits until /api/services has history for all, then runs
# the page test, which saves a screenshot. Installs playwright-core with `npm ci` when node_modules is
# missing; the browser is Debian's chromium (scripts/deps.sh), never a downloaded one.
# Usage: tests/browser/run.sh OPERATOR_BINARY [SCREENSHOT_PNG]
# Exit 77 (skipped) when KUBECONFIG / TSO_PROMETHEUS_URL / chromium / node are missing, except
# with CI=true, where that is a failure.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
bin=${1:?usage: tests/browser/run.sh OPERATOR_BINARY [SCREENSHOT_PNG]}
shot=${2:-$(dirname "$bin")/test-artifacts/dashboard.png}
# shellcheck source-path=SCRIPTDIR source=../../e2e/scenario/lib.sh
source "$repo/e2e/scenario/lib.sh"

skip() {
  if [[ ${CI:-} == true ]]; then echo "FAIL setup: $* (CI=true: nothing may skip)"; exit 1; fi
  echo "skipped: $*"; exit 77
}
[[ -n ${KUBECONFIG:-} && -n ${TSO_PROMETHEUS_URL:-} ]] || skip "KUBECONFIG and TSO_PROMETHEUS_URL are needed (run through scripts/integration.sh)"
[[ -x ${CHROMIUM:-/usr/bin/chromium} ]] || skip "no ${CHROMIUM:-/usr/bin/chromium} (scripts/deps.sh installs Debian's chromium)"
{ command -v node && command -v npm; } >/dev/null || skip "node and npm are needed"

if [[ ! -d $here/node_modules/playwright-core ]]; then
  (cd "$here" && npm ci --no-audit --no-fund --loglevel=error) || { echo "FAIL setup: npm ci in $here"; exit 1; }
fi

ns=tso-browser-$(date +%s)-$$
port=$(scn_free_port)
logf=${TMPDIR:-/tmp}/$ns-operator.log
cleanup() {
  scn_stop_operator
  kubectl delete namespace "$ns" --wait=false >/dev/null 2>&1 || true
}
trap cleanup EXIT

scn_crd "$repo"
scn_namespace "$ns"
scn_workload "$ns" web 2 2 kwok
scn_service "$ns" web "vector(100 + 300 * (time() % 60 >= bool 40))" 10s 2s
# Eleven more, so the page has more services (12) than it charts (10).
for i in 01 02 03 04 05 06 07 08 09 10 11; do
  scn_workload "$ns" "web-$i" 1 2 kwok
  scn_service "$ns" "web-$i" "vector($((50 + 10#$i * 20)))" 10s 2s
done
scn_start_operator "$bin" "$ns" "$port" "$logf"

# History: at least 25 points (50 s, so the screenshot shows the forecast through a spike) of
# actual and predicted demand for every service.
api=http://127.0.0.1:$port/api/services
for ((i = 0; i < 120; i++)); do
  n=$(curl -sf "$api" | jq '[.[] | .history.predicted // [] | map(select(. != null)) | length] | if length == 12 then min else 0 end' 2>/dev/null || echo 0)
  ((n >= 25)) && break
  sleep 1
done
((n >= 25)) || { echo "FAIL setup: /api/services has no forecast history for all 12 services after 120 s: $(curl -sf "$api" | head -c 500)"; tail -n 20 "$logf"; exit 1; }

TSO_DASHBOARD_URL=http://127.0.0.1:$port/ TSO_SCREENSHOT=$shot TSO_EXPECT_SERVICE=$ns/web TSO_EXPECT_COUNT=12 \
  node "$here/dashboard.test.mjs"
