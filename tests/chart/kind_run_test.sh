#!/usr/bin/env bash
# Tests e2e/kind/run.sh without Docker: fake docker, kind, kubectl, helm and curl record their
# calls, so the script's order (cluster, image, Prometheus, chart, scenario), its refusals
# (no Docker engine, no scenario runner, a cluster name already taken) and its teardown (the
# cluster it created is deleted on success and on failure; one it did not create never is)
# are checked here. A real run needs a machine with Docker.
# Usage: tests/chart/kind_run_test.sh
# The stubs' bodies below are code for the stubs, expanded when they run, not here.
# shellcheck disable=SC2016
set -uo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$repo/tests/chart/lib.sh"
work=$(mktemp -d)
# The fake port-forward records its pid; only that process is ever stopped here.
stop_fake_forward() { [[ -f $work/port-forward.pid ]] && kill "$(cat "$work/port-forward.pid")" 2>/dev/null; rm -f "$work/port-forward.pid"; }
trap 'stop_fake_forward; rm -rf "$work"' EXIT

mkdir -p "$work/path" "$work/cache/bin"
calls=$work/calls.log
fake() { # fake DIR NAME BODY: a stub that logs "NAME ARGS" and then runs BODY
  printf '#!/usr/bin/env bash\necho "%s $*" >>"%s"\n%s\n' "$2" "$calls" "$3" >"$1/$2"
  chmod +x "$1/$2"
}
fake "$work/path" docker 'if [[ $1 == info ]]; then [[ ${FAKE_ENGINE:-1} == 1 ]] || { echo "Cannot connect to the Docker daemon" >&2; exit 1; }; fi; exit 0'
# Prometheus answers only once the port-forward runs (as for real): without that, a loaded
# machine could reach the teardown before the fake port-forward had even started.
fake "$work/path" curl 'if [[ $* == */-/ready* ]]; then [[ -f "'"$work"'/port-forward.pid" ]] || exit 7; fi; exit 0'
fake "$work/cache/bin" kind 'if [[ $1 == get ]]; then [[ ${FAKE_EXISTING:-0} == 1 ]] && echo tso-e2e; fi; exit 0'
fake "$work/cache/bin" helm 'exit 0'
fake "$work/cache/bin" kubectl 'if [[ $* == *port-forward* ]]; then echo $$ >"'"$work"'/port-forward.pid"; exec sleep 30; fi; exit 0'
fake "$work" scenario 'echo "scenario env: KUBECONFIG=${KUBECONFIG:+set} TSO_PROMETHEUS_URL=$TSO_PROMETHEUS_URL TSO_OPERATOR=$TSO_OPERATOR TSO_OPERATOR_NAMESPACE=$TSO_OPERATOR_NAMESPACE" >>"'"$calls"'"; exit ${FAKE_SCENARIO_RC:-0}'

run() { # run [args]: run.sh with the fakes; sets out and rc
  : >"$calls"
  out=$(PATH=$work/path:$PATH TSO_CACHE_DIR=$work/cache TSO_SCENARIO=${SCENARIO:-$work/scenario} \
    TSO_KIND_KUBECONFIG=$work/kept-kubeconfig "$repo/e2e/kind/run.sh" "$@" 2>&1)
  rc=$?
}
order() { grep -o -E '^(kind create|docker build|kind load|kubectl apply|helm install|scenario env|kind delete)' "$calls" | paste -sd,; }

FAKE_ENGINE=0 run
[[ $rc != 0 && $out == *"docker has no engine"*"Cannot connect to the Docker daemon"* && -z $(order) ]]
check "no Docker engine: a clear error, nothing created" $? "rc=$rc out=$out calls=$(order)"

SCENARIO=$work/missing run
[[ $rc != 0 && $out == *"scenario runner $work/missing is not there yet"*--setup-only* && -z $(order) ]]
check "no scenario runner: says it is not there yet, before creating anything" $? "rc=$rc out=$out"

FAKE_EXISTING=1 run
[[ $rc != 0 && $out == *"kind cluster named tso-e2e already exists"* && -z $(order) ]]
check "a cluster name already taken is refused and that cluster is left alone" $? "rc=$rc out=$out calls=$(order)"

run
[[ $rc == 0 && $(order) == "kind create,docker build,kind load,kubectl apply,helm install,scenario env,kind delete" ]]
check "happy path: cluster, image, load, Prometheus, chart, scenario, teardown in that order" $? "rc=$rc calls=$(order) out=$out"
grep -q -- '--set image.pullPolicy=Never' "$calls" && grep -q -- 'kind load docker-image throughput-operator:e2e' "$calls" &&
  grep -q -- '--set image.repository=throughput-operator --set image.tag=e2e' "$calls"
check "the chart runs the loaded image, never pulling it" $? "$(grep -E 'helm|load' "$calls")"
grep -q 'scenario env: KUBECONFIG=set TSO_PROMETHEUS_URL=http://127.0.0.1:29090 TSO_OPERATOR=in-cluster TSO_OPERATOR_NAMESPACE=throughput-system' "$calls"
check "the scenario runner gets KUBECONFIG, the Prometheus URL and TSO_OPERATOR=in-cluster" $? "$(grep scenario "$calls")"
pf=$(cat "$work/port-forward.pid" 2>/dev/null)
for _ in $(seq 50); do
  if [[ -z $pf ]] || ! kill -0 "$pf" 2>/dev/null; then break; fi
  sleep 0.1
done
[[ -n $pf ]] && ! kill -0 "$pf" 2>/dev/null
check "the Prometheus port-forward is started and stopped" $? "pid '$pf' still running or never started"
stop_fake_forward

FAKE_SCENARIO_RC=1 run
[[ $rc != 0 && $(order) == *"scenario env,kind delete" && $out == *"FAILED"* ]]
check "a failing scenario fails the run and still deletes the cluster" $? "rc=$rc calls=$(order)"

SCENARIO=$work/missing run --setup-only
[[ $rc == 0 && $(order) == "kind create,docker build,kind load,kubectl apply,helm install" &&
  $(tail -n 1 <<<"$out") == "export KUBECONFIG=$work/kept-kubeconfig" ]]
check "--setup-only needs no scenario, keeps the cluster and prints its KUBECONFIG" $? "rc=$rc calls=$(order) out=$out"

run --bogus
[[ $rc == 2 && $out == *"unknown argument '--bogus'"* ]]
check "an unknown argument is a usage error" $? "rc=$rc $out"

summary
