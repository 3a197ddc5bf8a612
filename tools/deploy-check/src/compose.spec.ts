// docker-compose.yml cannot run here: this keeps it in step with what the charts render
// (images, ports, environment variable names) and with the Dockerfiles.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { ensureBinaries } from './binaries';
import { type K8sObject, parseManifests, stageCharts } from './charts';
import { SERVICES } from './services';

const workspaceRoot = resolve(__dirname, '../../..');

interface ComposeService {
  image: string;
  environment?: Record<string, string>;
  ports?: string[];
  build?: { dockerfile: string; target: string };
}

const compose = parse(readFileSync(join(workspaceRoot, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<string, ComposeService>;
};

let objects: K8sObject[] = [];
beforeAll(() => {
  const charts = stageCharts(workspaceRoot, ensureBinaries(workspaceRoot));
  try {
    objects = parseManifests(charts.helm(['template', 'urbis', 'urbis', '--namespace', 'urbis']));
  } finally {
    charts.remove();
  }
}, 60_000);

const find = (kind: string, name: string) => {
  const object = objects.find((candidate) => candidate.kind === kind && candidate.metadata.name === name);
  if (!object) throw new Error(`${kind}/${name} not rendered`);
  return object;
};

interface PodSpec {
  containers: { image: string; ports?: { containerPort: number }[] }[];
}
const podOf = (object: K8sObject) => (object['spec'] as { template: { spec: PodSpec } }).template.spec;

describe.each(SERVICES.map(({ name }) => name))('docker-compose.yml and charts/%s', (service) => {
  const composed = compose.services[service];
  const migrate = compose.services[`${service}-migrate`];

  it('run the same images', () => {
    expect(composed.image).toBe(podOf(find('Deployment', `urbis-${service}`)).containers[0].image);
    expect(migrate.image).toBe(podOf(find('Job', `urbis-${service}-migrate`)).containers[0].image);
    expect(composed.build).toEqual({ context: '.', dockerfile: `apps/${service}/Dockerfile`, target: 'runtime' });
    expect(migrate.build).toEqual({ context: '.', dockerfile: `apps/${service}/Dockerfile`, target: 'migrate' });
  });

  it('publish the same ports, which the Dockerfile exposes', () => {
    const chartPorts = (podOf(find('Deployment', `urbis-${service}`)).containers[0].ports ?? []).map((port) => port.containerPort);
    const composePorts = (composed.ports ?? []).map((mapping) => Number(mapping.split(':').pop()));
    expect(composePorts.sort()).toEqual(chartPorts.sort());
    const dockerfile = readFileSync(join(workspaceRoot, 'apps', service, 'Dockerfile'), 'utf8');
    const exposed = /^EXPOSE (.+)$/m.exec(dockerfile)?.[1].split(/\s+/).map(Number) ?? [];
    expect(exposed).toEqual(expect.arrayContaining(chartPorts));
    expect(composed.environment?.['PORT']).toBe(String(SERVICES.find(({ name }) => name === service)?.port));
  });

  it('set the same environment variables', () => {
    const configMap = Object.keys((find('ConfigMap', `urbis-${service}`)['data'] as Record<string, string>) ?? {});
    expect(Object.keys(composed.environment ?? {}).sort()).toEqual([...configMap, 'DATABASE_URL'].sort());
    expect(Object.keys(migrate.environment ?? {})).toEqual(['DATABASE_URL']);
  });
});

it('docker-compose.yml creates the topics from the generated list, not by hand', () => {
  const topics = compose.services['kafka-topics'];
  expect(JSON.stringify(topics)).toContain('charts/urbis/files/topics.json');
  expect(JSON.stringify(compose)).not.toMatch(/connectivity\.uplink\.received/);
});
