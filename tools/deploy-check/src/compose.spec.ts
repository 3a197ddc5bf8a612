// docker-compose.yml cannot run here: this keeps it in step with what the charts render
// (images, ports, environment variable names) and with the Dockerfile.
import { provisionedTopics } from '@urbis/contracts';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { ensureBinaries } from './binaries';
import { type K8sObject, parseManifests, stageCharts } from './charts';
import { serviceEnv, variableNames } from './service-env';
import { SERVICES } from './services';

const workspaceRoot = resolve(__dirname, '../../..');

interface ComposeService {
  image: string;
  environment?: Record<string, string>;
  ports?: string[];
  build?: { context: string; target: string; args: Record<string, string> };
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
    expect(composed.build).toEqual({ context: '.', target: 'runtime', args: { SERVICE: service, PORTS: expect.any(String) } });
    expect(migrate.build).toEqual({ context: '.', target: 'migrate', args: { SERVICE: service } });
  });

  it('publish the same ports, which the Dockerfile exposes', () => {
    const chartPorts = (podOf(find('Deployment', `urbis-${service}`)).containers[0].ports ?? []).map((port) => port.containerPort);
    const composePorts = (composed.ports ?? []).map((mapping) => Number(mapping.split(':').pop()));
    expect(composePorts.sort()).toEqual(chartPorts.sort());
    // the image documents every port the chart may open (the Dockerfile's EXPOSE ${PORTS})
    const values = parse(readFileSync(join(workspaceRoot, 'charts', service, 'values.yaml'), 'utf8')) as {
      containerPorts: Record<string, number>;
    };
    const exposed = (composed.build?.args['PORTS'] ?? '').split(' ').map(Number);
    expect(exposed.sort()).toEqual(Object.values(values.containerPorts).sort());
    expect(exposed).toEqual(expect.arrayContaining(chartPorts));
    expect(composed.environment?.['PORT']).toBe(String(SERVICES.find(({ name }) => name === service)?.port));
  });

  it('set the same environment variables', () => {
    // the ConfigMap's, and DATABASE_URL and the other variables from Secrets or from the pod
    expect(Object.keys(composed.environment ?? {}).sort()).toEqual(variableNames(serviceEnv(objects, `urbis-${service}`)));
    expect(Object.keys(migrate.environment ?? {})).toEqual(variableNames(serviceEnv(objects, `urbis-${service}-migrate`, 'Job')));
  });
});

it('docker-compose.yml creates every topic of the contracts, read from the AsyncAPI document', () => {
  const topics = compose.services['kafka-topics'] as unknown as { command: string[]; volumes: string[] };
  expect(topics.volumes).toContain('./docs/asyncapi.yaml:/asyncapi.yaml:ro');
  // run the compose file's own sed expression on the document
  const expression = /sed -n '([^']+)' \/asyncapi\.yaml/.exec(topics.command.join(' '))?.[1];
  expect(expression).toBeDefined();
  const listed = execFileSync('sed', ['-n', expression as string, join(workspaceRoot, 'docs/asyncapi.yaml')], { encoding: 'utf8' });
  expect(listed.trim().split('\n').sort()).toEqual(provisionedTopics().sort());
  expect(JSON.stringify(compose)).not.toMatch(/connectivity\.uplink\.received/);
});

it('the Dockerfile builds each service from one recipe, on a pinned Node LTS, as a non-root user', () => {
  const dockerfile = readFileSync(join(workspaceRoot, 'Dockerfile'), 'utf8');
  const node = /^ARG NODE_IMAGE=node:(\d+)\.(\d+)\.(\d+)-bookworm-slim$/m.exec(dockerfile);
  expect(node).not.toBeNull();
  // the major version CI runs the build output on
  expect(node?.[1]).toBe(process.versions.node.split('.')[0]);
  expect(dockerfile).toMatch(/^EXPOSE \$\{PORTS\}$/m);
  expect(dockerfile.match(/^USER 10001:10001$/gm)).toHaveLength(2);
  expect(dockerfile).toContain('npm ci --omit=dev');
  for (const { name } of SERVICES) expect(dockerfile).toContain(name);
});
