// deploy/keycloak/urbis-realm.json: what production imports, and what tools/dev-idp serves by default.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { startDevIdp } from '@urbis/testing';

import { decodeJwt } from './test/jwt.test-helpers';

const ROOT = join(__dirname, '../../..');
const REALM_FILE = join(ROOT, 'deploy/keycloak/urbis-realm.json');
const SERVICES = ['urbis-connectivity', 'urbis-devices', 'urbis-data', 'urbis-integration', 'urbis-security'];

interface Mapper {
  protocolMapper: string;
  config: Record<string, string>;
}
interface ClientRep {
  clientId: string;
  enabled?: boolean;
  fullScopeAllowed?: boolean;
  secret?: string;
  publicClient: boolean;
  serviceAccountsEnabled: boolean;
  attributes?: Record<string, string>;
  defaultClientScopes?: string[];
  protocolMappers?: Mapper[];
}
interface RealmRep {
  realm: string;
  accessTokenLifespan: number;
  bruteForceProtected: boolean;
  failureFactor: number;
  permanentLockout: boolean;
  eventsEnabled: boolean;
  adminEventsEnabled: boolean;
  scopeMappings: Array<{ client: string; roles: string[] }>;
  roles: { realm: Array<{ name: string }> };
  defaultDefaultClientScopes: string[];
  clientScopes: Array<{ name: string; protocolMappers: Mapper[] }>;
  clients: ClientRep[];
  users: Array<{ username: string; serviceAccountClientId?: string; realmRoles?: string[]; attributes?: Record<string, string[]> }>;
}

describe('deploy/keycloak/urbis-realm.json', () => {
  const realm = JSON.parse(readFileSync(REALM_FILE, 'utf8')) as RealmRep;
  const client = (id: string) => realm.clients.find((c) => c.clientId === id);

  it('defines realm urbis with the five roles and a 300 s access token lifespan', () => {
    expect(realm.realm).toBe('urbis');
    expect(realm.accessTokenLifespan).toBe(300);
    expect(realm.roles.realm.map((r) => r.name).sort()).toEqual(['auditor', 'integrator', 'operator', 'platform-admin', 'tenant-admin']);
  });

  it('maps the user attribute tenant into access tokens through the default client scope "tenant"', () => {
    const scope = realm.clientScopes.find((s) => s.name === 'tenant');
    expect(scope?.protocolMappers).toContainEqual(
      expect.objectContaining({
        protocolMapper: 'oidc-usermodel-attribute-mapper',
        config: expect.objectContaining({ 'user.attribute': 'tenant', 'claim.name': 'tenant', 'access.token.claim': 'true' }),
      }),
    );
    expect(realm.defaultDefaultClientScopes).toContain('tenant');
    // a realm that lists clientScopes gets no built-in ones: the roles/sub mappers must be here too
    expect(realm.clientScopes.map((s) => s.name)).toEqual(expect.arrayContaining(['roles', 'basic', 'profile']));
  });

  it('has one confidential service-account client per service, secrets from the environment', () => {
    for (const id of SERVICES) {
      const c = client(id);
      expect(c).toMatchObject({ publicClient: false, serviceAccountsEnabled: true });
      expect(c?.secret).toMatch(/^\$\{URBIS_[A-Z]+_CLIENT_SECRET\}$/);
      expect(c?.defaultClientScopes).toContain('tenant');
      expect(c?.protocolMappers).toContainEqual(
        expect.objectContaining({ protocolMapper: 'oidc-hardcoded-claim-mapper', config: expect.objectContaining({ 'claim.name': 'tenant' }) }),
      );
      expect(realm.users.find((u) => u.serviceAccountClientId === id)).toBeDefined();
    }
  });

  it('protects logins against brute force, records login and admin events, keeps tokens short-lived', () => {
    expect(realm).toMatchObject({ bruteForceProtected: true, permanentLockout: false, failureFactor: 5, eventsEnabled: true, adminEventsEnabled: true });
    for (const id of SERVICES) expect(client(id)?.attributes?.['access.token.lifespan']).toBe('300');
  });

  it('has a disabled integrator client template, limited to the integrator role', () => {
    expect(client('urbis-integrator-template')).toMatchObject({ enabled: false, publicClient: false, serviceAccountsEnabled: true, fullScopeAllowed: false, attributes: { 'urbis.template': 'integrator' } });
    expect(client('urbis-integrator-template')?.secret).toBeUndefined();
    expect(client('urbis-integrator-template')?.defaultClientScopes).toContain('tenant');
    expect(realm.scopeMappings).toContainEqual({ client: 'urbis-integrator-template', roles: ['integrator'] });
  });

  it('has the development-only client urbis-dev-admin, marked as such', () => {
    expect(client('urbis-dev-admin')).toMatchObject({
      secret: 'urbis-dev-secret',
      serviceAccountsEnabled: true,
      attributes: { 'urbis.dev-only': 'true' },
    });
    expect(realm.users.find((u) => u.serviceAccountClientId === 'urbis-dev-admin')).toMatchObject({
      realmRoles: ['platform-admin'],
      attributes: { tenant: ['demo'] },
    });
  });

  it('strip-dev-only.mjs removes urbis-dev-admin and its service account, and nothing else', () => {
    const stripped = JSON.parse(
      execFileSync(process.execPath, [join(ROOT, 'deploy/keycloak/strip-dev-only.mjs'), REALM_FILE], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }),
    ) as RealmRep;
    expect(stripped.clients.map((c) => c.clientId).sort()).toEqual([...SERVICES, 'urbis-integrator-template'].sort());
    expect(JSON.stringify(stripped)).not.toMatch(/urbis-dev-admin|urbis-dev-secret/);
    expect(stripped.users).toHaveLength(SERVICES.length);
  });

  it('served by tools/dev-idp (its default realm), issues urbis-dev-admin a platform-admin token for tenant demo', async () => {
    const idp = await startDevIdp({ env: { URBIS_DEVICES_CLIENT_SECRET: 'devices-test-secret' } });
    try {
      const { payload } = decodeJwt(await idp.token('urbis-dev-admin', 'urbis-dev-secret'));
      expect(payload).toMatchObject({
        typ: 'Bearer',
        iss: idp.issuer,
        azp: 'urbis-dev-admin',
        tenant: 'demo',
        realm_access: { roles: ['platform-admin'] },
        preferred_username: 'service-account-urbis-dev-admin',
      });
      // ${URBIS_DEVICES_CLIENT_SECRET} resolved from the environment, as Keycloak's import does
      expect(decodeJwt(await idp.token('urbis-devices', 'devices-test-secret')).payload).toMatchObject({
        azp: 'urbis-devices',
        tenant: 'platform',
        realm_access: { roles: ['platform-admin'] },
      });
      await expect(idp.token('urbis-data', 'anything')).rejects.toThrow(/invalid_client/);
    } finally {
      await idp.stop();
    }
  });
});
