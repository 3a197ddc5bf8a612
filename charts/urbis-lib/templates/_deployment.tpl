{{- define "urbis.probe" -}}
{{- $probe := index .Values .probe -}}
{{- if $probe.enabled }}
{{ .probe }}:
  httpGet:
    path: {{ .path }}
    port: http
  {{- toYaml (omit $probe "enabled") | nindent 2 }}
{{- end }}
{{- end -}}

{{- define "urbis.deployment" -}}
{{- $mqtt := .Values.mqtt | default dict -}}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "urbis.fullname" . }}
  namespace: {{ .Release.Namespace }}
  labels: {{- include "urbis.labels" . | nindent 4 }}
spec:
  {{- if not .Values.autoscaling.enabled }}
  replicas: {{ .Values.replicaCount }}
  {{- end }}
  revisionHistoryLimit: 5
  strategy:
    type: RollingUpdate
    rollingUpdate:
      maxSurge: 1
      maxUnavailable: 0
  selector:
    matchLabels: {{- include "urbis.serverSelectorLabels" . | nindent 6 }}
  template:
    metadata:
      labels: {{- include "urbis.labels" . | nindent 8 }}
        app.kubernetes.io/component: server
        {{- with .Values.podLabels }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      annotations:
        # Rolls the pods when the environment changes (STYLE 9).
        checksum/config: {{ include "urbis.configmap" . | sha256sum }}
        {{- with .Values.podAnnotations }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
    spec:
      serviceAccountName: {{ include "urbis.serviceAccountName" . }}
      automountServiceAccountToken: false
      {{- include "urbis.imagePullSecrets" . | nindent 6 }}
      {{- include "urbis.podSecurityContext" . | nindent 6 }}
      # Longer than SHUTDOWN_TIMEOUT_MS, so the service drains its consumers before SIGKILL.
      terminationGracePeriodSeconds: {{ add (div .Values.shutdownTimeoutMs 1000) 10 }}
      {{- with .Values.priorityClassName }}
      priorityClassName: {{ . }}
      {{- end }}
      {{- with .Values.nodeSelector }}
      nodeSelector: {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with .Values.tolerations }}
      tolerations: {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- if .Values.affinity }}
      affinity: {{- toYaml .Values.affinity | nindent 8 }}
      {{- else }}
      affinity:
        podAntiAffinity:
          preferredDuringSchedulingIgnoredDuringExecution:
            - weight: 100
              podAffinityTerm:
                topologyKey: kubernetes.io/hostname
                labelSelector:
                  matchLabels: {{- include "urbis.serverSelectorLabels" . | nindent 20 }}
      {{- end }}
      {{- with .Values.topologySpreadConstraints }}
      topologySpreadConstraints: {{- toYaml . | nindent 8 }}
      {{- end }}
      containers:
        - name: {{ include "urbis.name" . }}
          image: {{ include "urbis.image" . }}
          imagePullPolicy: {{ .Values.image.pullPolicy }}
          {{- include "urbis.containerSecurityContext" . | nindent 10 }}
          ports:
            - name: http
              containerPort: {{ .Values.containerPorts.http }}
              protocol: TCP
            {{- if $mqtt.enabled }}
            - name: mqtt
              containerPort: {{ .Values.containerPorts.mqtt }}
              protocol: TCP
            {{- if $mqtt.tls.enabled }}
            - name: mqtts
              containerPort: {{ .Values.containerPorts.mqtts }}
              protocol: TCP
            {{- end }}
            {{- end }}
          envFrom:
            - configMapRef:
                name: {{ include "urbis.fullname" . }}
          env:
            - name: DATABASE_URL
              valueFrom:
                secretKeyRef:
                  name: {{ include "urbis.databaseSecretName" . }}
                  key: {{ .Values.database.existingSecretKey }}
            {{- range .Values.extraEnvFromSecrets }}
            - name: {{ .name }}
              valueFrom:
                secretKeyRef:
                  name: {{ .secretName }}
                  key: {{ .key }}
                  optional: {{ .optional | default false }}
            {{- end }}
            {{- range $name, $fieldPath := .Values.envFromPod }}
            - name: {{ $name }}
              valueFrom:
                fieldRef:
                  fieldPath: {{ $fieldPath }}
            {{- end }}
          {{- include "urbis.probe" (dict "Values" .Values "probe" "startupProbe" "path" "/health/live") | nindent 10 }}
          {{- include "urbis.probe" (dict "Values" .Values "probe" "livenessProbe" "path" "/health/live") | nindent 10 }}
          {{- include "urbis.probe" (dict "Values" .Values "probe" "readinessProbe" "path" "/health/ready") | nindent 10 }}
          resources: {{- toYaml .Values.resources | nindent 12 }}
          volumeMounts:
            - name: tmp
              mountPath: /tmp
            {{- if and $mqtt.enabled $mqtt.tls.enabled }}
            - name: mqtt-tls
              mountPath: /etc/urbis/mqtt-tls
              readOnly: true
            {{- end }}
            {{- with .Values.extraVolumeMounts }}
            {{- toYaml . | nindent 12 }}
            {{- end }}
      volumes:
        # The root filesystem is read-only; Node and its libraries may still write to /tmp.
        - name: tmp
          emptyDir:
            sizeLimit: 64Mi
        {{- if and $mqtt.enabled $mqtt.tls.enabled }}
        - name: mqtt-tls
          secret:
            secretName: {{ $mqtt.tls.existingSecret | required "mqtt.tls.existingSecret is required when mqtt.tls.enabled" }}
            defaultMode: 0440
        {{- end }}
        {{- with .Values.extraVolumes }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
{{- end -}}
