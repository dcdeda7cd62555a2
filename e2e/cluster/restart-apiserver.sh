#!/usr/bin/env bash
# Stops kube-apiserver and starts it again with the same arguments, for tests that prove a
# watch survives an API server restart. Usage: e2e/cluster/restart-apiserver.sh [DOWN_SECONDS]
# DOWN_SECONDS (default 0) keeps it stopped that long before the restart.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

down_for=${1:-0}
args_file=$TSO_STATE_DIR/kube-apiserver.args
[[ -f $args_file ]] || die "no $args_file: is the cluster up (e2e/cluster/up.sh)?"
mapfile -t args <"$args_file"
stop_component kube-apiserver
log "kube-apiserver stopped"
sleep "$down_for"
setsid "$TSO_BIN_DIR/kube-apiserver" "${args[@]}" >>"$TSO_STATE_DIR/logs/kube-apiserver.log" 2>&1 </dev/null &
echo $! >"$(pidfile kube-apiserver)"
deadline=$((SECONDS + 60))
until kubectl_ get --raw /readyz >/dev/null 2>&1; do
  is_running kube-apiserver || die "kube-apiserver exited on restart (log: $TSO_STATE_DIR/logs/kube-apiserver.log)"
  ((SECONDS < deadline)) || die "kube-apiserver not ready 60 s after restart"
  sleep 0.2
done
log "kube-apiserver ready again"
