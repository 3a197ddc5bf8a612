// The deploy policy every rendered profile must meet (issue 9, item 5).
import type { K8sObject } from './charts';

interface Container {
  name: string;
  image?: string;
  securityContext?: {
    runAsNonRoot?: boolean;
    runAsUser?: number;
    readOnlyRootFilesystem?: boolean;
    allowPrivilegeEscalation?: boolean;
    capabilities?: { drop?: string[] };
  };
  resources?: { requests?: Record<string, unknown>; limits?: Record<string, unknown> };
  livenessProbe?: unknown;
  readinessProbe?: unknown;
  env?: { name: string; value?: string; valueFrom?: unknown }[];
}

interface PodSpec {
  securityContext?: { runAsNonRoot?: boolean; runAsUser?: number };
  containers: Container[];
  initContainers?: Container[];
}

export interface PolicyOptions {
  /** When set, every image must come from this registry (the on-prem mirror). */
  registry?: string;
}

/** Names of variables and keys that hold credentials; they must come from a Secret (also the values schemas' pattern). */
export const CREDENTIAL_NAME = '([Pp]ass(wd|word)|PASS(WD|WORD)|[Ss]ecrets?|SECRETS?|[Tt]okens?|TOKENS?|[Cc]redentials?|CREDENTIALS?|[Pp]rivate_?[Kk]ey|PRIVATE_?KEY|[Aa]pi_?[Kk]ey|API_?KEY|database_url|DATABASE_URL)$';
const SECRET_NAME = new RegExp(CREDENTIAL_NAME, 'i');
/** Keys that name a Secret rather than hold one. */
const SECRET_REFERENCE = /^(existing|secretName$|.*SecretKey$|.*Secrets$)/;

function podSpecOf(object: K8sObject): PodSpec | undefined {
  const spec = object['spec'] as Record<string, unknown> | undefined;
  switch (object.kind) {
    case 'Deployment':
    case 'StatefulSet':
    case 'DaemonSet':
    case 'Job':
      return (spec?.['template'] as { spec: PodSpec }).spec;
    case 'CronJob':
      return ((spec?.['jobTemplate'] as { spec: { template: { spec: PodSpec } } }).spec.template.spec);
    case 'Pod':
      return spec as unknown as PodSpec;
    default:
      return undefined;
  }
}

function imageProblems(image: string | undefined, options: PolicyOptions): string[] {
  if (!image) return ['has no image'];
  const problems: string[] = [];
  const [withoutDigest, digest] = image.split('@');
  const lastSegment = withoutDigest.split('/').pop() ?? '';
  const tag = lastSegment.includes(':') ? lastSegment.split(':').pop() : undefined;
  if (!digest && !tag) problems.push(`image ${image} has no tag (means latest)`);
  if (tag === 'latest') problems.push(`image ${image} uses the latest tag`);
  if (options.registry && !image.startsWith(`${options.registry}/`)) {
    problems.push(`image ${image} is not from the configured registry ${options.registry}`);
  }
  return problems;
}

function containerProblems(object: K8sObject, pod: PodSpec, container: Container, options: PolicyOptions): string[] {
  const problems: string[] = [];
  const context = container.securityContext ?? {};
  const nonRoot =
    (context.runAsNonRoot ?? pod.securityContext?.runAsNonRoot) === true &&
    (context.runAsUser ?? pod.securityContext?.runAsUser ?? 1) !== 0;
  if (!nonRoot) problems.push('may run as root (runAsNonRoot must be true)');
  if (context.readOnlyRootFilesystem !== true) problems.push('root filesystem is not read-only');
  if (context.allowPrivilegeEscalation !== false) problems.push('allows privilege escalation');
  if (!context.capabilities?.drop?.includes('ALL')) problems.push('does not drop ALL capabilities');
  const { requests, limits } = container.resources ?? {};
  if (!requests?.['cpu'] || !requests?.['memory']) problems.push('has no cpu and memory requests');
  if (!limits?.['memory']) problems.push('has no memory limit');
  if (object.kind !== 'Job' && object.kind !== 'CronJob') {
    if (!container.livenessProbe) problems.push('has no livenessProbe');
    if (!container.readinessProbe) problems.push('has no readinessProbe');
  }
  for (const variable of container.env ?? []) {
    if (variable.value !== undefined && SECRET_NAME.test(variable.name)) {
      problems.push(`sets ${variable.name} in plain text (use a Secret)`);
    }
  }
  problems.push(...imageProblems(container.image, options));
  return problems;
}

function isDefaultDeny(object: K8sObject): boolean {
  if (object.kind !== 'NetworkPolicy') return false;
  const spec = object['spec'] as { podSelector?: Record<string, unknown>; policyTypes?: string[]; ingress?: unknown[]; egress?: unknown[] };
  const selectsAll = Object.keys(spec.podSelector ?? {}).every((key) => {
    const value = (spec.podSelector ?? {})[key];
    return Array.isArray(value) ? value.length === 0 : Object.keys((value as object) ?? {}).length === 0;
  });
  return (
    selectsAll &&
    ['Ingress', 'Egress'].every((type) => spec.policyTypes?.includes(type)) &&
    !spec.ingress?.length &&
    !spec.egress?.length
  );
}

/** Every violation, as `Kind/name: problem`; empty when the manifests meet the policy. */
export function policyViolations(objects: K8sObject[], options: PolicyOptions = {}): string[] {
  const violations: string[] = [];
  for (const object of objects) {
    const id = `${object.kind}/${object.metadata.name}`;
    const pod = podSpecOf(object);
    if (pod) {
      for (const container of [...(pod.initContainers ?? []), ...pod.containers]) {
        for (const problem of containerProblems(object, pod, container, options)) {
          violations.push(`${id} container ${container.name}: ${problem}`);
        }
      }
    }
    if (object.kind === 'Secret') {
      violations.push(`${id}: the charts must not render Secrets from values (reference an existingSecret)`);
    }
    if (object.kind === 'ConfigMap') {
      for (const key of Object.keys((object['data'] as Record<string, string>) ?? {})) {
        if (SECRET_NAME.test(key)) violations.push(`${id}: ${key} is a credential in a ConfigMap`);
      }
    }
  }
  if (!objects.some(isDefaultDeny)) violations.push('no default-deny NetworkPolicy (podSelector {}, Ingress and Egress, no rules)');
  return violations;
}

/** Credential-looking values with a value in a values file: they belong in a Secret. */
export function secretValuesIn(values: unknown, path = ''): string[] {
  if (Array.isArray(values)) return values.flatMap((value, index) => secretValuesIn(value, `${path}[${index}]`));
  if (values === null || typeof values !== 'object') return [];
  return Object.entries(values as Record<string, unknown>).flatMap(([key, value]) => {
    const here = path ? `${path}.${key}` : key;
    if (typeof value === 'string' && value !== '' && SECRET_NAME.test(key) && !SECRET_REFERENCE.test(key)) {
      return [`${here} holds a credential in plain values`];
    }
    return secretValuesIn(value, here);
  });
}
