import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import type { K8sObject } from './charts';
import { operatorObjectProblems } from './operator-schemas';

/**
 * Problems of the objects against the Kubernetes API schemas (validate-manifests.mjs) and the
 * Keycloak and OpenTelemetry operators' schemas (operator-schemas.ts); empty = valid.
 */
export function validateAgainstApiSchemas(objects: K8sObject[]): string[] {
  const output = execFileSync(process.execPath, [join(__dirname, '..', 'validate-manifests.mjs')], {
    input: JSON.stringify(objects),
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  return [...(JSON.parse(output) as string[]), ...operatorObjectProblems(objects)];
}
