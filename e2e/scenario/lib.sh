#!/usr/bin/env bash
# Building blocks for scenarios against any cluster in $KUBECONFIG: a namespace, a Deployment
# with a warm-up, a ThroughputService, and the operator as a local process. Used by
# e2e/scenario/run.sh, tests/browser/run.sh and tests/chart/dashboard_test.sh. Sourced, never run.

scn_log() { echo "[scenario] $*" >&2; }
scn_die() { echo "[scenario] FAILED: $*" >&2; exit 1; }

# scn_crd REPO: the CRD, unless it is there already (on kind the chart installed it).
scn_crd() {
  if ! kubectl get crd throughputservices.throughput.dev >/dev/null 2>&1; then
    kubectl apply -f "$1/crds/throughput.dev_throughputservices.yaml" >/dev/null || scn_die "cannot apply the CRD"
  fi
  kubectl wait --for=condition=Established crd/throughputservices.throughput.dev --timeout=30s >/dev/null ||
    scn_die "the ThroughputService CRD is not Established"
}

# scn_namespace NS: creates it and waits for its default ServiceAccount (pods need it).
scn_namespace() {
  kubectl create namespace "$1" >/dev/null || scn_die "cannot create namespace $1"
  local i
  for ((i = 0; i < 150; i++)); do
    kubectl get serviceaccount default -n "$1" >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  scn_die "namespace $1 has no default ServiceAccount after 30 s"
}

# scn_workload NS NAME REPLICAS WARMUP_SECONDS MODE: a Deployment whose pods become Ready
# WARMUP_SECONDS after they start. MODE kwok: kwok's pod-ready stage delay annotation (fake
# nodes); MODE probe: a real container with a readinessProbe initialDelaySeconds (kind).
scn_workload() {
  local ns=$1 name=$2 replicas=$3 warmup=$4 mode=$5 pod
  if [[ $mode == kwok ]]; then
    pod="    metadata:
      labels: {app: $name}
      annotations: {pod-ready.stage.kwok.x-k8s.io/delay: \"${warmup}s\"}
    spec:
      containers: [{name: app, image: registry.invalid/app:1}]"
  else
    pod="    metadata:
      labels: {app: $name}
    spec:
      containers:
      - name: app
        image: registry.k8s.io/pause:3.10
        resources: {requests: {cpu: 5m, memory: 8Mi}}
        readinessProbe:
          exec: {command: [/pause, --version]}
          initialDelaySeconds: $warmup
          periodSeconds: 1"
  fi
  kubectl apply -n "$ns" -f - >/dev/null <<YAML || scn_die "cannot create Deployment $ns/$name"
apiVersion: apps/v1
kind: Deployment
metadata: {name: $name}
spec:
  replicas: $replicas
  selector: {matchLabels: {app: $name}}
  template:
$pod
YAML
}

# scn_service NS NAME QUERY LEAD_TIME [STEP]: a ThroughputService for Deployment NAME, 50
# demand units per replica, 1..20 replicas, P90, scale-down without a window (so the replicas
# come back down between spikes and each spike needs a fresh scale-up).
scn_service() {
  local ns=$1 name=$2 query=$3 lead=$4 step=${5:-2s}
  kubectl apply -n "$ns" -f - >/dev/null <<YAML || scn_die "cannot create ThroughputService $ns/$name"
apiVersion: throughput.dev/v1alpha1
kind: ThroughputService
metadata: {name: $name}
spec:
  targetRef: {kind: Deployment, name: $name}
  demand:
    query: '$query'
    step: $step
    history: 1h
  capacity: {perReplica: 50, targetUtilization: 1.0}
  replicas: {min: 1, max: 20}
  forecast: {quantile: 0.9, leadTime: $lead}
  behavior:
    scaleDown: {stabilizationWindowSeconds: 0}
YAML
}

# scn_start_operator BIN NS PORT LOG: the operator as a local process watching NS; sets
# SCN_OPERATOR_PID and returns once /readyz answers (or dies after 30 s).
SCN_OPERATOR_PID=""
scn_start_operator() {
  local bin=$1 ns=$2 port=$3 logf=$4 i
  [[ -x $bin ]] || scn_die "no operator binary at $bin"
  [[ -n ${TSO_PROMETHEUS_URL:-} ]] || scn_die "TSO_PROMETHEUS_URL is not set"
  "$bin" run --namespace "$ns" --prometheus-address "$TSO_PROMETHEUS_URL" \
    --metrics-bind-address "127.0.0.1:$port" --workers 2 --log-format text >"$logf" 2>&1 &
  SCN_OPERATOR_PID=$!
  for ((i = 0; i < 150; i++)); do
    curl -sf "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && return 0
    kill -0 "$SCN_OPERATOR_PID" 2>/dev/null || { tail -n 20 "$logf" >&2; scn_die "the operator exited (log: $logf)"; }
    sleep 0.2
  done
  scn_die "the operator is not ready after 30 s (log: $logf)"
}

# scn_stop_operator: SIGTERM to the process scn_start_operator started, then waits for it.
scn_stop_operator() {
  if [[ -n $SCN_OPERATOR_PID ]]; then
    kill "$SCN_OPERATOR_PID" 2>/dev/null || true
    wait "$SCN_OPERATOR_PID" 2>/dev/null || true
    SCN_OPERATOR_PID=""
  fi
}

# scn_free_port: a TCP port nothing listens on right now.
scn_free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# scn_condition NS NAME TYPE: a ThroughputService condition's status ("" when absent).
scn_condition() {
  kubectl get tps "$2" -n "$1" -o jsonpath="{.status.conditions[?(@.type==\"$3\")].status}" 2>/dev/null || true
}
