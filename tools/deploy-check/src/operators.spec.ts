import { resolve } from 'node:path';
import { ensureBinaries } from './binaries';
import { parseManifests, PROFILES, run } from './charts';
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
  });

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
