// charts/<service>: generated from this file (`npx nx run deploy-check:generate`), because the
// five charts differ only in name, port and connectivity's MQTT. Their templates are one-line
// includes of the library chart charts/urbis-lib, where the Kubernetes objects are written.
import { stringify } from 'yaml';
import {
  APP_VERSION,
  CHART_VERSION,
  DEFAULT_REGISTRY,
  imageRepository,
  migrateImageRepository,
  MQTT_PORT,
  MQTTS_PORT,
  SERVICE_ENV,
  type ServiceName,
} from './services';
import { CREDENTIAL_NAME } from './policy';
import {
  bool,
  custom,
  group,
  type Group,
  type Node,
  int,
  intList,
  object,
  objectList,
  oneOf,
  schemaJson,
  str,
  stringList,
  stringMap,
  valuesYaml,
} from './values-spec';

const port = (description: string, value: number) => int(description, value, 1, 65535);
const peers = (description: string, value: Record<string, unknown>[]) => objectList(description, value);

const image = (repository: string) =>
  group({
    registry: str('Image registry (global.imageRegistry overrides it)', DEFAULT_REGISTRY, { minLength: 1 }),
    repository: str('Image repository', repository, { minLength: 1 }),
    tag: str('Image tag; empty means the chart appVersion. Never `latest`', '', { not: { enum: ['latest'] } }),
    digest: str('Image digest (sha256:...); wins over the tag when set', '', { pattern: '^(sha256:[a-f0-9]{64})?$' }),
    pullPolicy: oneOf('Image pull policy', 'IfNotPresent', ['Always', 'IfNotPresent', 'Never']),
  });

const resources = (requests: { cpu: string; memory: string }, memoryLimit: string) =>
  custom(
    'Container resources (requests and a memory limit are required by the deploy policy)',
    { requests, limits: { memory: memoryLimit } },
    {
      type: 'object',
      additionalProperties: false,
      required: ['requests', 'limits'],
      properties: {
        requests: { type: 'object', required: ['cpu', 'memory'], additionalProperties: { type: ['string', 'number'] } },
        limits: { type: 'object', required: ['memory'], additionalProperties: { type: ['string', 'number'] } },
      },
    },
  );

const probe = (what: string, periodSeconds: number, failureThreshold: number) =>
  group({
    enabled: bool(`Enable the ${what}`, true),
    initialDelaySeconds: int(`Initial delay of the ${what}`, 0),
    periodSeconds: int(`Period of the ${what}`, periodSeconds, 1),
    timeoutSeconds: int(`Timeout of the ${what}`, 3, 1),
    failureThreshold: int(`Failure threshold of the ${what}`, failureThreshold, 1),
    successThreshold: int(`Success threshold of the ${what}`, 1, 1),
  });

