// Schemas of the Keycloak operator's (26.x) Keycloak and KeycloakRealmImport and of the
// OpenTelemetry Operator's OpenTelemetryCollector (v1beta1). No npm package ships these CRDs, so
// they are written here from the operators' API references: every field of `spec` is known (an
// unknown or misspelt one is an error), and the parts deploy/ uses are checked in full.
import { z } from 'zod';
import type { K8sObject } from './charts';

const name = z.string().regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, 'expected a Kubernetes object name');
const secretKey = z.strictObject({ name, key: z.string().min(1), optional: z.boolean().optional() });
const stringMap = z.record(z.string(), z.string());
const port = z.number().int().min(1).max(65535);
/** A Kubernetes structure these checks leave to the operator (resources, scheduling, probes, ...). */
const kube = z.record(z.string(), z.unknown());
const metadata = z.looseObject({ name, namespace: name.optional(), labels: stringMap.optional(), annotations: stringMap.optional() });

const keycloakSpec = z.strictObject({
  instances: z.number().int().min(0).optional(),
  image: z.string().min(1).optional(),
  imagePullSecrets: z.array(z.strictObject({ name })).optional(),
  startOptimized: z.boolean().optional(),
  additionalOptions: z
    .array(z.strictObject({ name: z.string().min(1), value: z.string().optional(), secret: secretKey.optional() }))
    .optional(),
  env: z.array(kube).optional(),
  db: z
    .strictObject({
      vendor: z.enum(['dev-file', 'dev-mem', 'mariadb', 'mssql', 'mysql', 'oracle', 'postgres']),
      url: z.string().optional(),
      host: z.string().min(1).optional(),
      port: port.optional(),
      database: z.string().min(1).optional(),
      schema: z.string().optional(),
      usernameSecret: secretKey.optional(),
      passwordSecret: secretKey.optional(),
      poolInitialSize: z.number().int().optional(),
      poolMinSize: z.number().int().optional(),
      poolMaxSize: z.number().int().optional(),
    })
    .optional(),
  http: z
    .strictObject({
      httpEnabled: z.boolean().optional(),
      httpPort: port.optional(),
      httpsPort: port.optional(),
      tlsSecret: name.optional(),
      annotations: stringMap.optional(),
      labels: stringMap.optional(),
    })
    .optional(),
  httpManagement: z.strictObject({ port: port.optional() }).optional(),
  hostname: z
    .strictObject({
      hostname: z.string().min(1).optional(),
      admin: z.string().optional(),
      strict: z.boolean().optional(),
      backchannelDynamic: z.boolean().optional(),
    })
    .optional(),
  proxy: z.strictObject({ headers: z.enum(['forwarded', 'xforwarded']) }).optional(),
  ingress: z
    .strictObject({
      enabled: z.boolean().optional(),
      className: z.string().optional(),
      annotations: stringMap.optional(),
      labels: stringMap.optional(),
      tlsSecret: name.optional(),
    })
    .optional(),
  features: z.strictObject({ enabled: z.array(z.string()).optional(), disabled: z.array(z.string()).optional() }).optional(),
  transaction: z.strictObject({ xaEnabled: z.boolean().optional() }).optional(),
  truststores: kube.optional(),
  cache: kube.optional(),
  resources: kube.optional(),
  scheduling: kube.optional(),
  bootstrapAdmin: kube.optional(),
  networkPolicy: kube.optional(),
  tracing: kube.optional(),
  serviceMonitor: kube.optional(),
  update: kube.optional(),
  unsupported: kube.optional(),
  livenessProbe: kube.optional(),
  readinessProbe: kube.optional(),
  startupProbe: kube.optional(),
});

const realmImportSpec = z.strictObject({
  keycloakCRName: name,
  realm: z.looseObject({
    realm: z.string().min(1),
    enabled: z.boolean().optional(),
    clients: z.array(z.looseObject({ clientId: z.string().min(1) })).optional(),
    roles: z.looseObject({ realm: z.array(z.looseObject({ name: z.string().min(1) })).optional() }).optional(),
  }),
  placeholders: z.record(z.string().regex(/^[A-Za-z0-9_]+$/), z.strictObject({ secret: secretKey })).optional(),
  resources: kube.optional(),
});

