#!/usr/bin/env bash
# `throughput-operator replay` without a Prometheus: --help documents the exit codes, and each
# bad input exits with its code and a message naming what is wrong. (The replay itself runs
# against the real Prometheus in tests/integration/replay_test.cc.)
set -euo pipefail
bin=${1:?usage: replay_cli_test.sh BINARY EXAMPLE.yaml}
example=${2:?usage: replay_cli_test.sh BINARY EXAMPLE.yaml}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL $*" >&2; exit 1; }

"$bin" replay --help >"$work/help"
for want in 'Exit codes' '3 Prometheus holds too little history' '--prometheus-address' '--since'; do
  grep -q -- "$want" "$work/help" || fail "--help lacks '$want'"
done

expect() {  # CODE TEXT ARGS...: exits CODE and stderr contains TEXT
  local code=$1 text=$2
  shift 2
  local rc=0
  "$bin" replay "$@" >/dev/null 2>"$work/err" || rc=$?
  [[ $rc == "$code" ]] || fail "replay $* exited $rc, want $code: $(cat "$work/err")"
  grep -qF -- "$text" "$work/err" || fail "replay $*: the message lacks '$text': $(cat "$work/err")"
}
expect 2 'give -f FILE, or --name'
expect 2 'unknown flag --bogus' -f "$example" --bogus
expect 2 "$work/none.yaml: cannot read" -f "$work/none.yaml"
expect 2 '--since' -f "$example" --prometheus-address http://127.0.0.1:1 --since forever
expect 2 '--end' -f "$example" --prometheus-address http://127.0.0.1:1 --end yesterday
expect 2 '--warmup' -f "$example" --prometheus-address http://127.0.0.1:1 --warmup soon
# The example names no Prometheus of its own.
expect 2 '--prometheus-address is required' -f "$example"
sed 's/perReplica: 20/perReplica: 0/' "$example" >"$work/bad.yaml"
expect 2 'capacity.perReplica' -f "$work/bad.yaml" --prometheus-address http://127.0.0.1:1
# Port 1 on loopback refuses at once: Prometheus cannot be read.
expect 1 'Prometheus http://127.0.0.1:1' -f "$example" --prometheus-address http://127.0.0.1:1
echo "replay_cli: ok"
