import { resolve } from 'node:path';
import { ensureBinaries } from './binaries';
import { type K8sObject, parseManifests, PROFILES, run } from './charts';
import { unknownFieldProblems } from './unknown-fields';
import { validateAgainstApiSchemas } from './validate';

const workspaceRoot = resolve(__dirname, '../../..');
const { kubectl } = ensureBinaries(workspaceRoot);
const render = (profile: string) =>
  parseManifests(run(kubectl, ['kustomize', `deploy/operators/overlays/${profile}`], workspaceRoot));

describe('operator manifests (deploy/operators)', () => {
  it.each(PROFILES)('%s overlay renders objects valid against the Strimzi, CloudNativePG and Kubernetes schemas', (profile) => {
    const objects = render(profile);
    expect(objects.length).toBeGreaterThan(0);
    expect(validateAgainstApiSchemas(objects)).toEqual([]);
    expect(unknownFieldProblems(workspaceRoot, objects)).toEqual([]);
  }, 60_000);

  it('on-prem runs Kafka in KRaft mode, PostGIS for every service, and imports the realm', () => {
    const objects = render('on-prem');
    const kafka = objects.find((object) => object.kind === 'Kafka');
    expect(kafka?.metadata.annotations?.['strimzi.io/kraft']).toBe('enabled');
    const clusters = objects.filter((object) => object.kind === 'Cluster').map((object) => object.metadata.name);
    expect(clusters).toEqual(expect.arrayContaining(['urbis-connectivity-pg', 'urbis-devices-pg', 'urbis-integration-pg', 'urbis-data-pg', 'urbis-security-pg']));
    expect(objects.some((object) => object.kind === 'KeycloakRealmImport')).toBe(true);
  });

  it('on-prem pulls every operand image from the city registry', () => {
    const text = JSON.stringify(render('on-prem'));
    const images = text.match(/"(image|imageName)":"[^"]+"/g) ?? [];
    expect(images.length).toBeGreaterThanOrEqual(5);
    for (const image of images) expect(image).toMatch(/:"registry\.city\.local\//);
  });

  it('the realm import carries no development-only client', () => {
    const text = JSON.stringify(render('on-prem'));
    expect(text).not.toMatch(/urbis-dev-admin|urbis-dev-secret/);
    expect(text).toContain('URBIS_DEVICES_CLIENT_SECRET');
  });
});

describe('the Keycloak and OpenTelemetry schemas', () => {
  const objects = render('on-prem');
  const find = (kind: string) => structuredClone(objects.find((object) => object.kind === kind)) as K8sObject & { spec: Record<string, never> };

  it('are applied to the Keycloak, KeycloakRealmImport and OpenTelemetryCollector of the overlays', () => {
    expect(['Keycloak', 'KeycloakRealmImport', 'OpenTelemetryCollector'].map((kind) => objects.some((object) => object.kind === kind))).toEqual([true, true, true]);
  });

  it.each([
    ['a misspelt Keycloak field', 'Keycloak', (spec: Record<string, unknown>) => (spec['hostnme'] = spec['hostname']), /Keycloak\/urbis-keycloak: spec: Unrecognized key.*hostnme/],
    ['a wrong type in Keycloak', 'Keycloak', (spec: Record<string, unknown>) => (spec['instances'] = 'two'), /Keycloak\/urbis-keycloak: spec\.instances/],
    ['an unknown proxy header mode', 'Keycloak', (spec: Record<string, unknown>) => ((spec['proxy'] as Record<string, string>)['headers'] = 'x-forwarded'), /spec\.proxy\.headers/],
    ['a realm import without its Keycloak', 'KeycloakRealmImport', (spec: Record<string, unknown>) => (spec['keycloakCRName'] = 'other'), /no Keycloak other/],
    ['a realm placeholder without a Secret', 'KeycloakRealmImport', (spec: Record<string, unknown>) => delete (spec['placeholders'] as Record<string, unknown>)['URBIS_DEVICES_CLIENT_SECRET'], /URBIS_DEVICES_CLIENT_SECRET\} is used in the realm but not declared/],
    ['a pipeline naming an undefined exporter', 'OpenTelemetryCollector', (spec: Record<string, unknown>) => ((spec['config'] as { service: { pipelines: { traces: { exporters: string[] } } } }).service.pipelines.traces.exporters = ['otlp/tempo']), /otlp\/tempo is not defined in spec\.config\.exporters/],
    ['an unknown collector mode', 'OpenTelemetryCollector', (spec: Record<string, unknown>) => (spec['mode'] = 'replicaset'), /spec\.mode/],
  ])('reject %s', (_what, kind, alter, expected) => {
    const object = find(kind);
    alter(object.spec);
    const keycloak = find('Keycloak');
    const problems = validateAgainstApiSchemas(kind === 'Keycloak' ? [object] : [keycloak, object]);
    expect(problems.join('\n')).toMatch(expected);
  });
});
