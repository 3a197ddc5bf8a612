import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import type { K8sObject } from './charts';

/** Problems of the objects against the Kubernetes API schemas (see validate-manifests.mjs); empty = valid. */
export function validateAgainstApiSchemas(objects: K8sObject[]): string[] {
  const output = execFileSync(process.execPath, [join(__dirname, '..', 'validate-manifests.mjs')], {
    input: JSON.stringify(objects),
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  return JSON.parse(output) as string[];
}
