{{/* The service's environment, except DATABASE_URL which comes from a Secret. */}}
{{- define "urbis.configmap" -}}
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ include "urbis.fullname" . }}
  namespace: {{ .Release.Namespace }}
  labels: {{- include "urbis.labels" . | nindent 4 }}
data:
  NODE_ENV: "production"
  HOST: "0.0.0.0"
  PORT: {{ .Values.containerPorts.http | quote }}
  KAFKA_BROKERS: {{ include "urbis.kafkaBrokers" . | quote }}
  KAFKA_CLIENT_ID: {{ .Values.kafka.clientId | default (printf "urbis-%s" (include "urbis.name" .)) | quote }}
  OIDC_ISSUER_URL: {{ include "urbis.oidcIssuerUrl" . | quote }}
  OIDC_CLIENT_ID: {{ .Values.oidc.clientId | default (printf "urbis-%s" (include "urbis.name" .)) | quote }}
  LOG_LEVEL: {{ .Values.logLevel | quote }}
  METRICS_ENABLED: {{ .Values.metrics.enabled | quote }}
  METRICS_PUBLIC: {{ .Values.metrics.public | quote }}
  SHUTDOWN_TIMEOUT_MS: {{ .Values.shutdownTimeoutMs | quote }}
  OTEL_SERVICE_NAME: {{ printf "urbis-%s" (include "urbis.name" .) | quote }}
  {{- $otlp := include "urbis.otlpEndpoint" . }}
  {{- if $otlp }}
  OTEL_EXPORTER_OTLP_ENDPOINT: {{ $otlp | quote }}
  OTEL_TRACES_EXPORTER: "otlp"
  {{- else }}
  OTEL_TRACES_EXPORTER: "none"
  {{- end }}
  {{- if .Values.mqtt }}
  {{- if .Values.mqtt.enabled }}
  MQTT_PORT: {{ .Values.containerPorts.mqtt | quote }}
  {{- if .Values.mqtt.tls.enabled }}
  MQTT_TLS_PORT: {{ .Values.containerPorts.mqtts | quote }}
  MQTT_TLS_CERT_FILE: "/etc/urbis/mqtt-tls/tls.crt"
  MQTT_TLS_KEY_FILE: "/etc/urbis/mqtt-tls/tls.key"
  {{- end }}
  {{- end }}
  {{- end }}
  {{- range $name, $value := .Values.extraEnv }}
  {{ $name }}: {{ $value | quote }}
  {{- end }}
{{- end -}}
