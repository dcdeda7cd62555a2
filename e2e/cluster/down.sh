#!/usr/bin/env bash
# Stops every process e2e/cluster/up.sh started (by the pids it recorded), newest first.
# Usage: e2e/cluster/down.sh [--purge]   (--purge also deletes the state directory)
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

purge=0
case ${1:-} in
  --purge) purge=1 ;;
  -h|--help) sed -n '2,3p' "$0" | sed 's/^# //'; exit 0 ;;
  "") ;;
  *) echo "down.sh: unknown argument '$1' (use --purge or nothing)" >&2; exit 2 ;;
esac

all=("${TSO_COMPONENTS[@]}" "${TSO_EXTRA_COMPONENTS[@]}")
for ((i = ${#all[@]} - 1; i >= 0; i--)); do
  c=${all[$i]}
  if is_running "$c"; then
    log "stopping $c (pid $(cat "$(pidfile "$c")"))"
  fi
  stop_component "$c"
done
if [[ $purge == 1 ]]; then
  rm -rf "$TSO_STATE_DIR"
  log "removed $TSO_STATE_DIR"
fi
log "stopped"
