import { provisionedTopics, TOPIC_NAMES, TOPICS } from '@urbis/contracts';
import { lstatSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse, stringify } from 'yaml';
import { ensureBinaries } from './binaries';
import { chartsDigest, recordedRelease } from './chart-release';
import {
  type K8sObject,
  packageUmbrellaChart,
  parseManifests,
  PROFILES,
  profileValues,
  renderProfile,
  SERVICE_CHARTS,
  stageCharts,
  type StagedCharts,
} from './charts';
import { generatedFiles } from './generated-files';
import { policyViolations, secretValuesIn } from './policy';
import { CHART_VERSION } from './services';
import { unknownFieldProblems } from './unknown-fields';
import { validateAgainstApiSchemas } from './validate';

const workspaceRoot = resolve(__dirname, '../../..');
const binaries = ensureBinaries(workspaceRoot);
const ON_PREM_REGISTRY = 'registry.city.local';

interface PodContainer {
  image: string;
  env?: unknown[];
  ports?: { containerPort: number }[];
  volumeMounts?: unknown[];
}

interface PodVolume {
  name: string;
  secret?: { secretName: string };
}

function podSpecOf(objects: K8sObject[], deployment: string): { containers: PodContainer[]; volumes: PodVolume[] } {
  const object = objects.find((candidate) => candidate.kind === 'Deployment' && candidate.metadata.name === deployment);
  if (!object) throw new Error(`Deployment/${deployment} not rendered`);
  return (object['spec'] as { template: { spec: { containers: PodContainer[]; volumes: PodVolume[] } } }).template.spec;
}

const valuesDir = mkdtempSync(join(tmpdir(), 'urbis-values-'));
afterAll(() => rmSync(valuesDir, { recursive: true, force: true }));
let valuesFiles = 0;
function writeValues(values: unknown): string {
  const path = join(valuesDir, `values-${(valuesFiles += 1)}.yaml`);
  writeFileSync(path, stringify(values));
  return path;
}

