{{- define "urbis.pdb" -}}
{{- if .Values.pdb.create -}}
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ include "urbis.fullname" . }}
  namespace: {{ .Release.Namespace }}
  labels: {{- include "urbis.labels" . | nindent 4 }}
spec:
  {{- if .Values.pdb.minAvailable }}
  minAvailable: {{ .Values.pdb.minAvailable }}
  {{- else }}
  maxUnavailable: {{ .Values.pdb.maxUnavailable | default 1 }}
  {{- end }}
  selector:
    matchLabels: {{- include "urbis.serverSelectorLabels" . | nindent 6 }}
{{- end -}}
{{- end -}}
