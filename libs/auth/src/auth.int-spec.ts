// AuthModule in a NestJS app on Fastify, against tokens from a real tools/dev-idp over HTTP.
import { Controller, Get, Param } from '@nestjs/common';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { type DevIdp, startDevIdp } from '@urbis/testing';
import { generateKeyPair, SignJWT } from 'jose';

import { ACCESS_TOKEN_VERIFIER, type AccessTokenVerifier, AuthModule, CurrentPrincipal, type Principal, Public, Role, Roles, Tenant } from './index';
import { decodeJwt, FIXTURE_REALM, sleep } from './test/jwt.test-helpers';

@Controller()
class CityController {
  @Public()
  @Get('health/live')
  live() {
    return { status: 'ok' };
  }

  @Get('me')
  me(@CurrentPrincipal() principal: Principal, @Tenant() tenant: string) {
    return { principal, tenant };
  }

  @Roles(Role.Operator, Role.PlatformAdmin)
  @Get('devices')
  devices(@Tenant() tenant: string) {
    return { tenant };
  }

  @Roles(Role.Operator, Role.TenantAdmin, Role.PlatformAdmin)
  @Get('tenants/:tenant/devices')
  tenantDevices(@Param('tenant') named: string, @Tenant() tenant: string) {
    return { named, tenant };
  }
}

interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
}

