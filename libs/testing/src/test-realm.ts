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

/** Caches one token per user for the life of a suite. */
export function testUserTokens(idp: DevIdp): (user: TestUser) => Promise<string> {
  const cache = new Map<TestUser, Promise<string>>();
  return (user) => {
    let token = cache.get(user);
    if (!token) {
      const name = TEST_USERS[user];
      token = idp.passwordToken('test-app', 'test-app-secret', name, `${name}-pw`);
      cache.set(user, token);
    }
    return token;
  };
}