const components = z.record(z.string(), z.unknown());
const collectorSpec = z.strictObject({
  mode: z.enum(['daemonset', 'deployment', 'sidecar', 'statefulset']).optional(),
  replicas: z.number().int().min(0).optional(),
  image: z.string().min(1).optional(),
  imagePullPolicy: z.enum(['Always', 'IfNotPresent', 'Never']).optional(),
  resources: kube.optional(),
  config: z.strictObject({
    receivers: components,
    processors: components.optional(),
    exporters: components,
    connectors: components.optional(),
    extensions: components.optional(),
    service: z.strictObject({
      pipelines: z.record(
        z.string(),
        z.strictObject({
          receivers: z.array(z.string()).min(1),
          processors: z.array(z.string()).optional(),
          exporters: z.array(z.string()).min(1),
        }),
      ),
      extensions: z.array(z.string()).optional(),
      telemetry: kube.optional(),
    }),
  }),
  args: stringMap.optional(),
  env: z.array(kube).optional(),
  envFrom: z.array(kube).optional(),
  volumes: z.array(kube).optional(),
  volumeMounts: z.array(kube).optional(),
  ports: z.array(kube).optional(),
  serviceAccount: z.string().optional(),
  securityContext: kube.optional(),
  podSecurityContext: kube.optional(),
  podAnnotations: stringMap.optional(),
  nodeSelector: stringMap.optional(),
  tolerations: z.array(kube).optional(),
  affinity: kube.optional(),
  topologySpreadConstraints: z.array(kube).optional(),
  priorityClassName: z.string().optional(),
  autoscaler: kube.optional(),
  podDisruptionBudget: kube.optional(),
  targetAllocator: kube.optional(),
  observability: kube.optional(),
  ingress: kube.optional(),
  upgradeStrategy: z.enum(['automatic', 'none']).optional(),
  managementState: z.enum(['managed', 'unmanaged']).optional(),
});

const SCHEMAS: Record<string, z.ZodType> = {
  'k8s.keycloak.org/v2alpha1 Keycloak': keycloakSpec,
  'k8s.keycloak.org/v2alpha1 KeycloakRealmImport': realmImportSpec,
  'opentelemetry.io/v1beta1 OpenTelemetryCollector': collectorSpec,
};

/** API groups whose objects these schemas check (the Kubernetes models know the others). */
export const OPERATOR_GROUPS = new Set(['k8s.keycloak.org', 'opentelemetry.io']);

function issuesOf(result: z.ZodSafeParseResult<unknown>, at: string): string[] {
  return result.success ? [] : result.error.issues.map((issue) => `${[at, ...issue.path].join('.')}: ${issue.message}`);
}

/** Problems of the Keycloak and OpenTelemetry objects, as `Kind/name: problem`; empty = valid. */
export function operatorObjectProblems(objects: K8sObject[]): string[] {
  const problems: string[] = [];
  const keycloaks = new Set(objects.filter((object) => object.kind === 'Keycloak').map((object) => object.metadata?.name));
  for (const object of objects) {
    const group = object.apiVersion?.split('/')[0] ?? '';
    if (!OPERATOR_GROUPS.has(group)) continue;
    const id = `${object.kind}/${object.metadata?.name}`;
    const schema = SCHEMAS[`${object.apiVersion} ${object.kind}`];
    if (!schema) {
      problems.push(`${id}: no schema for ${object.apiVersion} ${object.kind} (unknown API version or kind)`);
      continue;
    }
    const found = [...issuesOf(metadata.safeParse(object.metadata), 'metadata'), ...issuesOf(schema.safeParse(object['spec']), 'spec')];
    if (found.length === 0) found.push(...crossChecks(object, keycloaks));
    problems.push(...found.map((problem) => `${id}: ${problem}`));
  }
  return problems;
}

/** What the operators would only find out at run time. */
function crossChecks(object: K8sObject, keycloaks: Set<string>): string[] {
  const spec = object['spec'] as Record<string, unknown>;
  if (object.kind === 'KeycloakRealmImport') {
    const problems: string[] = [];
    const crName = spec['keycloakCRName'] as string;
    if (keycloaks.size > 0 && !keycloaks.has(crName)) problems.push(`spec.keycloakCRName: no Keycloak ${crName} among these objects`);
    // ${UPPER_CASE} are the operator's placeholders; ${camelCase} are Keycloak's message keys
    const used = new Set([...JSON.stringify(spec['realm']).matchAll(/\$\{([A-Z0-9_]+)\}/g)].map((match) => match[1]));
    const declared = Object.keys((spec['placeholders'] as Record<string, unknown>) ?? {});
    for (const placeholder of used) {
      if (!declared.includes(placeholder)) problems.push(`spec.placeholders: \${${placeholder}} is used in the realm but not declared`);
    }
    return problems;
  }
  if (object.kind === 'OpenTelemetryCollector') {
    const config = spec['config'] as Record<string, Record<string, unknown> | undefined> & {
      service: { pipelines: Record<string, Record<string, string[] | undefined>> };
    };
    return Object.entries(config.service.pipelines).flatMap(([pipeline, parts]) =>
      (['receivers', 'processors', 'exporters'] as const).flatMap((kind) =>
        (parts[kind] ?? [])
          .filter((component) => !(component in (config[kind] ?? {})))
          .map((component) => `spec.config.service.pipelines.${pipeline}.${kind}: ${component} is not defined in spec.config.${kind}`),
      ),
    );
  }
  return [];
}