export function serviceValues(service: ServiceName, httpPort: number): Group {
  const mqtt: Record<string, Node> =
    service === 'connectivity'
      ? {
          mqtt: group({
            enabled: bool('Expose the MQTT server (devices connect here)', true),
            allowedCidrs: stringList('Source CIDRs allowed to reach MQTT (NetworkPolicy)', ['0.0.0.0/0']),
            service: group({
              type: oneOf('MQTT Service type', 'LoadBalancer', ['LoadBalancer', 'NodePort']),
              ports: group({
                mqtt: port('MQTT Service port', MQTT_PORT),
                mqtts: port('MQTT over TLS Service port', MQTTS_PORT),
              }),
              nodePorts: group({
                mqtt: custom('NodePort for MQTT (NodePort type; empty = any)', '', { type: ['string', 'integer'] }),
                mqtts: custom('NodePort for MQTT over TLS (NodePort type; empty = any)', '', { type: ['string', 'integer'] }),
              }),
              loadBalancerIP: str('Fixed address for the LoadBalancer, if the platform supports it'),
              loadBalancerSourceRanges: stringList('Source CIDRs the LoadBalancer accepts'),
              externalTrafficPolicy: oneOf('Keep client addresses (Local) or spread (Cluster)', 'Local', ['Local', 'Cluster']),
              annotations: stringMap('MQTT Service annotations (e.g. MetalLB address pool)'),
            }),
            tls: group({
              enabled: bool('Serve MQTT over TLS on 8883', false),
              existingSecret: str('kubernetes.io/tls Secret with tls.crt and tls.key (e.g. from cert-manager)'),
            }),
          }),
        }
      : {};
  return group({
    enabled: bool('Install this service (read by the umbrella chart)', true),
    global: group({
      imageRegistry: str('Registry for every image of the install (set it to the on-prem mirror)'),
      imagePullSecrets: stringList('Pull secrets for every pod'),
      kafka: group({ brokers: str('Kafka bootstrap servers for every service, host:port,...') }),
      oidc: group({ issuerUrl: str('Keycloak realm URL for every service') }),
      otel: group({ endpoint: str('OTLP/HTTP collector endpoint for every service') }),
    }),
    fullnameOverride: str('Replaces the generated full name'),
    commonLabels: stringMap('Labels added to every object'),
    image: image(imageRepository(service)),
    replicaCount: int('Replicas when autoscaling is off', 2, 0),
    containerPorts: group({
      http: port('HTTP port (API, /health/*, /metrics)', httpPort),
      ...(service === 'connectivity'
        ? { mqtt: port('MQTT port', MQTT_PORT), mqtts: port('MQTT over TLS port', MQTTS_PORT) }
        : {}),
    }),
    service: group({
      type: oneOf('HTTP Service type', 'ClusterIP', ['ClusterIP', 'NodePort', 'LoadBalancer']),
      ports: group({ http: port('HTTP Service port', httpPort) }),
      annotations: stringMap('HTTP Service annotations'),
    }),
    ...mqtt,
    ingress: group({
      enabled: bool('Expose the HTTP API through an Ingress', false),
      ingressClassName: str('IngressClass'),
      hostname: str('Host name', `${service}.urbis.local`, { minLength: 1 }),
      path: str('Path prefix', '/'),
      annotations: stringMap('Ingress annotations'),
      tls: group({ secretName: str('TLS Secret for the host; empty = no TLS section') }),
    }),
    database: group({
      existingSecret: str('Secret holding DATABASE_URL; empty = `<fullname>-pg-app` (CloudNativePG app secret)'),
      existingSecretKey: str('Key of the connection URL in that Secret', 'uri', { minLength: 1 }),
    }),
    kafka: group({
      brokers: str('Kafka bootstrap servers (host:port,...); empty = global.kafka.brokers'),
      clientId: str('Kafka client id; empty = urbis-<service>'),
    }),
    oidc: group({
      issuerUrl: str('Keycloak realm URL; empty = global.oidc.issuerUrl'),
      clientId: str('OIDC client id; empty = urbis-<service>'),
    }),
    otel: group({ endpoint: str('OTLP/HTTP endpoint; empty = global.otel.endpoint, and none disables trace export') }),
    logLevel: oneOf('LOG_LEVEL', 'info', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
    shutdownTimeoutMs: int('SHUTDOWN_TIMEOUT_MS (the pod grace period is 10 s longer)', 25000, 1000, 600000),
    metrics: group({
      enabled: bool('METRICS_ENABLED: serve /metrics', true),
      public: bool('METRICS_PUBLIC: serve /metrics without a token', true),
      serviceMonitor: group({
        enabled: bool('Create a Prometheus Operator ServiceMonitor', false),
        namespace: str('Namespace of the ServiceMonitor; empty = the release namespace'),
        labels: stringMap('Extra labels (e.g. the Prometheus instance selector)'),
        interval: str('Scrape interval', '30s'),
        scrapeTimeout: str('Scrape timeout', '10s'),
      }),
    }),
    extraEnv: custom('Extra environment variables (never credentials: those go in extraEnvFromSecrets)', {}, {
      type: 'object',
      additionalProperties: { type: 'string' },
      // the schema refuses what the deploy policy would flag as a credential in a ConfigMap
      propertyNames: { pattern: '^[A-Za-z_][A-Za-z0-9_]*$', not: { pattern: CREDENTIAL_NAME } },
    }),
    extraEnvFromSecrets: custom(
      'Variables from Secrets: [{name, secretName, key, optional}]',
      SERVICE_ENV[service].fromSecrets,
      {
        type: 'array',
        items: {
          type: 'object',
          additionalProperties: false,
          required: ['name', 'secretName', 'key'],
          properties: {
            name: { type: 'string', minLength: 1 },
            secretName: { type: 'string', minLength: 1 },
            key: { type: 'string', minLength: 1 },
            optional: { type: 'boolean' },
          },
        },
      },
    ),
    envFromPod: stringMap(
      'Variables set from the pod (variable → fieldPath, e.g. REPLICA_ID: metadata.name)',
      SERVICE_ENV[service].fromPod,
    ),
    extraVolumes: objectList('Extra pod volumes (e.g. a Secret with a key file)'),
    extraVolumeMounts: objectList('Extra volume mounts of the container (mountPath, readOnly: true)'),
    resources: resources({ cpu: '100m', memory: '192Mi' }, '512Mi'),
    startupProbe: probe('startup probe (GET /health/live)', 5, 30),
    livenessProbe: probe('liveness probe (GET /health/live)', 10, 3),
    readinessProbe: probe('readiness probe (GET /health/ready)', 5, 3),
    podSecurityContext: group({
      enabled: bool('Set the pod securityContext', true),
      runAsNonRoot: bool('Refuse to run as root', true),
      runAsUser: int('UID (the image user)', 10001, 1),
      runAsGroup: int('GID', 10001, 1),
      fsGroup: int('fsGroup', 10001, 1),
      seccompProfile: object('seccomp profile', { type: 'RuntimeDefault' }),
    }),
    containerSecurityContext: group({
      enabled: bool('Set the container securityContext', true),
      runAsNonRoot: bool('Refuse to run as root', true),
      runAsUser: int('UID', 10001, 1),
      runAsGroup: int('GID', 10001, 1),
      allowPrivilegeEscalation: bool('Allow privilege escalation', false),
      readOnlyRootFilesystem: bool('Read-only root filesystem (/tmp is an emptyDir)', true),
      capabilities: object('Capabilities', { drop: ['ALL'] }),
      seccompProfile: object('seccomp profile', { type: 'RuntimeDefault' }),
    }),
    serviceAccount: group({
      create: bool('Create a ServiceAccount', true),
      name: str('Its name; empty = the full name'),
      annotations: stringMap('ServiceAccount annotations (e.g. cloud workload identity)'),
      automountServiceAccountToken: bool('Mount the API token (the services never call the Kubernetes API)', false),
    }),
    autoscaling: group({
      enabled: bool('Create a HorizontalPodAutoscaler', false),
      minReplicas: int('Minimum replicas', 2, 1),
      maxReplicas: int('Maximum replicas', 6, 1),
      targetCPU: int('Target CPU utilisation (%)', 70, 1, 100),
      targetMemory: int('Target memory utilisation (%); 0 = not used', 0, 0, 100),
    }),
    pdb: group({
      create: bool('Create a PodDisruptionBudget', true),
      minAvailable: custom('minAvailable (number or percentage); wins over maxUnavailable', '', { type: ['string', 'integer'] }),
      maxUnavailable: custom('maxUnavailable (number or percentage)', 1, { type: ['string', 'integer'] }),
    }),
    networkPolicy: group({
      enabled: bool('Create the NetworkPolicy allow-list for this service', true),
      ingress: group({
        from: peers('Peers allowed to reach HTTP besides other Urbis pods (ingress controller, Prometheus)', []),
      }),
      egress: group({
        dns: group({
          ports: intList('DNS ports (TCP and UDP)', [53]),
          peers: peers('Where DNS is', [
            {
              namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } },
              podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } },
            },
          ]),
        }),
        kafka: group({
          ports: intList('Kafka ports', [9092]),
          peers: peers('Where Kafka is (default: the Strimzi cluster urbis-kafka)', [
            { podSelector: { matchLabels: { 'strimzi.io/cluster': 'urbis-kafka' } } },
          ]),
        }),
        postgresql: group({
          ports: intList('PostgreSQL ports', [5432]),
          peers: peers('Where PostgreSQL is (default: the CloudNativePG cluster of this service)', [
            { podSelector: { matchLabels: { 'cnpg.io/cluster': `urbis-${service}-pg` } } },
          ]),
        }),
        keycloak: group({
          ports: intList('Keycloak ports', [8080, 8443]),
          peers: peers('Where Keycloak is (JWKS)', [{ podSelector: { matchLabels: { app: 'keycloak' } } }]),
        }),
        otlp: group({
          ports: intList('OTLP collector ports', [4317, 4318]),
          peers: peers('Where the OpenTelemetry Collector is', [
            { podSelector: { matchLabels: { 'app.kubernetes.io/component': 'opentelemetry-collector' } } },
          ]),
        }),
        extra: objectList('Extra egress rules (NetworkPolicyEgressRule)'),
      }),
    }),
    migrations: group({
      enabled: bool('Apply database migrations in a pre-install/pre-upgrade Job', true),
      image: image(migrateImageRepository(service)),
      backoffLimit: int('Job retries', 3),
      activeDeadlineSeconds: int('Job deadline (s)', 600, 60),
      resources: resources({ cpu: '100m', memory: '256Mi' }, '512Mi'),
    }),
    podLabels: stringMap('Extra pod labels'),
    podAnnotations: stringMap('Extra pod annotations'),
    priorityClassName: str('PriorityClass of the pods'),
    nodeSelector: stringMap('Node selector'),
    tolerations: objectList('Tolerations'),
    affinity: object('Affinity; empty = prefer one pod per node'),
    topologySpreadConstraints: objectList('Topology spread constraints'),
  });
}

