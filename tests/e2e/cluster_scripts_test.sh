#!/usr/bin/env bash
# Bad-input tests for e2e/cluster/up.sh and down.sh: a port already taken, a missing binary and
# a component that dies during start-up each stop up.sh with a message naming the culprit and
# leave no process behind. Runs a private cluster state dir on its own ports, never the shared one.
# Usage: tests/e2e/cluster_scripts_test.sh   (needs the binaries built by e2e/tools/build.sh)
set -uo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
work=$(mktemp -d)
real_bin=${TSO_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/throughput-operator}/bin
# shellcheck source-path=SCRIPTDIR source=../chart/lib.sh
source "$repo/tests/chart/lib.sh"
listener_pid=""
cleanup() {
  [[ -n $listener_pid ]] && kill "$listener_pid" 2>/dev/null
  TSO_STATE_DIR=$work/state "$repo/e2e/cluster/down.sh" >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT

export TSO_STATE_DIR=$work/state TSO_SKIP_BUILD=1 TSO_SMOKE=0
# Below the kernel's ephemeral range (32768-60999 by default): a port in it can be taken at any
# moment by an outgoing connection's source port, which once made etcd's peer listener fail here.
export TSO_ETCD_PORT=24790 TSO_ETCD_PEER_PORT=24800 TSO_APISERVER_PORT=26443 \
  TSO_KCM_PORT=21257 TSO_SCHEDULER_PORT=21259 TSO_KWOK_PORT=21260

# No process may still run from this test's state dir or fake bin dir.
strays() { pgrep -f -- "$work/" || true; }

# 1. A port already taken is named, nothing starts.
python3 -c 'import socket,time; s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("127.0.0.1", 26443)); s.listen(); time.sleep(60)' &
listener_pid=$!
for _ in $(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/26443) 2>/dev/null && break; sleep 0.1; done
out=$(TSO_CACHE_DIR=$work/cache-unused TSO_BIN_DIR=$real_bin "$repo/e2e/cluster/up.sh" 2>&1)
rc=$?
[[ $rc != 0 && $out == *"port 26443 (TSO_APISERVER_PORT)"*"already in use"* ]]
check "port taken is named" $? "rc=$rc out=$out"
[[ -z $(strays) ]]
check "port taken leaves no process" $? "$(strays)"
kill "$listener_pid" 2>/dev/null
wait "$listener_pid" 2>/dev/null
listener_pid=""

# 1b. A port held only as an outgoing connection's source port (no listener to answer a
# connect) still makes a listener's bind fail, so it is named too.
python3 -c '
import socket, time
l = socket.socket(); l.bind(("127.0.0.1", 0)); l.listen()
c = socket.socket(); c.bind(("127.0.0.1", 24800)); c.connect(l.getsockname())
a, _ = l.accept(); print("connected", flush=True); time.sleep(60)' >"$work/held" &
listener_pid=$!
for _ in $(seq 50); do [[ -s $work/held ]] && break; sleep 0.1; done
out=$(TSO_CACHE_DIR=$work/cache-unused TSO_BIN_DIR=$real_bin "$repo/e2e/cluster/up.sh" 2>&1)
rc=$?
[[ $rc != 0 && $out == *"port 24800 (TSO_ETCD_PEER_PORT)"*"already in use"* ]]
check "port held by a connected socket is named" $? "rc=$rc out=$out"
kill "$listener_pid" 2>/dev/null
wait "$listener_pid" 2>/dev/null
listener_pid=""

# 2. A missing binary is named.
mkdir -p "$work/empty-bin"
out=$(TSO_BIN_DIR=$work/empty-bin "$repo/e2e/cluster/up.sh" 2>&1)
rc=$?
[[ $rc != 0 && $out == *"missing binaries"*"kube-apiserver"* ]]
check "missing binary is named" $? "rc=$rc out=$out"

# 3. A component dying during start-up: etcd was started, so it must be stopped again.
mkdir -p "$work/bin"
for b in etcd kube-controller-manager kube-scheduler kubectl kwok; do ln -s "$real_bin/$b" "$work/bin/$b"; done
printf '#!/bin/sh\necho "kube-apiserver: simulated crash" >&2\nexit 3\n' >"$work/bin/kube-apiserver"
chmod +x "$work/bin/kube-apiserver"
out=$(TSO_CACHE_DIR=${real_bin%/bin} TSO_BIN_DIR=$work/bin "$repo/e2e/cluster/up.sh" 2>&1)
rc=$?
[[ $rc != 0 && $out == *"kube-apiserver exited during start-up"* && $out == *"simulated crash"* ]]
check "crashing component is named with its log" $? "rc=$rc out=$out"
sleep 0.5
[[ -z $(strays) ]]
check "failed start leaves no process" $? "$(strays)"

# 4. up.sh twice is harmless; down.sh stops everything it started.
out1=$(TSO_CACHE_DIR=${real_bin%/bin} TSO_BIN_DIR=$real_bin "$repo/e2e/cluster/up.sh" 2>&1)
rc1=$?
out2=$(TSO_CACHE_DIR=${real_bin%/bin} TSO_BIN_DIR=$real_bin "$repo/e2e/cluster/up.sh" 2>&1)
rc2=$?
[[ $rc1 == 0 && $out1 == *"ready in"* && $rc2 == 0 && $out2 == *"already running"* && $(tail -n1 <<<"$out2") == export\ KUBECONFIG=* ]]
check "second up.sh is a no-op that prints the export line" $? "rc1=$rc1 rc2=$rc2 out2=$out2"
TSO_BIN_DIR=$real_bin "$repo/e2e/cluster/down.sh" >/dev/null 2>&1
sleep 0.5
[[ -z $(strays) ]]
check "down.sh leaves no process" $? "$(strays)"

summary
