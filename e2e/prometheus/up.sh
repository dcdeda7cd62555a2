#!/usr/bin/env bash
# Starts Debian's Prometheus server on 127.0.0.1 for the integration tests and the demo,
# in the cluster's state directory. Scrape targets come from file-based discovery, so a test
# or the demo adds one by writing $TSO_STATE_DIR/prometheus/targets/<name>.json
# ([{"targets": ["127.0.0.1:PORT"], "labels": {...}}]); Prometheus picks it up within a second.
# Idempotent. The last line printed is one shell line to eval:
#   eval "$(e2e/prometheus/up.sh | tail -n 1)"    # exports TSO_PROMETHEUS_URL
# Env: TSO_PROM_PORT (default 19090), TSO_PROM_SCRAPE_INTERVAL (default 1s), TSO_STATE_DIR.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../cluster/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../cluster/lib.sh"

case ${1:-} in
  -h|--help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  "") ;;
  *) echo "prometheus/up.sh: unknown argument '$1'" >&2; exit 2 ;;
esac

port=${TSO_PROM_PORT:-19090}
interval=${TSO_PROM_SCRAPE_INTERVAL:-1s}
dir=$TSO_STATE_DIR/prometheus
url=http://127.0.0.1:$port
line="export TSO_PROMETHEUS_URL=$url"
mkdir -p "$dir/targets" "$TSO_STATE_DIR/pids" "$TSO_STATE_DIR/logs"

if is_running prometheus && curl -sf "$url/-/ready" >/dev/null 2>&1; then
  log "prometheus already running at $url"
  echo "$line"
  exit 0
fi
stop_component prometheus
prom=$(command -v prometheus || true)
[[ -n $prom ]] || die "'prometheus' not found on PATH (Debian package 'prometheus'; run 'make deps')"
port_in_use "$port" && die "port $port (TSO_PROM_PORT) on 127.0.0.1 is already in use by another process"

cat >"$dir/prometheus.yml" <<YAML
global:
  scrape_interval: $interval
  evaluation_interval: $interval
scrape_configs:
- job_name: tso
  file_sd_configs:
  - files: ['$dir/targets/*.json']
    refresh_interval: 1s
YAML
rm -rf "$dir/data"
# 30 days: history backfilled with e2e/prometheus/backfill.py stays queryable.
setsid "$prom" --config.file "$dir/prometheus.yml" --web.listen-address "127.0.0.1:$port" \
  --storage.tsdb.path "$dir/data" --storage.tsdb.retention.time 30d --web.enable-lifecycle \
  >"$TSO_STATE_DIR/logs/prometheus.log" 2>&1 </dev/null &
echo $! >"$(pidfile prometheus)"
deadline=$((SECONDS + 30))
until curl -sf "$url/-/ready" >/dev/null 2>&1; do
  if ! is_running prometheus; then
    tail -n 20 "$TSO_STATE_DIR/logs/prometheus.log" >&2 || true
    rm -f "$(pidfile prometheus)"
    die "prometheus exited during start-up (log: $TSO_STATE_DIR/logs/prometheus.log)"
  fi
  if ((SECONDS > deadline)); then
    stop_component prometheus
    die "prometheus not ready after 30 s (log: $TSO_STATE_DIR/logs/prometheus.log)"
  fi
  sleep 0.2
done
log "prometheus ready at $url (targets from $dir/targets/*.json)"
echo "$line"
