import { resolveAuthOptions } from './auth.options';

describe('resolveAuthOptions', () => {
  it('splits a realm URL into server URL and realm', () => {
    expect(resolveAuthOptions({ realmUrl: 'https://sso.city.example/auth/realms/urbis/', clientId: 'urbis-data' })).toMatchObject({
      serverUrl: 'https://sso.city.example/auth',
      realm: 'urbis',
      realmUrl: 'https://sso.city.example/auth/realms/urbis',
      crossTenantRoles: ['platform-admin'],
      global: true,
    });
  });

  it('builds the realm URL from server URL and realm', () => {
    expect(resolveAuthOptions({ serverUrl: 'http://127.0.0.1:8180/', realm: 'urbis', clientId: 'x', crossTenantRoles: [] })).toMatchObject({
      realmUrl: 'http://127.0.0.1:8180/realms/urbis',
      crossTenantRoles: [],
    });
  });

  it('fails loudly on a realm URL without /realms/<realm>', () => {
    expect(() => resolveAuthOptions({ realmUrl: 'http://127.0.0.1:8180/', clientId: 'x' })).toThrow(/realms/);
    expect(() => resolveAuthOptions({ realmUrl: 'http://h/realms/urbis', clientId: '' })).toThrow(/clientId/);
  });
});
