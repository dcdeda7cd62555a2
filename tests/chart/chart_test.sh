#!/usr/bin/env bash
# Tests for the Helm chart in charts/throughput-operator.
#   unit:        offline. The CRD copy equals crds/ byte for byte; helm lint; what renders by
#                default and behind each gate; the pod's security settings; a misspelt key at
#                every level of values.yaml is rejected by values.schema.json; the alerts pass
#                `promtool check rules` and fire (or not) on synthetic series (alerts_test.yaml);
#                every metric name they use is in metrics.yaml and in README.md; the dashboards
#                hook turns a dashboards/*.json file into a labelled ConfigMap.
#   integration: against the cluster in $KUBECONFIG (scripts/integration.sh starts the local
#                one). helm template | kubectl apply --dry-run=server; helm install --wait,
#                upgrade, uninstall; a typo'd value fails the install; the ServiceAccount's RBAC
#                checked verb by verb with `kubectl auth can-i`, allowed and forbidden.
# Prints "ok"/"FAIL" lines and "N passed, M failed"; exits non-zero on any failure. Without helm
# (or promtool, kubectl) it exits 77, which ctest reports as skipped, except with CI=true.
# Usage: tests/chart/chart_test.sh unit|integration
set -uo pipefail
mode=${1:-}
[[ $mode == unit || $mode == integration ]] || { echo "usage: $0 unit|integration" >&2; exit 2; }
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
chart=$repo/charts/throughput-operator
bin=${TSO_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/throughput-operator}/bin
helm=$bin/helm
kubectl=$bin/kubectl
kube_version=1.36.3 # what `helm template` assumes (it knows no cluster); the pinned Kubernetes
work=$(mktemp -d)
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$repo/tests/chart/lib.sh"

need() { # need PATH HOW-TO-GET-IT: a missing tool skips the test, or fails it in CI
  [[ -x $1 ]] && return 0
  if [[ ${CI:-} == true ]]; then
    echo "FAIL missing $1 ($2); CI never skips"
    echo "0 passed, 1 failed"
    exit 1
  fi
  echo "SKIP missing $1 ($2)"
  exit 77
}
need "$helm" "make tools"
need "$kubectl" "make tools"


# render [helm template flags...]: the chart as release "tso" in namespace tso-system.
render() { "$helm" template tso "$chart" --namespace tso-system --kube-version "$kube_version" "$@"; }
# jp FILE JSONPATH: evaluate a JSONPath on each object of a YAML file, offline.
jp() { KUBECONFIG=/dev/null "$kubectl" annotate --local -f "$1" tso-test=1 -o "jsonpath=$2"; }
monitoring_apis=(--api-versions monitoring.coreos.com/v1/ServiceMonitor --api-versions monitoring.coreos.com/v1/PrometheusRule)

