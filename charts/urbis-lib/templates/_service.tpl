{{- define "urbis.service" -}}
apiVersion: v1
kind: Service
metadata:
  name: {{ include "urbis.fullname" . }}
  namespace: {{ .Release.Namespace }}
  labels: {{- include "urbis.labels" . | nindent 4 }}
  {{- with .Values.service.annotations }}
  annotations: {{- toYaml . | nindent 4 }}
  {{- end }}
spec:
  type: {{ .Values.service.type }}
  ports:
    - name: http
      port: {{ .Values.service.ports.http }}
      targetPort: http
      protocol: TCP
  selector: {{- include "urbis.serverSelectorLabels" . | nindent 4 }}
{{- end -}}