const TEMPLATES: Record<string, string> = {
  'configmap.yaml': 'urbis.configmap',
  'deployment.yaml': 'urbis.deployment',
  'service.yaml': 'urbis.service',
  'serviceaccount.yaml': 'urbis.serviceaccount',
  'hpa.yaml': 'urbis.hpa',
  'pdb.yaml': 'urbis.pdb',
  'networkpolicy.yaml': 'urbis.networkpolicy',
  'servicemonitor.yaml': 'urbis.servicemonitor',
  'ingress.yaml': 'urbis.ingress',
  'migration-job.yaml': 'urbis.migrationJob',
};

const GENERATED = '# Generated by tools/deploy-check (npx nx run deploy-check:generate): edit there, not here.';

const MQTT_SERVICE = `{{- if .Values.mqtt.enabled }}
# Devices connect straight to connectivity's MQTT server, from outside the cluster.
apiVersion: v1
kind: Service
metadata:
  name: {{ printf "%s-mqtt" (include "urbis.fullname" .) }}
  namespace: {{ .Release.Namespace }}
  labels: {{- include "urbis.labels" . | nindent 4 }}
  {{- with .Values.mqtt.service.annotations }}
  annotations: {{- toYaml . | nindent 4 }}
  {{- end }}
spec:
  type: {{ .Values.mqtt.service.type }}
  externalTrafficPolicy: {{ .Values.mqtt.service.externalTrafficPolicy }}
  {{- if and (eq .Values.mqtt.service.type "LoadBalancer") .Values.mqtt.service.loadBalancerIP }}
  loadBalancerIP: {{ .Values.mqtt.service.loadBalancerIP }}
  {{- end }}
  {{- with .Values.mqtt.service.loadBalancerSourceRanges }}
  loadBalancerSourceRanges: {{- toYaml . | nindent 4 }}
  {{- end }}
  ports:
    {{- range $name := ternary (list "mqtt" "mqtts") (list "mqtt") .Values.mqtt.tls.enabled }}
    - name: {{ $name }}
      port: {{ index $.Values.mqtt.service.ports $name }}
      targetPort: {{ $name }}
      protocol: TCP
      {{- $nodePort := index $.Values.mqtt.service.nodePorts $name }}
      {{- if and (eq $.Values.mqtt.service.type "NodePort") $nodePort }}
      nodePort: {{ $nodePort }}
      {{- end }}
    {{- end }}
  selector: {{- include "urbis.serverSelectorLabels" . | nindent 4 }}
{{- end }}
`;

