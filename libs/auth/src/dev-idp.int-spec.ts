// tools/dev-idp over HTTP: Keycloak's paths, grants, token shape and OAuth errors.
import { type DevIdp, startDevIdp } from '@urbis/testing';

import { decodeJwt, FIXTURE_REALM } from './test/jwt.test-helpers';

describe('tools/dev-idp', () => {
  let idp: DevIdp;
  let tokenEndpoint: string;

  beforeAll(async () => {
    idp = await startDevIdp({ realmFile: FIXTURE_REALM });
    tokenEndpoint = `${idp.issuer}/protocol/openid-connect/token`;
  });
  afterAll(() => idp?.stop());

  const post = (form: Record<string, string>, basic?: [string, string]) =>
    fetch(tokenEndpoint, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        ...(basic ? { authorization: `Basic ${Buffer.from(`${basic[0]}:${basic[1]}`).toString('base64')}` } : {}),
      },
      body: new URLSearchParams(form).toString(),
    });

  it('is mounted at /realms/urbis with Keycloak endpoint paths in its discovery document', async () => {
    expect(idp.issuer).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/realms\/urbis$/);
    const res = await fetch(`${idp.issuer}/.well-known/openid-configuration`);
    expect(res.status).toBe(200);
    const doc = (await res.json()) as Record<string, unknown>;
    expect(doc).toMatchObject({
      issuer: idp.issuer,
      token_endpoint: `${idp.issuer}/protocol/openid-connect/token`,
      jwks_uri: `${idp.issuer}/protocol/openid-connect/certs`,
    });
    expect(doc['grant_types_supported']).toEqual(expect.arrayContaining(['client_credentials', 'password']));
  });

  it('publishes its RS256 signing key at /protocol/openid-connect/certs', async () => {
    const res = await fetch(`${idp.issuer}/protocol/openid-connect/certs`);
    const { keys } = (await res.json()) as { keys: Array<Record<string, string>> };
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatchObject({ kty: 'RSA', alg: 'RS256', use: 'sig' });
    expect(keys[0]).not.toHaveProperty('d');
  });

  it('issues Keycloak-shaped access tokens on the password grant', async () => {
    const token = await idp.passwordToken('test-app', 'test-app-secret', 'otto', 'otto-pw');
    const { header, payload } = decodeJwt(token);
    expect(header).toMatchObject({ alg: 'RS256', kid: expect.any(String) });
    expect(payload).toMatchObject({
      typ: 'Bearer',
      iss: idp.issuer,
      azp: 'test-app',
      sub: expect.stringMatching(/^[0-9a-f-]{36}$/),
      preferred_username: 'otto',
      realm_access: { roles: ['operator'] },
      tenant: 'alpha',
      scope: expect.stringContaining('tenant'),
      jti: expect.any(String),
    });
    expect(payload['exp']).toBe((payload['iat'] as number) + 300);
  });

  it('issues service-account tokens on the client_credentials grant', async () => {
    const { payload } = decodeJwt(await idp.token('test-app', 'test-app-secret'));
    expect(payload).toMatchObject({
      typ: 'Bearer',
      iss: idp.issuer,
      azp: 'test-app',
      preferred_username: 'service-account-test-app',
      realm_access: { roles: ['operator'] },
      tenant: 'alpha',
    });
  });

  it('applies hardcoded-claim mappers and the access.token.lifespan client attribute', async () => {
    expect(decodeJwt(await idp.token('test-beta-service', 'test-beta-service-secret')).payload).toMatchObject({
      tenant: 'beta',
      realm_access: { roles: ['integrator'] },
    });
    const { payload } = decodeJwt(await idp.token('test-short-lived', 'test-short-lived-secret'));
    expect((payload['exp'] as number) - (payload['iat'] as number)).toBe(1);
  });

  it('accepts client_secret_post as Keycloak does', async () => {
    const res = await post({ grant_type: 'client_credentials', client_id: 'test-app', client_secret: 'test-app-secret' });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ token_type: 'Bearer', expires_in: 300 });
  });

  it('answers a bad client secret with 401 invalid_client', async () => {
    const res = await post({ grant_type: 'client_credentials' }, ['test-app', 'wrong']);
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: 'invalid_client' });
  });

  it('answers wrong user credentials with 400 invalid_grant', async () => {
    const res = await post({ grant_type: 'password', username: 'otto', password: 'nope' }, ['test-app', 'test-app-secret']);
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: 'invalid_grant' });
  });

  it('answers an unknown grant type with 400 unsupported_grant_type', async () => {
    const res = await post({ grant_type: 'urn:example:nope' }, ['test-app', 'test-app-secret']);
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: 'unsupported_grant_type' });
  });

  it('refuses the password grant to a client without direct access grants', async () => {
    const res = await post({ grant_type: 'password', username: 'ana', password: 'ana-pw' }, ['test-no-password', 'test-no-password-secret']);
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: 'unauthorized_client' });
  });

  it('stops on SIGTERM', async () => {
    const other = await startDevIdp({ realmFile: FIXTURE_REALM });
    await other.stop();
    await expect(fetch(`${other.issuer}/.well-known/openid-configuration`)).rejects.toThrow();
  });
});
