// Drift between the charts and the services: a variable the chart sets that no code reads is a
// setting that silently does nothing (a renamed variable, a feature not there yet). The other
// direction, a variable the service needs in production that the chart does not set, is the
// build-output test's: it boots each service with exactly the chart's environment.
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ensureBinaries } from './binaries';
import { type K8sObject, parseManifests, PROFILES, profileValues, stageCharts } from './charts';
import { serviceEnv, variableNames } from './service-env';
import { SERVICES, type ServiceName } from './services';

const workspaceRoot = resolve(__dirname, '../../..');

/** Read by the OpenTelemetry SDK itself (libs/observability starts it). */
const READ_BY_OTEL_SDK = /^OTEL_/;

/**
 * Variables the chart sets ahead of the service, each with why; remove an entry when the
 * service reads it (the test fails when an entry is no longer needed).
 */
const AHEAD_OF_THE_SERVICE: Partial<Record<ServiceName, Record<string, string>>> = {};

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return ['prisma-client', '__fixtures__', 'test-support'].includes(entry.name) ? [] : sources(path);
    return /\.ts$/.test(entry.name) && !/\.(spec|int-spec|e2e-spec|test-helpers)\.ts$/.test(entry.name) ? [path] : [];
  });
}

/** The code that runs in a service: its own and the shared libraries'. */
function codeOf(service: ServiceName): string {
  const libs = readdirSync(join(workspaceRoot, 'libs')).flatMap((lib) => sources(join(workspaceRoot, 'libs', lib, 'src')));
  return [...sources(join(workspaceRoot, 'apps', service, 'src')), ...libs].map((file) => readFileSync(file, 'utf8')).join('\n');
}

const renders: K8sObject[][] = [];
beforeAll(() => {
  const charts = stageCharts(workspaceRoot, ensureBinaries(workspaceRoot));
  try {
    renders.push(parseManifests(charts.helm(['template', 'urbis', 'urbis', '--namespace', 'urbis'])));
    for (const profile of PROFILES) {
      renders.push(parseManifests(charts.helm(['template', 'urbis', 'urbis', '--namespace', 'urbis', '-f', profileValues(workspaceRoot, profile)])));
    }
  } finally {
    charts.remove();
  }
}, 60_000);

describe.each(SERVICES.map(({ name }) => name))('charts/%s', (service) => {
  it('sets only variables the service reads (defaults and every profile)', () => {
    const code = codeOf(service);
    const names = new Set(renders.flatMap((objects) => variableNames(serviceEnv(objects, `urbis-${service}`))));
    const ahead = AHEAD_OF_THE_SERVICE[service] ?? {};
    const unread = [...names].filter(
      (name) => !READ_BY_OTEL_SDK.test(name) && !(name in ahead) && !new RegExp(`\\b${name}\\b`).test(code),
    );
    expect(unread).toEqual([]);
    const nowRead = Object.keys(ahead).filter((name) => new RegExp(`\\b${name}\\b`).test(code));
    if (nowRead.length) throw new Error(`${service} reads ${nowRead.join(', ')} now: remove them from AHEAD_OF_THE_SERVICE`);
    for (const name of Object.keys(ahead)) expect(names).toContain(name);
  });

  it('gives the migration Job only its database', () => {
    for (const objects of renders) {
      expect(variableNames(serviceEnv(objects, `urbis-${service}-migrate`, 'Job'))).toEqual(['DATABASE_URL']);
    }
  });
});
