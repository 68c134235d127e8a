{{/* The chart's name. */}}
{{- define "vault-controller.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The prefix of every object's name. */}}
{{- define "vault-controller.fullname" -}}
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

{{/* Labels that select the controller's pods; never change them on upgrade. */}}
{{- define "vault-controller.selectorLabels" -}}
app.kubernetes.io/name: {{ include "vault-controller.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* Labels on every object. */}}
{{- define "vault-controller.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "vault-controller.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/component: controller
app.kubernetes.io/part-of: vault-controller
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/* The ServiceAccount's name. */}}
{{- define "vault-controller.serviceAccountName" -}}
{{- default (include "vault-controller.fullname" .) .Values.serviceAccount.name }}
{{- end }}

{{/* The Secret holding the controller's serving certificate. */}}
{{- define "vault-controller.tlsSecretName" -}}
{{- default (printf "%s-tls" (include "vault-controller.fullname" .)) .Values.tls.secretName }}
{{- end }}

{{/* The image reference: by digest when one is given. */}}
{{- define "vault-controller.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/* http or https, by tls.enabled. */}}
{{- define "vault-controller.scheme" -}}
{{- if .Values.tls.enabled }}https{{ else }}http{{ end }}
{{- end }}

{{/* The Service's in-cluster DNS name. */}}
{{- define "vault-controller.serviceHost" -}}
{{- printf "%s.%s.svc" (include "vault-controller.fullname" .) .Release.Namespace }}
{{- end }}
