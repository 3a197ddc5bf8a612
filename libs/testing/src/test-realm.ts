import path from 'node:path';
import type { DevIdp } from './dev-idp';

/**
 * The realm every service test can share (tools/dev-idp serves it): users of every role in
 * tenants alpha and beta, a user without any Urbis role, a client whose tokens live 1 s (its
 * service account holds every role), an integrator service client and a platform service client.
 */
export const TEST_REALM_FILE = path.join(__dirname, 'fixtures/test-realm.json');

/** Password-grant users of the test realm (client `test-app`), password `<name>-pw`. */
export const TEST_USERS = {
  platformAdmin: 'pia',
  tenantAdmin: 'tom',
  operator: 'otto',
  integrator: 'ines',
  auditor: 'aude',
  noRole: 'nora',
  betaTenantAdmin: 'tess',
  betaOperator: 'olga',
  betaIntegrator: 'ida',
  betaAuditor: 'ana',
} as const;
export type TestUser = keyof typeof TEST_USERS;

/** Client-credentials clients: `city-dashboard` (integrator, alpha), `urbis-data` (platform-admin, tenant platform), `test-short-lived`. */
export const TEST_CLIENTS = {
  cityDashboard: ['city-dashboard', 'city-dashboard-secret'],
  dataService: ['urbis-data', 'urbis-data-test-secret'],
  shortLived: ['test-short-lived', 'test-short-lived-secret'],
} as const;

/** Caches one token per user, renewed 30 s before it expires (the realm's tokens live 5 minutes; some suites run longer). */
export function testUserTokens(idp: DevIdp): (user: TestUser) => Promise<string> {
  const cache = new Map<TestUser, { token: Promise<string>; renewAt: number }>();
  return (user) => {
    const cached = cache.get(user);
    if (cached && Date.now() < cached.renewAt) return cached.token;
    const name = TEST_USERS[user];
    const token = idp.passwordToken('test-app', 'test-app-secret', name, `${name}-pw`);
    const entry = { token, renewAt: Number.POSITIVE_INFINITY };
    cache.set(user, entry);
    void token.then(
      (jwt) => (entry.renewAt = expiresAt(jwt) - 30_000),
      () => cache.delete(user),
    );
    return token;
  };
}

/** A JWT's `exp`, ms since the epoch (read, not verified: the token is our own IdP's). */
function expiresAt(jwt: string): number {
  const claims = JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8')) as { exp?: number };
  return (claims.exp ?? 0) * 1000;
}
