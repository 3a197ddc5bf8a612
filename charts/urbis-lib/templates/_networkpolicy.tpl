{{/*
Allow-list for one service, on top of a namespace default-deny (the umbrella chart renders
that one): DNS, Kafka, PostgreSQL, Keycloak and the OTLP collector out; its HTTP clients in.
A dependency with no peers gets no rule, so nothing is opened by accident.
*/}}
{{- define "urbis.networkPolicyEgressRule" -}}
{{- if .peers }}
- to: {{- toYaml .peers | nindent 4 }}
  ports:
    {{- range .ports }}
    - port: {{ . }}
      protocol: TCP
    {{- end }}
    {{- if .udp }}
    {{- range .ports }}
    - port: {{ . }}
      protocol: UDP
    {{- end }}
    {{- end }}
{{- end }}
{{- end -}}

{{- define "urbis.networkpolicy" -}}
{{- if .Values.networkPolicy.enabled -}}
{{- $np := .Values.networkPolicy -}}
{{- $mqtt := .Values.mqtt | default dict -}}
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: {{ include "urbis.fullname" . }}
  namespace: {{ .Release.Namespace }}
  labels: {{- include "urbis.labels" . | nindent 4 }}
spec:
  podSelector:
    matchLabels: {{- include "urbis.serverSelectorLabels" . | nindent 6 }}
  policyTypes: [Ingress, Egress]
  ingress:
    - ports:
        - port: http
          protocol: TCP
      from:
        # The other Urbis services (synchronous APIs), in this namespace.
        - podSelector:
            matchLabels:
              app.kubernetes.io/part-of: urbis
        {{- with $np.ingress.from }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
    {{- if $mqtt.enabled }}
    - ports:
        - port: mqtt
          protocol: TCP
        {{- if $mqtt.tls.enabled }}
        - port: mqtts
          protocol: TCP
        {{- end }}
      from:
        {{- range $mqtt.allowedCidrs }}
        - ipBlock:
            cidr: {{ . }}
        {{- end }}
    {{- end }}
  egress:
    {{- include "urbis.networkPolicyEgressRule" (dict "peers" $np.egress.dns.peers "ports" $np.egress.dns.ports "udp" true) | nindent 4 }}
    {{- include "urbis.networkPolicyEgressRule" $np.egress.kafka | nindent 4 }}
    {{- include "urbis.networkPolicyEgressRule" $np.egress.postgresql | nindent 4 }}
    {{- include "urbis.networkPolicyEgressRule" $np.egress.keycloak | nindent 4 }}
    {{- include "urbis.networkPolicyEgressRule" $np.egress.otlp | nindent 4 }}
    {{- with $np.egress.extra }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
---
# The migration Job only talks to DNS and PostgreSQL.
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: {{ printf "%s-migrate" (include "urbis.fullname" .) | trunc 63 | trimSuffix "-" }}
  namespace: {{ .Release.Namespace }}
  labels: {{- include "urbis.labels" . | nindent 4 }}
spec:
  podSelector:
    matchLabels:
      {{- include "urbis.selectorLabels" . | nindent 6 }}
      app.kubernetes.io/component: migrations
  policyTypes: [Ingress, Egress]
  ingress: []
  egress:
    {{- include "urbis.networkPolicyEgressRule" (dict "peers" $np.egress.dns.peers "ports" $np.egress.dns.ports "udp" true) | nindent 4 }}
    {{- include "urbis.networkPolicyEgressRule" $np.egress.postgresql | nindent 4 }}
{{- end -}}
{{- end -}}
