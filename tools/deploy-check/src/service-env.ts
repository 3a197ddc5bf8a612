// The environment a service's pod gets from the rendered chart: its ConfigMap (envFrom) and its
// env entries (plain values, Secret keys, pod fields).
import type { K8sObject } from './charts';

export interface SecretVariable {
  name: string;
  secret: string;
  key: string;
  optional: boolean;
}

export interface ServiceEnv {
  /** Variables with a value in the manifests (the ConfigMap and plain env entries). */
  values: Record<string, string>;
  fromSecrets: SecretVariable[];
  /** Variables set from the pod (fieldRef), variable → fieldPath. */
  fromPod: Record<string, string>;
}

interface EnvEntry {
  name: string;
  value?: string;
  valueFrom?: {
    secretKeyRef?: { name: string; key: string; optional?: boolean };
    fieldRef?: { fieldPath: string };
    configMapKeyRef?: unknown;
  };
}

interface Container {
  name: string;
  env?: EnvEntry[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
}

const find = (objects: K8sObject[], kind: string, name: string): K8sObject => {
  const object = objects.find((candidate) => candidate.kind === kind && candidate.metadata.name === name);
  if (!object) throw new Error(`${kind}/${name} not rendered`);
  return object;
};

/** The environment of the first container of Deployment (or Job) `name`. */
export function serviceEnv(objects: K8sObject[], name: string, kind = 'Deployment'): ServiceEnv {
  const workload = find(objects, kind, name);
  const container = (workload['spec'] as { template: { spec: { containers: Container[] } } }).template.spec.containers[0];
  const env: ServiceEnv = { values: {}, fromSecrets: [], fromPod: {} };
  for (const source of container.envFrom ?? []) {
    if (!source.configMapRef) throw new Error(`${kind}/${name}: envFrom other than a ConfigMap is not supported here`);
    Object.assign(env.values, (find(objects, 'ConfigMap', source.configMapRef.name)['data'] as Record<string, string>) ?? {});
  }
  for (const entry of container.env ?? []) {
    if (entry.value !== undefined) env.values[entry.name] = entry.value;
    else if (entry.valueFrom?.secretKeyRef) {
      const { name: secret, key, optional } = entry.valueFrom.secretKeyRef;
      env.fromSecrets.push({ name: entry.name, secret, key, optional: optional === true });
    } else if (entry.valueFrom?.fieldRef) env.fromPod[entry.name] = entry.valueFrom.fieldRef.fieldPath;
    else throw new Error(`${kind}/${name}: ${entry.name} comes from a source this check does not know`);
  }
  return env;
}

/** Every variable name the pod gets. */
export const variableNames = (env: ServiceEnv): string[] =>
  [...Object.keys(env.values), ...env.fromSecrets.map((variable) => variable.name), ...Object.keys(env.fromPod)].sort();