describe('AuthModule (Fastify) with tokens from tools/dev-idp', () => {
  let idp: DevIdp;
  let foreignIdp: DevIdp;
  let app: NestFastifyApplication;
  const userToken = (username: string) => idp.passwordToken('test-app', 'test-app-secret', username, `${username}-pw`);

  beforeAll(async () => {
    [idp, foreignIdp] = await Promise.all([startDevIdp({ realmFile: FIXTURE_REALM }), startDevIdp({ realmFile: FIXTURE_REALM })]);
    const moduleRef = await Test.createTestingModule({
      imports: [AuthModule.forRoot({ realmUrl: idp.issuer, clientId: 'urbis-test' })],
      controllers: [CityController],
    }).compile();
    app = moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter());
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
  });

  afterAll(async () => {
    await app?.close();
    await Promise.all([idp?.stop(), foreignIdp?.stop()]);
  });

  const get = (url: string, token?: string, headers: Record<string, string> = {}) =>
    app.inject({ method: 'GET', url, headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers } });

  function expectProblem(res: Awaited<ReturnType<typeof get>>, status: number, code: string): Problem {
    expect(res.statusCode).toBe(status);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    const problem = res.json<Problem>();
    expect(problem).toMatchObject({ status, code, type: expect.stringContaining(code), title: expect.any(String), detail: expect.any(String) });
    if (status === 401) expect(res.headers['www-authenticate']).toMatch(/^Bearer realm="urbis"/);
    return problem;
  }

  describe('authentication', () => {
    it('lets anyone reach a @Public() route', async () => {
      expect((await get('/health/live')).statusCode).toBe(200);
    });

    it('accepts a valid token with the right role (200) and exposes principal and tenant', async () => {
      const res = await get('/me', await userToken('otto'));
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({
        principal: { subject: expect.stringMatching(/^[0-9a-f-]{36}$/), clientId: 'test-app', tenant: 'alpha', roles: ['operator'] },
        tenant: 'alpha',
      });
      expect((await get('/devices', await userToken('otto'))).json()).toEqual({ tenant: 'alpha' });
    });

    it('accepts service-account tokens (client_credentials)', async () => {
      const res = await get('/me', await idp.token('test-beta-service', 'test-beta-service-secret'));
      expect(res.json()).toMatchObject({ principal: { clientId: 'test-beta-service', tenant: 'beta', roles: ['integrator'] } });
    });

    it('refuses a request without a token: 401, RFC 6750 challenge without error code', async () => {
      const res = await get('/devices');
      expectProblem(res, 401, 'token-missing');
      expect(res.headers['www-authenticate']).toBe('Bearer realm="urbis"');
    });

    it('refuses malformed tokens and non-Bearer schemes: 401 invalid_token', async () => {
      for (const authorization of ['Bearer not-a-jwt', 'Bearer a.b.c', 'Basic dGVzdDp0ZXN0']) {
        const res = await get('/devices', undefined, { authorization });
        expectProblem(res, 401, 'token-malformed');
        expect(res.headers['www-authenticate']).toContain('error="invalid_token"');
      }
    });

    it('verifies a token once and remembers it until it expires', async () => {
      const token = await userToken('pia');
      const verifier = app.get<AccessTokenVerifier>(ACCESS_TOKEN_VERIFIER);
      const grantManager = (verifier as unknown as { grantManager: { createGrant(raw: string): Promise<unknown> } }).grantManager;
      const checks = jest.spyOn(grantManager, 'createGrant');
      try {
        for (let i = 0; i < 3; i++) expect((await get('/me', token)).statusCode).toBe(200);
        expect(checks).toHaveBeenCalledTimes(1);
        // The same claims under another signature are other bytes: verified afresh, and refused.
        const { privateKey } = await generateKeyPair('RS256');
        const genuine = decodeJwt(token);
        const forged = await new SignJWT(genuine.payload).setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: genuine.header['kid'] as string }).sign(privateKey);
        expectProblem(await get('/me', forged), 401, 'token-signature-invalid');
        expect(checks).toHaveBeenCalledTimes(2);
      } finally {
        checks.mockRestore();
      }
    });

    // The token is remembered from its first use: expiry is checked again at the second.
    it('refuses an expired token: 401', async () => {
      const token = await idp.token('test-short-lived', 'test-short-lived-secret');
      expect((await get('/devices', token)).statusCode).toBe(200);
      const exp = decodeJwt(token).payload['exp'] as number;
      await sleep(Math.max(0, exp * 1000 - Date.now()) + 1100);
      expect(expectProblem(await get('/devices', token), 401, 'token-expired').detail).toBe('token expired');
    });

    it('refuses a token signed with another key (same kid, same claims): 401', async () => {
      const genuine = decodeJwt(await userToken('pia'));
      const { privateKey } = await generateKeyPair('RS256');
      const forged = await new SignJWT(genuine.payload).setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: genuine.header['kid'] as string }).sign(privateKey);
      expect(expectProblem(await get('/devices', forged), 401, 'token-signature-invalid').detail).toBe('token signature not valid');
    });

    it('refuses a token whose kid the realm does not publish: 401', async () => {
      const genuine = decodeJwt(await userToken('pia'));
      const { privateKey } = await generateKeyPair('RS256');
      const forged = await new SignJWT(genuine.payload).setProtectedHeader({ alg: 'RS256', kid: 'unknown-key' }).sign(privateKey);
      // keycloak-connect logs (console.error) when its JWKS refetch is rate-limited; expected here.
      const quiet = jest.spyOn(console, 'error').mockImplementation(() => undefined);
      try {
        expectProblem(await get('/devices', forged), 401, 'token-signature-invalid');
      } finally {
        quiet.mockRestore();
      }
    });

    it('refuses alg=none and HS256 tokens: 401', async () => {
      const genuine = decodeJwt(await userToken('pia'));
      const none = `${Buffer.from(JSON.stringify({ alg: 'none', kid: genuine.header['kid'] })).toString('base64url')}.${Buffer.from(JSON.stringify(genuine.payload)).toString('base64url')}.x`;
      expectProblem(await get('/devices', none), 401, 'token-signature-invalid');
      const hs = await new SignJWT(genuine.payload).setProtectedHeader({ alg: 'HS256', kid: genuine.header['kid'] as string }).sign(new Uint8Array(32));
      expectProblem(await get('/devices', hs), 401, 'token-signature-invalid');
    });

    it('refuses a token from another issuer (a second dev-idp): 401', async () => {
      const foreign = await foreignIdp.passwordToken('test-app', 'test-app-secret', 'pia', 'pia-pw');
      expect(expectProblem(await get('/devices', foreign), 401, 'token-issuer-mismatch').detail).toBe('token issuer not accepted');
    });
  });

  describe('roles', () => {
    it('refuses a token without any of the required roles: 403', async () => {
      expectProblem(await get('/devices', await userToken('aude')), 403, 'role-missing');
      expectProblem(await get('/devices', await userToken('ines')), 403, 'role-missing');
    });

    it('has no implicit hierarchy: tenant-admin is refused where only operator/platform-admin are listed', async () => {
      expectProblem(await get('/devices', await userToken('tom')), 403, 'role-missing');
      expect((await get('/tenants/alpha/devices', await userToken('tom'))).statusCode).toBe(200);
    });
  });

  describe('tenants', () => {
    it('lets a caller act on its own tenant by route or header', async () => {
      const otto = await userToken('otto');
      expect((await get('/tenants/alpha/devices', otto)).json()).toEqual({ named: 'alpha', tenant: 'alpha' });
      expect((await get('/devices', otto, { 'NGSILD-Tenant': 'alpha' })).json()).toEqual({ tenant: 'alpha' });
      expect((await get('/tenants/beta/devices', await userToken('olga'))).statusCode).toBe(200);
    });

    it("refuses tenant A's token on tenant B's resource: route param → 403", async () => {
      expectProblem(await get('/tenants/beta/devices', await userToken('otto')), 403, 'tenant-mismatch');
      expectProblem(await get('/tenants/alpha/devices', await userToken('olga')), 403, 'tenant-mismatch');
    });

    it("refuses tenant A's token on tenant B via NGSILD-Tenant or X-Urbis-Tenant → 403", async () => {
      const otto = await userToken('otto');
      expectProblem(await get('/devices', otto, { 'NGSILD-Tenant': 'beta' }), 403, 'tenant-mismatch');
      expectProblem(await get('/devices', otto, { 'X-Urbis-Tenant': 'beta' }), 403, 'tenant-mismatch');
    });

    it('refuses a request naming two different tenants → 400', async () => {
      expectProblem(await get('/tenants/alpha/devices', await userToken('pia'), { 'NGSILD-Tenant': 'beta' }), 400, 'tenant-conflict');
    });

    it('lets platform-admin act on another tenant, which becomes the request tenant', async () => {
      const pia = await userToken('pia');
      expect((await get('/tenants/beta/devices', pia)).json()).toEqual({ named: 'beta', tenant: 'beta' });
      expect((await get('/devices', pia, { 'NGSILD-Tenant': 'beta' })).json()).toEqual({ tenant: 'beta' });
      expect((await get('/devices', pia)).json()).toEqual({ tenant: 'alpha' });
    });
  });
});
