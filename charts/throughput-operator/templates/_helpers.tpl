{{/* Names and labels shared by every template. */}}

{{- define "throughput-operator.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* <release>-throughput-operator, or the release name when it already contains the chart name. */}}
{{- define "throughput-operator.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "throughput-operator.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "throughput-operator.selectorLabels" -}}
app.kubernetes.io/name: {{ include "throughput-operator.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "throughput-operator.labels" -}}
helm.sh/chart: {{ include "throughput-operator.chart" . }}
{{ include "throughput-operator.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: throughput-operator
{{- end }}

{{- define "throughput-operator.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "throughput-operator.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "throughput-operator.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{- define "throughput-operator.leaseNamespace" -}}
{{- default .Release.Namespace .Values.leaderElection.namespace }}
{{- end }}

{{/* The operator metrics the alerts query, from metrics.yaml (the one place they are named). */}}
{{- define "throughput-operator.metrics" -}}
{{- .Files.Get "metrics.yaml" }}
{{- end }}

{{/* Fails the render when a monitoring.coreos.com kind is enabled but the API is not served.
     `helm template` knows no cluster: pass --api-versions monitoring.coreos.com/v1 there. */}}
{{- define "throughput-operator.requireMonitoringApi" -}}
{{- $ctx := index . 0 }}
{{- $kind := index . 1 }}
{{- if not ($ctx.Capabilities.APIVersions.Has (printf "monitoring.coreos.com/v1/%s" $kind)) }}
{{- fail (printf "%s is true but the cluster does not serve monitoring.coreos.com/v1 %s: install the prometheus-operator CRDs first (with `helm template`, pass --api-versions monitoring.coreos.com/v1/%s)" (ternary "serviceMonitor.enabled" "prometheusRule.enabled" (eq $kind "ServiceMonitor")) $kind $kind) }}
{{- end }}
{{- end }}

{{/* Cluster-scoped names carry the namespace too, so the same release name can be installed
     in two namespaces (e.g. each watching its own namespaces). */}}
{{- define "throughput-operator.clusterName" -}}
{{- printf "%s-%s" .Release.Namespace (include "throughput-operator.fullname" .) }}
{{- end }}
