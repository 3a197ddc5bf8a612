// Validates Kubernetes objects against the API schemas of kubernetes-models (and its CRD
// packages for Prometheus Operator, Strimzi and CloudNativePG), offline. Keycloak and
// OpenTelemetry objects are left to src/operator-schemas.ts. An ES module run by
// Node itself: those packages are ESM-only and Jest would have to transpile thousands of files.
// stdin: a JSON array of objects. stdout: a JSON array of "Kind/name: problem" strings.
import { readFileSync } from 'node:fs';

const PACKAGES = {
  'monitoring.coreos.com': '@kubernetes-models/prometheus-operator',
  'kafka.strimzi.io': '@kubernetes-models/strimzi-kafka-operator',
  'postgresql.cnpg.io': '@kubernetes-models/cloudnative-pg',
};
// No schema package exists for these: src/operator-schemas.ts checks them.
const CHECKED_ELSEWHERE = new Set(['k8s.keycloak.org', 'opentelemetry.io']);

function modulePath(apiVersion, kind) {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  if (group === '') return `kubernetes-models/${version}/${kind}`;
  if (PACKAGES[group]) return `${PACKAGES[group]}/${group}/${version}/${kind}`;
  return `kubernetes-models/${group}/${version}/${kind}`;
}

const objects = JSON.parse(readFileSync(0, 'utf8'));
const problems = [];
for (const object of objects) {
  const id = `${object?.kind}/${object?.metadata?.name}`;
  if (!object?.apiVersion || !object?.kind || !object?.metadata?.name) {
    problems.push(`${id}: apiVersion, kind and metadata.name are required`);
    continue;
  }
  const group = object.apiVersion.includes('/') ? object.apiVersion.split('/')[0] : '';
  if (CHECKED_ELSEWHERE.has(group)) continue;
  let Model;
  try {
    Model = (await import(modulePath(object.apiVersion, object.kind)))[object.kind];
  } catch {
    problems.push(`${id}: no schema for ${object.apiVersion} ${object.kind} (unknown API version or kind)`);
    continue;
  }
  try {
    new Model(object).validate();
  } catch (error) {
    problems.push(`${id}: ${error.message}`);
  }
}
process.stdout.write(JSON.stringify(problems));
