{{/*
Applies the service's Prisma migrations before the new version starts (pre-install and
pre-upgrade hook). The image is the Dockerfile's `migrate` target: the prisma CLI, the schema
and migrations, and the offline schema-engine adapter (docs/deploy.md, "Images").
*/}}
{{- define "urbis.migrationJob" -}}
{{- if .Values.migrations.enabled -}}
apiVersion: batch/v1
kind: Job
metadata:
  name: {{ printf "%s-migrate" (include "urbis.fullname" .) | trunc 63 | trimSuffix "-" }}
  namespace: {{ .Release.Namespace }}
  labels: {{- include "urbis.labels" . | nindent 4 }}
    app.kubernetes.io/component: migrations
  annotations:
    helm.sh/hook: pre-install,pre-upgrade
    helm.sh/hook-weight: "0"
    helm.sh/hook-delete-policy: before-hook-creation,hook-succeeded
spec:
  backoffLimit: {{ .Values.migrations.backoffLimit }}
  activeDeadlineSeconds: {{ .Values.migrations.activeDeadlineSeconds }}
  ttlSecondsAfterFinished: 3600
  template:
    metadata:
      labels: {{- include "urbis.labels" . | nindent 8 }}
        app.kubernetes.io/component: migrations
    spec:
      restartPolicy: Never
      # The chart's ServiceAccount does not exist yet when a pre-install hook runs.
      automountServiceAccountToken: false
      {{- include "urbis.imagePullSecrets" . | nindent 6 }}
      {{- include "urbis.podSecurityContext" . | nindent 6 }}
      containers:
        - name: migrate
          image: {{ include "urbis.imageRef" (dict "image" .Values.migrations.image "global" .Values.global "appVersion" .Chart.AppVersion) }}
          imagePullPolicy: {{ .Values.migrations.image.pullPolicy }}
          {{- include "urbis.containerSecurityContext" . | nindent 10 }}
          env:
            - name: DATABASE_URL
              valueFrom:
                secretKeyRef:
                  name: {{ include "urbis.databaseSecretName" . }}
                  key: {{ .Values.database.existingSecretKey }}
          resources: {{- toYaml .Values.migrations.resources | nindent 12 }}
          volumeMounts:
            - name: tmp
              mountPath: /tmp
      volumes:
        - name: tmp
          emptyDir:
            sizeLimit: 64Mi
{{- end -}}
{{- end -}}
