#!/usr/bin/env bash
# Shared settings and helpers for the local control plane scripts (up.sh, down.sh,
# restart-apiserver.sh). Sourced, never run. Everything binds to 127.0.0.1 only.
# shellcheck disable=SC2034  # variables are used by the scripts that source this file

TSO_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
TSO_CACHE_DIR=${TSO_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/throughput-operator}
TSO_BIN_DIR=${TSO_BIN_DIR:-$TSO_CACHE_DIR/bin}
# One state directory holds certificates, kubeconfig, etcd data, logs and pid files.
TSO_STATE_DIR=${TSO_STATE_DIR:-${XDG_STATE_HOME:-$HOME/.local/state}/throughput-operator/cluster}

TSO_ETCD_PORT=${TSO_ETCD_PORT:-23790}
TSO_ETCD_PEER_PORT=${TSO_ETCD_PEER_PORT:-23800}
TSO_APISERVER_PORT=${TSO_APISERVER_PORT:-16443}
TSO_KCM_PORT=${TSO_KCM_PORT:-20257}
TSO_SCHEDULER_PORT=${TSO_SCHEDULER_PORT:-20259}
TSO_KWOK_PORT=${TSO_KWOK_PORT:-20260}
TSO_NODES=${TSO_NODES:-2}
# Pod warm-up model: milliseconds from a pod's containers starting to it being Ready.
# A pod can override it with the annotation pod-ready.stage.kwok.x-k8s.io/delay: "90s".
TSO_POD_READY_DELAY_MS=${TSO_POD_READY_DELAY_MS:-1000}
TSO_POD_READY_JITTER_MS=${TSO_POD_READY_JITTER_MS:-0}  # extra random delay, 0..this many ms
TSO_KUBE_VERSION_TAG=${TSO_KUBE_VERSION_TAG:-}

TSO_COMPONENTS=(etcd kube-apiserver kube-controller-manager kube-scheduler kwok)
# Started by e2e/prometheus/up.sh in the same state dir; down.sh stops it too.
TSO_EXTRA_COMPONENTS=(prometheus)

log() { echo "[cluster] $*" >&2; }
die() { echo "[cluster] ERROR: $*" >&2; exit 1; }

pidfile() { echo "$TSO_STATE_DIR/pids/$1.pid"; }

# is_running NAME: the pid file names a live process started from our binary.
is_running() {
  local f pid
  f=$(pidfile "$1")
  [[ -f $f ]] || return 1
  pid=$(cat "$f")
  [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null || return 1
  # Guard against pid reuse: the process must be the component we started. Just after a start
  # the process may still be in fork or exec, its cmdline empty or the caller's, so look again.
  local try
  for try in 1 2 3 4 5; do
    grep -qa -- "$1" "/proc/$pid/cmdline" 2>/dev/null && return 0
    ((try == 5)) || sleep 0.1
  done
  return 1
}

# stop_component NAME: SIGTERM, wait up to 10 s, then SIGKILL; removes the pid file.
stop_component() {
  local f pid i
  f=$(pidfile "$1")
  [[ -f $f ]] || return 0
  pid=$(cat "$f")
  if is_running "$1"; then
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 100; i++)); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
      log "$1 (pid $pid) did not stop on SIGTERM; sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  rm -f "$f"
}

port_in_use() { # port_in_use PORT: something listens on it, or any socket but a TIME_WAIT holds it
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
  # A connected socket (e.g. an outgoing connection's source port) makes a listener's bind fail
  # too, even with SO_REUSEADDR, and it does not answer a connect; /proc/net/tcp shows it.
  local hex; hex=$(printf '%04X' "$1")
  awk -v p=":$hex" 'FNR > 1 && substr($2, length($2) - 4) == p && $4 != "06" { found = 1 }
    END { exit !found }' /proc/net/tcp /proc/net/tcp6 2>/dev/null
}

kubectl_() { "$TSO_BIN_DIR/kubectl" --kubeconfig "$TSO_STATE_DIR/kubeconfig" "$@"; }

export_line() {
  echo "export KUBECONFIG=$TSO_STATE_DIR/kubeconfig PATH=$TSO_BIN_DIR:\$PATH"
}
