import { provisionedTopics } from '@urbis/contracts';
import { lstatSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { ensureBinaries } from './binaries';
import { chartsDigest, recordedRelease } from './chart-release';
import { type K8sObject, PROFILES, profileValues, renderProfile, SERVICE_CHARTS, stageCharts, type StagedCharts } from './charts';
import { generatedFiles } from './generated-files';
import { policyViolations, secretValuesIn } from './policy';
import { CHART_VERSION } from './services';
import { validateAgainstApiSchemas } from './validate';

const workspaceRoot = resolve(__dirname, '../../..');
const binaries = ensureBinaries(workspaceRoot);
const ON_PREM_REGISTRY = 'registry.city.local';

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
    let message = '';
    try {
      charts.helm(['template', 'urbis', 'urbis', '-f', bad]);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/replicaCount/);
    expect(message).toMatch(/databse/);
    expect(message).toMatch(/tag/);
    expect(message).toMatch(/type/);
    expect(message).toMatch(/partitions/);
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