/** helm template's error message for these arguments; fails the test when it renders. */
function renderError(charts: StagedCharts, args: string[]): string {
  try {
    charts.helm(['template', 'urbis', 'urbis', ...args]);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error(`helm template ${args.join(' ')} rendered, but should have been refused`);
}

describe('generated chart files', () => {
  const generated = generatedFiles(workspaceRoot);
  it.each(Object.keys(generated))('%s is checked in as generated', (path) => {
    const fresh = generated[path];
    const checkedIn = readFileSync(join(workspaceRoot, path), 'utf8');
    if (fresh !== checkedIn) throw new Error(`${path} is stale: run \`npx nx run deploy-check:generate\` and commit the result`);
  });
});

describe('chart versions', () => {
  it('every chart change comes with a version bump (STYLE 9)', () => {
    const recorded = recordedRelease(workspaceRoot);
    if (recorded.digest !== chartsDigest(workspaceRoot)) {
      throw new Error(
        recorded.version === CHART_VERSION
          ? `charts/ changed since version ${CHART_VERSION}: bump CHART_VERSION (tools/deploy-check/src/services.ts and charts/urbis-lib/Chart.yaml), then run \`npx nx run deploy-check:generate\``
          : `CHART_VERSION is ${CHART_VERSION}: run \`npx nx run deploy-check:generate\` to record the release`,
      );
    }
    expect(recorded.version).toBe(CHART_VERSION);
  });

  it('docs/deploy.md installs the current chart package', () => {
    expect(readFileSync(join(workspaceRoot, 'docs/deploy.md'), 'utf8')).toContain(`CHART=dist/charts/urbis-${CHART_VERSION}.tgz`);
  });

  it('the library chart has the version the service charts depend on', () => {
    const lib = parse(readFileSync(join(workspaceRoot, 'charts/urbis-lib/Chart.yaml'), 'utf8')) as { version: string };
    expect(lib.version).toBe(CHART_VERSION);
  });
});

describe('charts', () => {
  let charts: StagedCharts;
  const rendered = new Map<string, K8sObject[]>();
  beforeAll(() => {
    charts = stageCharts(workspaceRoot, binaries);
    for (const profile of PROFILES) rendered.set(profile, renderProfile(charts, workspaceRoot, profile));
  }, 60_000);
  afterAll(() => charts?.remove());

  it.each([...SERVICE_CHARTS, 'urbis-lib'])('helm lint --strict charts/%s', (chart) => {
    expect(charts.helm(['lint', '--strict', chart])).toContain('0 chart(s) failed');
  });

  it.each(['defaults', ...PROFILES])('helm lint --strict charts/urbis with %s', (profile) => {
    const args = ['lint', '--strict', 'urbis'];
    if (profile !== 'defaults') args.push('-f', profileValues(workspaceRoot, profile as (typeof PROFILES)[number]));
    expect(charts.helm(args)).toContain('0 chart(s) failed');
  });

  it.each(PROFILES)('%s: every rendered object is valid against the Kubernetes API schemas', (profile) => {
    const objects = rendered.get(profile) ?? [];
    expect(objects.filter((object) => object.kind === 'Deployment')).toHaveLength(5);
    expect(validateAgainstApiSchemas(objects)).toEqual([]);
  });

  it('no rendered object of any profile has a field its kind does not declare', () => {
    const objects = PROFILES.flatMap((profile) => rendered.get(profile) ?? []);
    expect(unknownFieldProblems(workspaceRoot, objects)).toEqual([]);
  }, 120_000);

  it.each(PROFILES)('%s: meets the deploy policy', (profile) => {
    const options = profile === 'on-prem' ? { registry: ON_PREM_REGISTRY } : {};
    expect(policyViolations(rendered.get(profile) ?? [], options)).toEqual([]);
  });

  it.each(PROFILES)('%s: the profile holds no credentials in plain values', (profile) => {
    expect(secretValuesIn(parse(readFileSync(profileValues(workspaceRoot, profile), 'utf8')))).toEqual([]);
  });

  it.each([...SERVICE_CHARTS, 'urbis'])('charts/%s/values.yaml holds no credentials', (chart) => {
    expect(secretValuesIn(parse(readFileSync(join(workspaceRoot, 'charts', chart, 'values.yaml'), 'utf8')))).toEqual([]);
  });

  it('on-prem: pulls only from the configured registry and needs no remote chart', () => {
    const objects = rendered.get('on-prem') ?? [];
    const images = objects.flatMap((object) => JSON.stringify(object).match(/"image":"[^"]+"/g) ?? []);
    expect(images.length).toBeGreaterThanOrEqual(10);
    for (const image of images) expect(image).toMatch(new RegExp(`^"image":"${ON_PREM_REGISTRY.replace(/\./g, '\\.')}/`));
    for (const chart of [...SERVICE_CHARTS, 'urbis']) {
      const { dependencies = [] } = parse(readFileSync(join(workspaceRoot, 'charts', chart, 'Chart.yaml'), 'utf8')) as {
        dependencies?: { repository: string }[];
      };
      for (const dependency of dependencies) expect(dependency.repository).toMatch(/^file:\/\/\.\.\//);
    }
  });

  it.each(['on-prem', 'hybrid'] as const)('%s: declares every topic of libs/contracts, and only those, as a KafkaTopic', (profile) => {
    const declared = (rendered.get(profile) ?? []).filter((object) => object.kind === 'KafkaTopic');
    const names = declared.map((topic) => (topic['spec'] as { topicName: string }).topicName);
    expect(names.sort()).toEqual(provisionedTopics().sort());
    const deadLetter = declared.find((topic) => topic.metadata.name.endsWith('.dlq'));
    expect((deadLetter?.['spec'] as { partitions: number }).partitions).toBe(1);
    // the contracts' changelog topics are compacted, the others keep events for their retention
    const cleanup = Object.fromEntries(declared.map((topic) => [topic.metadata.name, (topic['spec'] as { config: Record<string, unknown> }).config['cleanup.policy']]));
    const compacted = TOPIC_NAMES.filter((name) => TOPICS[name].cleanup === 'compact');
    expect(compacted).toEqual(expect.arrayContaining(['security.policy.changed.v2', 'devices.device.changed.v1']));
    for (const name of provisionedTopics()) expect([name, cleanup[name]]).toEqual([name, compacted.includes(name as never) ? 'compact' : 'delete']);
  });

  it('packages into one file that installs the same objects, with no chart repository (air-gapped install)', () => {
    const chart = packageUmbrellaChart(charts, valuesDir);
    const fromPackage = charts.helm(['template', 'urbis', chart, '--namespace', 'urbis', '-f', profileValues(workspaceRoot, 'on-prem')]);
    expect(parseManifests(fromPackage)).toEqual(rendered.get('on-prem'));
  });

  it('reads the topics from the AsyncAPI document generated from the contracts, not from a list of its own', () => {
    const link = join(workspaceRoot, 'charts/urbis/files/asyncapi.yaml');
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(realpathSync(link)).toBe(join(workspaceRoot, 'docs/asyncapi.yaml'));
    const staged = readFileSync(join(charts.dir, 'urbis/files/asyncapi.yaml'), 'utf8');
    expect(staged).toBe(readFileSync(join(workspaceRoot, 'docs/asyncapi.yaml'), 'utf8'));
  });

  it('rejects a deliberately bad values file through the schema', () => {
    const bad = join(__dirname, '..', 'fixtures', 'bad-values.yaml');
    const message = renderError(charts, ['-f', bad]);
    for (const path of ['replicaCount', 'databse', 'tag', 'mqtt/service/type', 'partitions', 'kafkaTopic', 'DB_PASSWORD']) {
      expect(message).toContain(path);
    }
  });

  // Each alone, so that one rejection cannot hide that another value passes.
  it.each([
    ['a wrong type in a service chart', { devices: { replicaCount: 'three' } }, /replicaCount.*(got string, want integer|expected integer)/],
    ['a wrong type in the umbrella', { global: { imagePullSecrets: 'city-registry' } }, /imagePullSecrets.*(got string, want array|expected array)/],
    ['a boolean given as a string', { connectivity: { mqtt: { tls: { enabled: 'true' } } } }, /enabled.*(got string, want boolean|expected boolean)/],
    ['an unknown key in a service chart', { devices: { databse: { existingSecret: 'x' } } }, /databse/],
    ['an unknown nested key', { data: { image: { tags: '1.0.0' } } }, /tags/],
    ['an unknown key in the umbrella', { kafkaTopic: { partitions: 3 } }, /kafkaTopic/],
    ['the latest tag', { security: { image: { tag: 'latest' } } }, /tag/],
    ['an MQTT Service devices cannot reach', { connectivity: { mqtt: { service: { type: 'ClusterIP' } } } }, /type/],
    ['a value below its minimum', { kafkaTopics: { partitions: 0 } }, /partitions/],
    ['a credential in plain values', { integration: { extraEnv: { DB_PASSWORD: 'hunter2' } } }, /DB_PASSWORD/],
  ])('rejects %s', (_what, values, expected) => {
    expect(renderError(charts, ['-f', writeValues(values)])).toMatch(expected);
  });

  it('accepts the same kinds of values when they are right (so the rejections are the values)', () => {
    const good = {
      devices: { replicaCount: 3, database: { existingSecret: 'x' }, image: { tag: '0.1.0' } },
      global: { imagePullSecrets: ['city-registry'] },
      connectivity: { mqtt: { service: { type: 'NodePort' }, tls: { enabled: false } } },
      integration: { extraEnv: { DELIVERY_CONCURRENCY: '16' } },
      kafkaTopics: { partitions: 3 },
    };
    expect(parseManifests(charts.helm(['template', 'urbis', 'urbis', '-f', writeValues(good)])).length).toBeGreaterThan(10);
  });

  it.each(SERVICE_CHARTS)('%s: a pre-install/pre-upgrade Job applies its migrations with the service\'s database Secret', (service) => {
    const objects = rendered.get('on-prem') ?? [];
    const job = objects.find((object) => object.kind === 'Job' && object.metadata.name === `urbis-${service}-migrate`);
    expect(job?.metadata.annotations?.['helm.sh/hook']).toBe('pre-install,pre-upgrade');
    const container = (job?.['spec'] as { template: { spec: { containers: PodContainer[] } } }).template.spec.containers[0];
    expect(container.image).toBe(`${ON_PREM_REGISTRY}/urbis-platform/${service}-migrate:0.1.0`);
    expect(container.env).toEqual([
      { name: 'DATABASE_URL', valueFrom: { secretKeyRef: { name: `urbis-${service}-pg-app`, key: 'uri' } } },
    ]);
  });

  it('connectivity publishes MQTT on 1883 and, with TLS from a Secret, 8883 through a LoadBalancer (on-prem)', () => {
    const objects = rendered.get('on-prem') ?? [];
    const service = objects.find((object) => object.kind === 'Service' && object.metadata.name === 'urbis-connectivity-mqtt');
    const spec = service?.['spec'] as { type: string; ports: { name: string; port: number; targetPort: string }[] };
    expect(spec.type).toBe('LoadBalancer');
    expect(spec.ports.map(({ name, port, targetPort }) => [name, port, targetPort])).toEqual([
      ['mqtt', 1883, 'mqtt'],
      ['mqtts', 8883, 'mqtts'],
    ]);
    const pod = podSpecOf(objects, 'urbis-connectivity');
    expect(pod.volumes.find((volume) => volume.name === 'mqtt-tls')?.secret?.secretName).toBe('urbis-mqtt-tls');
    expect(pod.containers[0].volumeMounts).toEqual(
      expect.arrayContaining([{ name: 'mqtt-tls', mountPath: '/etc/urbis/mqtt-tls', readOnly: true }]),
    );
    expect(pod.containers[0].ports?.map((port) => port.containerPort)).toEqual([8081, 1883, 8883]);
  });

  it('connectivity publishes MQTT through fixed NodePorts (hybrid)', () => {
    const service = (rendered.get('hybrid') ?? []).find((object) => object.metadata.name === 'urbis-connectivity-mqtt');
    const spec = service?.['spec'] as { type: string; ports: { port: number; nodePort: number }[] };
    expect(spec.type).toBe('NodePort');
    expect(spec.ports.map(({ port, nodePort }) => [port, nodePort])).toEqual([
      [1883, 31883],
      [8883, 31884],
    ]);
  });

  it.each(PROFILES)('%s: integration may reach delivery and connector targets, the other services may not', (profile) => {
    const objects = rendered.get(profile) ?? [];
    const egressOf = (service: string) =>
      JSON.stringify((objects.find((object) => object.kind === 'NetworkPolicy' && object.metadata.name === `urbis-${service}`)?.['spec'] as { egress: unknown[] }).egress);
    // MQTT over TLS is only ever a delivery target
    expect(egressOf('integration')).toContain('"port":8883');
    for (const service of ['connectivity', 'devices', 'data', 'security']) expect(egressOf(service)).not.toContain('"port":8883');
    for (const service of ['devices', 'data', 'security']) expect(egressOf(service)).not.toContain('10.50.0.0/16');
    expect(egressOf('devices')).not.toContain('0.0.0.0/0');
  });

  it('refuses MQTT over TLS without the Secret that holds the certificate', () => {
    const values = { connectivity: { mqtt: { tls: { enabled: true, existingSecret: '' } } } };
    expect(renderError(charts, ['-f', writeValues(values)])).toContain('mqtt.tls.existingSecret is required');
  });

  it('on-prem: every endpoint a service is given is inside the city network, and no egress opens to the internet', () => {
    const objects = rendered.get('on-prem') ?? [];
    // URLs and host:port lists (Kafka brokers, the issuer, the collector, extraEnv endpoints)
    const hosts = objects
      .filter((object) => object.kind === 'ConfigMap')
      .flatMap((object) => Object.values((object['data'] as Record<string, string>) ?? {}))
      .flatMap((value) => value.split(',').map((part) => part.trim()))
      .map((value) => /^[a-z][a-z0-9+.-]*:\/\/([^/:]+)/i.exec(value)?.[1] ?? /^([a-z0-9.-]+):\d+$/i.exec(value)?.[1])
      .filter((host): host is string => host !== undefined);
    expect(hosts.length).toBeGreaterThanOrEqual(15);
    for (const host of hosts) expect(host).toMatch(/^([a-z0-9-]+|[a-z0-9.-]+\.(local|svc|cluster\.local))$/);
    const egressTo = objects
      .filter((object) => object.kind === 'NetworkPolicy')
      .flatMap((object) => ((object['spec'] as { egress?: { to?: { ipBlock?: { cidr: string } }[] }[] }).egress ?? []))
      .flatMap((rule) => rule.to ?? [])
      .map((peer) => peer.ipBlock?.cidr)
      .filter(Boolean);
    expect(egressTo).not.toContain('0.0.0.0/0');
    expect(egressTo).not.toContain('::/0');
  });
});

describe('the check itself', () => {
  it('fails when a template drops the readiness probe', () => {
    const charts = stageCharts(workspaceRoot, binaries, (dir) => {
      const template = join(dir, 'urbis-lib/templates/_deployment.tpl');
      const text = readFileSync(template, 'utf8');
      const withoutProbe = text.replace(/.*"probe" "readinessProbe".*\n/, '');
      expect(withoutProbe).not.toBe(text);
      writeFileSync(template, withoutProbe);
    });
    try {
      const violations = policyViolations(renderProfile(charts, workspaceRoot, 'on-prem'));
      expect(violations).toHaveLength(5);
      expect(violations[0]).toMatch(/Deployment\/urbis-\w+ container \w+: has no readinessProbe/);
    } finally {
      charts.remove();
    }
  }, 60_000);

  it('fails when a template misspells a field (which the API schemas let through)', () => {
    const charts = stageCharts(workspaceRoot, binaries, (dir) => {
      const template = join(dir, 'urbis-lib/templates/_deployment.tpl');
      const text = readFileSync(template, 'utf8');
      expect(text).toContain('podAntiAffinity:');
      writeFileSync(template, text.replace('podAntiAffinity:', 'podAntiAfinity:'));
    });
    try {
      const objects = renderProfile(charts, workspaceRoot, 'on-prem');
      expect(validateAgainstApiSchemas(objects)).toEqual([]);
      const problems = unknownFieldProblems(workspaceRoot, objects);
      expect(problems).toHaveLength(5);
      expect(problems[0]).toMatch(/Deployment\/urbis-\w+: .*'"podAntiAfinity"' does not exist in type 'IAffinity'/);
    } finally {
      charts.remove();
    }
  }, 60_000);

  it('reports a misspelt field at any depth, which the API schemas let through', () => {
    const deployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'typo' },
      spec: {
        selector: { matchLabels: { app: 'typo' } },
        template: {
          metadata: { labels: { app: 'typo' } },
          spec: { containers: [{ name: 'app', image: 'x:1', readinesProbe: { httpGet: { path: '/', port: 80 } } }], affinity: { podAntiAfinity: {} } },
        },
      },
    };
    expect(validateAgainstApiSchemas([deployment])).toEqual([]);
    const problems = unknownFieldProblems(workspaceRoot, [deployment]).join('\n');
    expect(problems).toMatch(/Deployment\/typo: .*readinesProbe/);
    expect(problems).toMatch(/Deployment\/typo: .*podAntiAfinity/);
  }, 60_000);

  it('reports latest tags, plain-text credentials, root containers and a missing default deny', () => {
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'bad' },
      spec: { containers: [{ name: 'app', image: 'nginx:latest', env: [{ name: 'DB_PASSWORD', value: 'hunter2' }] }] },
    };
    const violations = policyViolations([pod]).join('\n');
    for (const expected of ['latest tag', 'DB_PASSWORD in plain text', 'may run as root', 'no memory limit', 'no readinessProbe', 'default-deny']) {
      expect(violations).toContain(expected);
    }
    expect(policyViolations([pod], { registry: 'registry.city.local' }).join('\n')).toContain('not from the configured registry');
    expect(secretValuesIn({ a: { password: 'x', existingSecret: 'ok' } })).toEqual(['a.password holds a credential in plain values']);
  });
});
