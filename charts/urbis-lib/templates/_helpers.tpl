{{/* Names and labels shared by every Urbis service chart. */}}

{{- define "urbis.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* <release>-<chart>, or just <chart> when the release is already called that. */}}
{{- define "urbis.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "urbis.selectorLabels" -}}
app.kubernetes.io/name: {{ include "urbis.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "urbis.labels" -}}
{{ include "urbis.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/part-of: urbis
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{- define "urbis.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "urbis.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* global.imageRegistry wins over image.registry, so one value points a whole install at a mirror. */}}
{{- define "urbis.imageRef" -}}
{{- $image := .image -}}
{{- $global := .global | default dict -}}
{{- $registry := $global.imageRegistry | default $image.registry -}}
{{- $tag := $image.tag | default .appVersion | toString -}}
{{- if $image.digest -}}
{{- printf "%s/%s@%s" $registry $image.repository $image.digest -}}
{{- else -}}
{{- printf "%s/%s:%s" $registry $image.repository $tag -}}
{{- end -}}
{{- end -}}

{{- define "urbis.image" -}}
{{- include "urbis.imageRef" (dict "image" .Values.image "global" .Values.global "appVersion" .Chart.AppVersion) -}}
{{- end -}}

{{- define "urbis.imagePullSecrets" -}}
{{- $secrets := concat ((.Values.global | default dict).imagePullSecrets | default list) (.Values.image.pullSecrets | default list) | uniq -}}
{{- if $secrets }}
imagePullSecrets:
{{- range $secrets }}
  - name: {{ . }}
{{- end }}
{{- end }}
{{- end -}}

{{/* A value of the service chart, or else the umbrella's global one (kafka.brokers, oidc.issuerUrl, ...). */}}
{{- define "urbis.kafkaBrokers" -}}
{{- $global := .Values.global | default dict -}}
{{- .Values.kafka.brokers | default (dig "kafka" "brokers" "" $global) | required "kafka.brokers (or global.kafka.brokers) is required" -}}
{{- end -}}

{{- define "urbis.oidcIssuerUrl" -}}
{{- $global := .Values.global | default dict -}}
{{- .Values.oidc.issuerUrl | default (dig "oidc" "issuerUrl" "" $global) | required "oidc.issuerUrl (or global.oidc.issuerUrl) is required" -}}
{{- end -}}

{{- define "urbis.otlpEndpoint" -}}
{{- $global := .Values.global | default dict -}}
{{- .Values.otel.endpoint | default (dig "otel" "endpoint" "" $global) -}}
{{- end -}}

{{- define "urbis.databaseSecretName" -}}
{{- .Values.database.existingSecret | default (printf "%s-pg-app" (include "urbis.fullname" .)) -}}
{{- end -}}

{{/* Hardened container securityContext (non-root, read-only root filesystem, no capabilities). */}}
{{- define "urbis.containerSecurityContext" -}}
{{- if .Values.containerSecurityContext.enabled }}
securityContext: {{- omit .Values.containerSecurityContext "enabled" | toYaml | nindent 2 }}
{{- end }}
{{- end -}}

{{- define "urbis.podSecurityContext" -}}
{{- if .Values.podSecurityContext.enabled }}
securityContext: {{- omit .Values.podSecurityContext "enabled" | toYaml | nindent 2 }}
{{- end }}
{{- end -}}

{{/* The service's own pods (not its migration Job's). */}}
{{- define "urbis.serverSelectorLabels" -}}
{{ include "urbis.selectorLabels" . }}
app.kubernetes.io/component: server
{{- end -}}