# render_test_dashboard NAMESPACE OUT: a copy of the chart whose only dashboards/*.json file is
# a small test one (the real dashboards are checked by dashboard_test.sh), rendered with
# dashboards.enabled.
render_test_dashboard() {
  rm -rf "$work/chart-copy"
  cp -r "$chart" "$work/chart-copy"
  rm -f "$work/chart-copy"/dashboards/*.json
  printf '{"title": "Test dashboard", "panels": []}\n' >"$work/chart-copy/dashboards/tso-test.json"
  "$helm" template tso "$work/chart-copy" -n tso-system --kube-version "$kube_version" \
    --set dashboards.enabled=true --set "dashboards.namespace=$1" \
    --set dashboards.annotations.grafana_folder=Autoscaling \
    --show-only templates/dashboards/configmaps.yaml >"$2"
}

unit_tests() {
  local f name out rc kinds

  # --- the CRD: one source of truth -------------------------------------------------------------
  for f in "$repo"/crds/*.yaml; do
    name=$(basename "$f")
    cmp -s "$f" "$chart/crds/$name"
    check "chart CRD $name is a byte-for-byte copy of crds/$name" $? \
      "they differ: run 'make chart-sync' (charts/sync-crds.sh)"
  done
  for f in "$chart"/crds/*.yaml; do
    [[ -e $repo/crds/$(basename "$f") ]]
    check "chart CRD $(basename "$f") has a source in crds/" $? "run 'make chart-sync'"
  done

  # --- lint -------------------------------------------------------------------------------------
  out=$("$helm" lint --strict "$chart" 2>&1)
  check "helm lint --strict (defaults)" $? "$out"
  out=$("$helm" lint --strict "$chart" --set 'watchNamespaces={a,b}' --set dashboards.enabled=true \
    --set leaderElection.enabled=false --set replicaCount=1 2>&1)
  check "helm lint --strict (namespaces, dashboards, no leader election)" $? "$out"

  # --- what renders -----------------------------------------------------------------------------
  render >"$work/default.yaml" 2>"$work/err"
  check "renders with defaults" $? "$(cat "$work/err")"
  kinds=$(jp "$work/default.yaml" '{.kind}{"\n"}' | sort | tr '\n' ' ')
  [[ $kinds == "ClusterRole ClusterRoleBinding Deployment Role RoleBinding Service ServiceAccount " ]]
  check "defaults render exactly the operator, its RBAC and the metrics Service" $? "got: $kinds"

  render --show-only templates/operator/deployment.yaml >"$work/deploy.yaml"
  out=$(jp "$work/deploy.yaml" '{.spec.template.spec.containers[0].securityContext}')
  [[ $out == *'"allowPrivilegeEscalation":false'* && $out == *'"capabilities":{"drop":["ALL"]}'* &&
    $out == *'"readOnlyRootFilesystem":true'* && $out == *'"runAsNonRoot":true'* &&
    $out == *'"seccompProfile":{"type":"RuntimeDefault"}'* ]]
  check "container securityContext: non-root, read-only root, no privilege escalation, no capabilities, RuntimeDefault seccomp" $? "$out"
  out=$(jp "$work/deploy.yaml" '{.spec.template.spec.securityContext.runAsUser}/{.spec.template.spec.securityContext.runAsNonRoot}')
  [[ $out == 65532/true ]]
  check "pod runs as the image's user 65532" $? "$out"
  out=$(jp "$work/deploy.yaml" '{.spec.template.spec.containers[0].livenessProbe.httpGet.path} {.spec.template.spec.containers[0].readinessProbe.httpGet.path} {.spec.template.spec.containers[0].resources.requests.memory}')
  [[ $out == "/healthz /readyz 64Mi" ]]
  check "liveness /healthz, readiness /readyz, resources set" $? "$out"
  out=$(jp "$work/deploy.yaml" '{.spec.template.spec.containers[0].args}')
  [[ $out == '["--metrics-bind-address=:8080","--prometheus-address=http://prometheus.monitoring.svc:9090","--leader-elect","--leader-election-namespace=tso-system","--workers=4","--log-format=json","--log-level=info"]' ]]
  check "default flags for 'throughput-operator run'" $? "$out"
  out=$(render --show-only templates/operator/deployment.yaml --set 'watchNamespaces={shop,search}' \
    --set leaderElection.enabled=false --set logFormat=text --set metrics.service.port=9000 |
    jp /dev/stdin '{.spec.template.spec.containers[0].args}')
  [[ $out == '["--metrics-bind-address=:9000","--prometheus-address=http://prometheus.monitoring.svc:9090","--namespace=shop","--namespace=search","--workers=4","--log-format=text","--log-level=info"]' ]]
  check "values map to flags (one --namespace each, no --leader-elect when off)" $? "$out"
  out=$(render --set leaderElection.enabled=false | jp /dev/stdin '{.kind}{"\n"}' | grep -c '^Role' || true)
  [[ $out == 0 ]]
  check "no lease Role without leader election" $? "$out Role/RoleBinding rendered"
  out=$(render --set replicaCount=2 --set leaderElection.enabled=false 2>&1)
  [[ $? != 0 && $out == *"replicaCount > 1 needs leaderElection.enabled"* ]]
  check "two replicas without leader election are refused" $? "$out"
  out=$(render --set leaderElection.namespace=kube-system --show-only templates/rbac/role.yaml |
    jp /dev/stdin '{.metadata.namespace}')
  [[ $out == kube-system ]]
  check "lease Role lives in leaderElection.namespace" $? "$out"
  out=$(render --set rbac.create=false --set serviceAccount.create=false --set serviceAccount.name=existing |
    jp /dev/stdin '{.kind}={.spec.template.spec.serviceAccountName}{"\n"}' | sort | tr '\n' ' ')
  [[ $out == "Deployment=existing Service= " ]]
  check "rbac.create=false and an existing ServiceAccount render no RBAC" $? "$out"
  out=$(render --set serviceAccount.create=false 2>&1)
  [[ $? != 0 && $out == *"serviceAccount.name is required"* ]]
  check "serviceAccount.create=false without a name is refused" $? "$out"

  # The metrics Service selects the operator pods; the ServiceMonitor selects the Service.
  render --show-only templates/operator/service.yaml >"$work/svc.yaml"
  render --show-only templates/monitoring/servicemonitor.yaml --set serviceMonitor.enabled=true \
    --set serviceMonitor.labels.release=kps "${monitoring_apis[@]}" >"$work/sm.yaml" 2>"$work/err"
  check "ServiceMonitor renders when enabled" $? "$(cat "$work/err")"
  out=$(jp "$work/sm.yaml" '{.spec.endpoints[0].port} {.spec.endpoints[0].path} {.metadata.labels.release} {.spec.selector.matchLabels}')
  svc_labels=$(jp "$work/svc.yaml" '{.metadata.labels}')
  [[ $out == "http /metrics kps "* && $svc_labels == *'"app.kubernetes.io/component":"metrics"'* &&
    $svc_labels == *'"app.kubernetes.io/instance":"tso"'* &&
    $(jp "$work/svc.yaml" '{.spec.ports[0].name}') == http ]]
  check "ServiceMonitor scrapes the metrics Service's http port at /metrics, with extra labels" $? "sm: $out svc: $svc_labels"
  for kind in ServiceMonitor PrometheusRule; do
    key=serviceMonitor
    [[ $kind == PrometheusRule ]] && key=prometheusRule
    out=$(render --set "$key.enabled=true" 2>&1)
    [[ $? != 0 && $out == *"does not serve monitoring.coreos.com/v1 $kind"* ]]
    check "$key.enabled without the prometheus-operator API fails and says why" $? "$out"
  done

  # --- values.schema.json: a misspelt key fails at every level of values.yaml -------------------
  out=$(render --set imageTag=1 2>&1)
  [[ $? != 0 && $out == *"additional properties 'imageTag' not allowed"* ]]
  check "schema rejects a misspelt top-level key" $? "$out"
  local path levels=0
  # Every block mapping in values.yaml (dotted path), from its indentation.
  while read -r path; do
    case $path in dashboards.labels) continue ;; esac # free-form label map by design
    levels=$((levels + 1))
    out=$(render --set-string "$path.tsoTypo=x" 2>&1)
    rc=$?
    [[ $rc != 0 && $out == *"don't meet the specifications"* && $out == *tsoTypo* ]] ||
      check "schema rejects a misspelt key under $path" 1 "rc=$rc $out"
  done < <(awk '
    /^[[:space:]]*(#|-|$)/ {next}
    { match($0, /^ */); ind = RLENGTH; line = substr($0, ind + 1)
      if (line !~ /^[A-Za-z0-9_]+:/) next
      key = line; sub(/:.*/, "", key); rest = line; sub(/^[^:]*:[ ]*/, "", rest)
      while (n > 0 && indent[n] >= ind) n--
      n++; indent[n] = ind; name[n] = key
      if (rest == "") { p = name[1]; for (i = 2; i <= n; i++) p = p "." name[i]; print p } }' "$chart/values.yaml")
  ((levels >= 15))
  check "schema rejects a misspelt key under each of the $levels nested objects in values.yaml" $? \
    "only $levels nested objects found"
  for bad in image.pullPolicy=Sometimes logFormat=xml workers=0 prometheus.address=prometheus:9090 \
    'watchNamespaces={Bad_NS}' prometheusRule.thresholds.forecastDegradedFor=30 metrics.service.port=0; do
    out=$(render --set "$bad" 2>&1)
    [[ $? != 0 && $out == *"don't meet the specifications"* ]]
    check "schema rejects $bad" $? "$out"
  done
  for json in '{"limits":{"memroy":"1Gi"}}' '{"requests":{"cpu":"lots"}}'; do
    out=$(render --set-json "resources=$json" 2>&1)
    [[ $? != 0 && $out == *"don't meet the specifications"* ]]
    check "schema rejects resources=$json" $? "$out"
  done

  # --- alerts -----------------------------------------------------------------------------------
  need "$(command -v promtool || echo /usr/bin/promtool)" "Debian package prometheus; make deps"
  render --show-only templates/monitoring/prometheusrule.yaml --set prometheusRule.enabled=true \
    "${monitoring_apis[@]}" >"$work/rule.yaml" 2>"$work/err"
  check "PrometheusRule renders when enabled" $? "$(cat "$work/err")"
  mkdir -p "$work/promtool"
  # spec: of the PrometheusRule, dedented, is a Prometheus rule file.
  awk 'f { sub(/^  /, ""); print } /^spec:/ { f = 1 }' "$work/rule.yaml" >"$work/promtool/rules.yaml"
  out=$(promtool check rules "$work/promtool/rules.yaml" 2>&1)
  [[ $? == 0 && $out == *"SUCCESS: 7 rules found"* ]]
  check "promtool check rules: 7 valid alerting rules" $? "$out"
  cp "$repo/tests/chart/alerts_test.yaml" "$work/promtool/"
  out=$(cd "$work/promtool" && promtool test rules alerts_test.yaml 2>&1)
  check "promtool test rules: each alert fires after its 'for' and only for this release" $? "$out"
  out=$(render --show-only templates/monitoring/prometheusrule.yaml --set prometheusRule.enabled=true \
    --set prometheusRule.thresholds.workqueueDepth=7 --set prometheusRule.thresholds.fallbackFor=3m \
    --set prometheusRule.thresholds.demandAgeSeconds=900 \
    --set prometheusRule.metricSelector='namespace="ops"' --set prometheusRule.alertLabels.team=sre "${monitoring_apis[@]}")
  [[ $out == *'tso_workqueue_depth{namespace="ops"} > 7'* && $out == *'for: 3m'* && $out == *'team: sre'* &&
    $out == *'tso_demand_age_seconds{namespace="ops"} > 900'* ]]
  check "alert thresholds, selector and labels come from values" $? "$out"
  # A comparison of two series selects both by the release's matchers.
  [[ $out == *'tso_demand_actual{namespace="ops"} > tso_capacity_ready{namespace="ops"}'* &&
    $out == *'tso_forecast_coverage_p90{namespace="ops"} < tso_forecast_coverage_bound{namespace="ops"}'* ]]
  check "both sides of the capacity and coverage comparisons use the metric selector" $? "$out"
  out=$(render --show-only templates/monitoring/prometheusrule.yaml --set prometheusRule.enabled=true \
    --set prometheusRule.alertLabels.severity=critical "${monitoring_apis[@]}" | grep 'severity: ' | sort | uniq -c)
  [[ $(tr -s ' ' <<<"$out") == " 7 severity: critical" ]]
  check "alertLabels.severity overrides the default warning on all 7 alerts" $? "$out"

  # The metric names: metrics.yaml is the one list; the alerts use only those; README lists them.
  mapfile -t declared < <(sed -n 's/^  name: \(tso_[a-z0-9_]*\)$/\1/p' "$chart/metrics.yaml" | sort -u)
  mapfile -t used < <(grep -o 'tso_[a-z0-9_]*' "$work/promtool/rules.yaml" | sort -u)
  [[ ${#declared[@]} -gt 0 && "${declared[*]}" == "${used[*]}" ]]
  check "alerts query exactly the metrics in metrics.yaml" $? "declared: ${declared[*]} used: ${used[*]}"
  # shellcheck disable=SC2016 # backquotes are literal: README writes metric names as `code`
  mapfile -t readme < <(sed -n '/<!-- chart-metrics:begin -->/,/<!-- chart-metrics:end -->/p' "$repo/README.md" |
    grep -o '`tso_[a-z0-9_]*`' | tr -d '`' | sort -u)
  [[ "${declared[*]}" == "${readme[*]}" ]]
  check "README.md lists the same metric names as metrics.yaml" $? "metrics.yaml: ${declared[*]} README: ${readme[*]}"

  # --- dashboards hook --------------------------------------------------------------------------
  out=$(render --set dashboards.enabled=true --show-only templates/dashboards/configmaps.yaml 2>&1)
  if compgen -G "$chart/dashboards/*.json" >/dev/null; then
    [[ $out == *"grafana_dashboard: \"1\""* ]]
    check "each dashboards/*.json renders as a ConfigMap labelled grafana_dashboard: \"1\"" $? "$out"
  else
    [[ $out == *"could not find template"* ]]
    check "no dashboards/*.json yet: the dashboards template renders nothing" $? "$out"
  fi
  # A copy of the chart with one dashboard file shows what adding the JSON later gives.
  render_test_dashboard grafana "$work/dash.yaml" 2>"$work/err"
  check "dashboards.enabled renders a test dashboard" $? "$(cat "$work/err")"
  out=$(jp "$work/dash.yaml" '{.metadata.name} {.metadata.namespace} {.metadata.labels.grafana_dashboard} {.metadata.annotations.grafana_folder} {.data.tso-test\.json}{"\n"}')
  [[ $out == 'tso-throughput-operator-dashboard-tso-test grafana 1 Autoscaling {"title": "Test dashboard", "panels": []}' ]]
  check "a dashboards/*.json file becomes a ConfigMap with the sidecar label and the JSON as data" $? "$out"
  out=$("$helm" template tso "$work/chart-copy" -n tso-system --kube-version "$kube_version" | grep -c 'kind: ConfigMap')
  [[ $out == 0 ]]
  check "dashboard ConfigMaps only with dashboards.enabled" $? "$out ConfigMaps"
}

integration_tests() {
  local sa out rc
  [[ -n ${KUBECONFIG:-} ]] || {
    echo "FAIL KUBECONFIG is not set (run through scripts/integration.sh or make integration)"
    failures=$((failures + 1))
    return
  }
  out=$("$kubectl" get --raw /readyz 2>&1)
  check "cluster in \$KUBECONFIG is ready" $? "$out"
  [[ $out == ok ]] || return

  ns=tso-chart-$$-$RANDOM
  ns2=$ns-other
  release=tso
  sa=$release-throughput-operator
  # Global, not local: the EXIT trap runs after this function has returned.
  cleanup_cluster() {
    "$helm" uninstall "$release" -n "$ns" --wait --timeout 60s >/dev/null 2>&1
    "$kubectl" delete namespace "$ns" "$ns2" --ignore-not-found --wait=false >/dev/null 2>&1
  }
  trap 'cleanup_cluster; rm -rf "$work"' EXIT
  "$kubectl" create namespace "$ns" >/dev/null && "$kubectl" create namespace "$ns2" >/dev/null
  check "namespaces $ns, $ns2 created" $? ""

  # --- server-side dry run of everything the chart can render without prometheus-operator -----
  out=$(render --include-crds --namespace "$ns" --set 'watchNamespaces={a,b}' |
    "$kubectl" apply --dry-run=server -n "$ns" -f - 2>&1)
  check "helm template --include-crds | kubectl apply --dry-run=server (defaults)" $? "$out"
  out=$("$helm" template tso "$chart" --namespace "$ns" --kube-version "$kube_version" \
    --set leaderElection.enabled=false --set rbac.create=false --set serviceAccount.create=false \
    --set serviceAccount.name=default --set replicaCount=1 --set logFormat=text |
    "$kubectl" apply --dry-run=server -n "$ns" -f - 2>&1)
  check "kubectl apply --dry-run=server (no RBAC, existing ServiceAccount)" $? "$out"
  render_test_dashboard "$ns" "$work/dash.yaml" &&
    out=$("$kubectl" apply --dry-run=server -f "$work/dash.yaml" 2>&1)
  [[ $? == 0 && $out == *"configmap/tso-throughput-operator-dashboard-tso-test created (server dry run)"* ]]
  check "dashboard ConfigMap passes kubectl apply --dry-run=server" $? "$out"

  # The kind run's Prometheus (e2e/kind/prometheus.yaml), moved into our namespace.
  out=$(sed "s/namespace: monitoring\$/namespace: $ns/" "$repo/e2e/kind/prometheus.yaml" |
    awk 'BEGIN { RS = "---\n"; ORS = "---\n" } !/kind: Namespace/' | "$kubectl" apply --dry-run=server -f - 2>&1)
  [[ $? == 0 && $out == *"deployment.apps/prometheus created (server dry run)"* ]]
  check "e2e/kind/prometheus.yaml passes kubectl apply --dry-run=server" $? "$out"

  # --- a typo'd value never reaches the cluster -------------------------------------------------
  out=$("$helm" install typo "$chart" -n "$ns" --set workerz=8 2>&1)
  rc=$?
  [[ $rc != 0 && $out == *"additional properties 'workerz' not allowed"* ]] &&
    ! "$helm" status typo -n "$ns" >/dev/null 2>&1
  check "helm install with a misspelt value (workerz) fails and leaves no release" $? "rc=$rc $out"
  if [[ -z $("$kubectl" api-resources --api-group=monitoring.coreos.com -o name 2>/dev/null) ]]; then
    out=$("$helm" install sm "$chart" -n "$ns" --set serviceMonitor.enabled=true 2>&1)
    [[ $? != 0 && $out == *"install the prometheus-operator CRDs first"* ]] &&
      ! "$helm" status sm -n "$ns" >/dev/null 2>&1
    check "helm install with serviceMonitor.enabled on a cluster without prometheus-operator fails and says why" $? "$out"
  fi

  # --- install --------------------------------------------------------------------------------
  out=$("$helm" install "$release" "$chart" -n "$ns" --set "watchNamespaces={$ns,$ns2}" \
    --set prometheus.address=http://127.0.0.1:19090 --wait --timeout 120s 2>&1)
  check "helm install --wait (pods Ready on the local cluster)" $? "$out"
  out=$("$kubectl" -n "$ns" get deployment "$sa" -o jsonpath='{.status.readyReplicas}/{.spec.replicas} {.spec.template.spec.containers[0].args}' 2>&1)
  [[ $out == "1/1 "*"--namespace=$ns\",\"--namespace=$ns2\""* ]]
  check "operator Deployment is available with the watched namespaces as flags" $? "$out"
  out=$("$kubectl" get crd throughputservices.throughput.dev -o jsonpath='{.spec.names.shortNames}' 2>&1)
  [[ $out == '["tps"]' ]]
  check "ThroughputService CRD is installed (short name tps)" $? "$out"
  out=$("$kubectl" -n "$ns" get endpointslices -l "kubernetes.io/service-name=$sa-metrics" \
    -o jsonpath='{.items[0].ports[0].port} {.items[0].endpoints[0].conditions.ready}' 2>&1)
  [[ $out == "8080 true" ]]
  check "metrics Service has the ready operator pod as its endpoint on 8080" $? "got '$out'"

  # --- RBAC, verb by verb, as the operator's ServiceAccount -------------------------------------
  # `can-i VERB TYPE/NAME` names an object, so a subresource is written TYPE:SUB here and
  # passed as --subresource. other-ns is a namespace the release does not live in.
  local as=(--as "system:serviceaccount:$ns:$sa") args verb res where want got
  while read -r want verb res where; do
    [[ -z $want || $want == \#* ]] && continue
    args=("$verb" "${res%%:*}")
    [[ $res == *:* ]] && args+=(--subresource "${res#*:}")
    case $where in
      lease-ns) args+=(-n "$ns") ;;
      other-ns) args+=(-n "$ns2") ;;
      all) args+=(-A) ;;
      *) echo "FAIL bad table row: $where"; failures=$((failures + 1)); continue ;;
    esac
    got=$("$kubectl" auth can-i "${args[@]}" "${as[@]}" 2>/dev/null)
    line="can-i ${args[*]}"
    [[ $got == "$want" ]]
    check "$line: $want" $? "got '$got'"
  done <<'EOF'
# want verb resource where   (the operator's needs, from the issue; then what it must not do)
yes get throughputservices.throughput.dev all
yes list throughputservices.throughput.dev all
yes watch throughputservices.throughput.dev all
yes update throughputservices.throughput.dev other-ns
yes patch throughputservices.throughput.dev other-ns
yes get throughputservices.throughput.dev:status other-ns
yes update throughputservices.throughput.dev:status other-ns
yes patch throughputservices.throughput.dev:status other-ns
yes get deployments.apps all
yes list deployments.apps all
yes watch deployments.apps all
yes get statefulsets.apps all
yes list statefulsets.apps all
yes watch statefulsets.apps all
yes get deployments.apps:scale other-ns
yes update deployments.apps:scale other-ns
yes patch deployments.apps:scale other-ns
yes get statefulsets.apps:scale other-ns
yes update statefulsets.apps:scale other-ns
yes patch statefulsets.apps:scale other-ns
yes get horizontalpodautoscalers.autoscaling all
yes list horizontalpodautoscalers.autoscaling all
yes watch horizontalpodautoscalers.autoscaling all
yes create horizontalpodautoscalers.autoscaling other-ns
yes update horizontalpodautoscalers.autoscaling other-ns
yes patch horizontalpodautoscalers.autoscaling other-ns
yes delete horizontalpodautoscalers.autoscaling other-ns
yes get configmaps all
yes list configmaps all
yes watch configmaps all
yes update configmaps other-ns
yes patch configmaps other-ns
yes create events other-ns
yes patch events other-ns
yes create events.events.k8s.io other-ns
yes patch events.events.k8s.io other-ns
yes get leases.coordination.k8s.io lease-ns
yes create leases.coordination.k8s.io lease-ns
yes update leases.coordination.k8s.io lease-ns
yes get pods all
yes list pods all
yes watch pods all
# forbidden
no get secrets other-ns
no list secrets all
no create pods:exec other-ns
no delete deployments.apps other-ns
no delete statefulsets.apps other-ns
no update deployments.apps other-ns
no create deployments.apps other-ns
no delete pods other-ns
no create pods other-ns
no delete throughputservices.throughput.dev other-ns
no create throughputservices.throughput.dev other-ns
no create configmaps other-ns
no delete configmaps other-ns
no get leases.coordination.k8s.io other-ns
no delete leases.coordination.k8s.io lease-ns
no create clusterroles.rbac.authorization.k8s.io all
no escalate clusterroles.rbac.authorization.k8s.io all
no impersonate serviceaccounts all
EOF

  # --- upgrade ----------------------------------------------------------------------------------
  out=$("$helm" upgrade "$release" "$chart" -n "$ns" --reuse-values --set workers=8 --set logLevel=debug \
    --wait --timeout 120s 2>&1)
  check "helm upgrade --wait" $? "$out"
  out=$("$kubectl" -n "$ns" get deployment "$sa" -o jsonpath='{.metadata.generation} {.status.readyReplicas} {.spec.template.spec.containers[0].args}' 2>&1)
  [[ $out == "2 1 "*'"--workers=8"'*'"--log-level=debug"'* ]]
  check "upgrade rolled the new flags out" $? "$out"
  out=$("$helm" history "$release" -n "$ns" -o json 2>&1)
  [[ $out == *'"revision":2'*'"status":"deployed"'* ]]
  check "release is at revision 2, deployed" $? "$out"
  out=$("$helm" upgrade "$release" "$chart" -n "$ns" --reuse-values --set logFormat=yaml 2>&1)
  [[ $? != 0 && $out == *"don't meet the specifications"* ]]
  check "helm upgrade with an invalid value is refused" $? "$out"

  # --- uninstall --------------------------------------------------------------------------------
  local cr
  cr=$ns-$sa
  out=$("$helm" uninstall "$release" -n "$ns" --wait --timeout 60s 2>&1)
  check "helm uninstall --wait" $? "$out"
  out=$("$kubectl" -n "$ns" get deployment,serviceaccount,service,role,rolebinding -l app.kubernetes.io/instance="$release" -o name 2>&1)
  got=$("$kubectl" get "clusterrole/$cr" "clusterrolebinding/$cr" -o name 2>&1)
  [[ -z $out && $got == *NotFound*NotFound* ]]
  check "uninstall removes the namespaced and cluster-scoped objects" $? "left: $out $got"
  "$kubectl" get crd throughputservices.throughput.dev >/dev/null 2>&1
  check "uninstall keeps the CRD (Helm never deletes crds/; ThroughputServices survive)" $? "CRD gone"
}

if [[ $mode == unit ]]; then
  trap 'rm -rf "$work"' EXIT
  unit_tests
else
  integration_tests
fi
summary