const DESCRIPTIONS: Record<ServiceName, string> = {
  connectivity: 'Urbis connectivity: MQTT server, HTTP ingest, LoRaWAN network-server webhooks, device sessions',
  devices: 'Urbis devices: the device registry, profiles and codecs, credentials, twins, commands, firmware campaigns',
  integration: 'Urbis integration: durable outbound delivery and inbound connectors (HTTP, OPC UA, Modbus)',
  data: 'Urbis data: the NGSI-LD context broker (entities, queries, temporal, subscriptions)',
  security: 'Urbis security: data-access policies, the tamper-evident audit ledger, incidents and enforcement',
};

/** Every file of charts/<service>, path relative to that directory → content. */
export function serviceChartFiles(service: ServiceName, httpPort: number): Record<string, string> {
  const values = serviceValues(service, httpPort);
  const chart = {
    apiVersion: 'v2',
    name: service,
    description: DESCRIPTIONS[service],
    type: 'application',
    version: CHART_VERSION,
    appVersion: APP_VERSION,
    kubeVersion: '>=1.27.0-0',
    keywords: ['urbis', 'smart-city', 'iot', service],
    dependencies: [{ name: 'urbis-lib', version: CHART_VERSION, repository: 'file://../urbis-lib' }],
  };
  const files: Record<string, string> = {
    'Chart.yaml': `${GENERATED}\n${stringify(chart)}`,
    'values.yaml': valuesYaml(values, `${GENERATED}\n# Values of the Urbis ${service} service chart. See docs/deploy.md.`, {
      enabled: 'Global parameters',
      image: 'Image and workload',
      database: 'Service configuration',
      resources: 'Pod hardening, probes and resources',
      serviceAccount: 'Kubernetes extras',
      migrations: 'Database migrations',
    }),
    'values.schema.json': schemaJson(values, `Values of the Urbis ${service} chart`, {
      // Helm adds a key for every dependency; the library chart has no values of its own.
      'urbis-lib': { type: 'object', description: 'Reserved for the library chart charts/urbis-lib' },
    }),
    '.helmignore': '.git/\n*.tgz.prov\n*.orig\n*~\n',
    'README.md': `# ${service} chart\n\n${DESCRIPTIONS[service]}.\n\nGenerated by \`tools/deploy-check\` (\`npx nx run deploy-check:generate\`) from\n\`tools/deploy-check/src/service-chart.ts\`; its objects are the library chart \`charts/urbis-lib\`.\nEvery value is documented in \`values.yaml\` (\`## @param\`) and checked by \`values.schema.json\`.\nInstall it through the umbrella chart \`charts/urbis\`: see docs/deploy.md.\n`,
  };
  for (const [file, template] of Object.entries(TEMPLATES)) {
    files[`templates/${file}`] = `{{- include "${template}" . }}\n`;
  }
  if (service === 'connectivity') files['templates/mqtt-service.yaml'] = MQTT_SERVICE;
  return files;
}
