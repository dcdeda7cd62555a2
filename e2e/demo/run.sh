#!/usr/bin/env bash
# `make demo`: starts the local control plane and tells the user how to use it.
# Usage: e2e/demo/run.sh [BUILD_DIR]
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=${1:-$repo/build}
export PATH=$PATH:/usr/local/go/bin

line=$("$repo/e2e/cluster/up.sh" | tail -n 1)
[[ $line == export* ]] || { echo "demo: the local control plane did not start" >&2; exit 1; }
eval "$line"
cat <<MSG

The local Kubernetes control plane is up (etcd, kube-apiserver, controller-manager, scheduler,
kwok with $(kubectl get nodes --no-headers | wc -l) fake nodes).

Use it from your shell:
  $line
  kubectl get nodes
  kubectl create deployment web --image=registry.invalid/web:1 --replicas=3 && kubectl get pods -w

The operator binary is $build/throughput-operator ($("$build/throughput-operator" --version)).
Stop the cluster with: e2e/cluster/down.sh
MSG
