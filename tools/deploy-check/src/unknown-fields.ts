// Unknown (misspelt, misplaced) fields. The API schemas of kubernetes-models accept them, and so
// does a cluster, which drops them with at most a warning: `podAntiAfinity` would silently mean
// no anti-affinity. The same packages ship TypeScript declarations of every kind, so each object
// is written as a typed object literal and compiled: TypeScript rejects a property the type does
// not declare, at any depth.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { K8sObject } from './charts';
import { OPERATOR_GROUPS } from './operator-schemas';

const CRD_PACKAGES: Record<string, string> = {
  'monitoring.coreos.com': '@kubernetes-models/prometheus-operator',
  'kafka.strimzi.io': '@kubernetes-models/strimzi-kafka-operator',
  'postgresql.cnpg.io': '@kubernetes-models/cloudnative-pg',
};

function typeModule(apiVersion: string, kind: string): string {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  if (group === '') return `kubernetes-models/${version}/${kind}`;
  return `${CRD_PACKAGES[group] ?? 'kubernetes-models'}/${group}/${version}/${kind}`;
}

/** Problems as `Kind/name: TypeScript's message`; empty when every field is a known one. */
export function unknownFieldProblems(workspaceRoot: string, objects: K8sObject[]): string[] {
  const checked = objects.filter((object) => !OPERATOR_GROUPS.has(object.apiVersion.split('/')[0]));
  // inside the workspace, so that the declarations resolve from its node_modules
  const cache = join(workspaceRoot, 'node_modules/.cache/urbis-deploy-check');
  mkdirSync(cache, { recursive: true });
  const dir = mkdtempSync(join(cache, 'fields-'));
  try {
    const lines: string[] = [];
    const owner: string[] = [];
    const imports = new Map<string, string>();
    checked.forEach((object, index) => {
      const module = typeModule(object.apiVersion, object.kind);
      const alias = imports.get(module) ?? `T${imports.size}`;
      imports.set(module, alias);
      const body = JSON.stringify(object, null, 1).split('\n');
      body[0] = `export const o${index}: ${alias} = ${body[0]}`;
      for (const line of body) {
        lines.push(line);
        owner.push(`${object.kind}/${object.metadata.name}`);
      }
    });
    const header = [...imports].map(([module, alias]) => `import type { I${module.split('/').pop()} as ${alias} } from '${module}';`);
    writeFileSync(join(dir, 'objects.ts'), [...header, ...lines].join('\n'));
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: { strict: true, noEmit: true, skipLibCheck: true, module: 'esnext', moduleResolution: 'bundler', target: 'es2022', types: [] },
        files: ['objects.ts'],
      }),
    );
    try {
      execFileSync(process.execPath, [join(workspaceRoot, 'node_modules/typescript/bin/tsc'), '-p', dir], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      return [];
    } catch (error) {
      const { stdout, stderr } = error as { stdout?: string; stderr?: string };
      const output = `${stdout ?? ''}${stderr ?? ''}` || String(error);
      const problems = [...output.matchAll(/^(?:.*\/)?objects\.ts\((\d+),\d+\): error TS\d+: (.*)$/gm)].map(([, line, message]) => {
        const at = Number(line) - header.length - 1;
        return `${owner[at] ?? `objects.ts line ${line}`}: ${message}`;
      });
      return problems.length ? problems : [`tsc failed:\n${output}`];
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
