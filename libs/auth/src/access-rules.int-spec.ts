// What libs/auth publishes about each route (x-urbis-roles / x-urbis-public in OpenAPI), what it
// reports to the audit seam when it refuses a request, and client-credentials tokens for
// service-to-service calls, against a real tools/dev-idp.
import { Controller, Get, Global, Module } from '@nestjs/common';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { Test } from '@nestjs/testing';
import { type DevIdp, startDevIdp } from '@urbis/testing';

import { AUTH_AUDITOR, type AuthAuditor, AuthModule, type AuthRefusal, Public, Role, Roles, ServiceTokenSource, Tenant } from './index';
import { decodeJwt, FIXTURE_REALM, sleep } from './test/jwt.test-helpers';

@Roles(Role.Auditor, Role.PlatformAdmin)
@Controller('ledger')
class LedgerController {
  @Get()
  list(@Tenant() tenant: string) {
    return { tenant };
  }

  @Roles(Role.PlatformAdmin)
  @Get('keys')
  keys() {
    return {};
  }
}

@Controller()
class OpenController {
  @Public()
  @Get('health/live')
  live() {
    return {};
  }

  @Public('device-credential')
  @Get('ingest')
  ingest() {
    return {};
  }
}

const refusals: AuthRefusal[] = [];
const collecting: AuthAuditor = { refused: (refusal) => refusals.push(refusal) };

@Global()
@Module({ providers: [{ provide: AUTH_AUDITOR, useValue: collecting }], exports: [AUTH_AUDITOR] })
class CollectingAuditModule {}

describe('access rules: OpenAPI, audit seam, service tokens', () => {
  let idp: DevIdp;
  let app: NestFastifyApplication;
  const userToken = (username: string) => idp.passwordToken('test-app', 'test-app-secret', username, `${username}-pw`);

  beforeAll(async () => {
    idp = await startDevIdp({ realmFile: FIXTURE_REALM });
    const moduleRef = await Test.createTestingModule({
      imports: [CollectingAuditModule, AuthModule.forRoot({ realmUrl: idp.issuer, clientId: 'urbis-test' })],
      controllers: [LedgerController, OpenController],
    }).compile();
    app = moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter());
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
  });

  afterAll(async () => {
    await app?.close();
    await idp?.stop();
  });

  it('publishes every route’s roles (handler over controller) or public access in the OpenAPI document', () => {
    const document = SwaggerModule.createDocument(app, new DocumentBuilder().build());
    const operation = (path: string) => document.paths[path]?.get as unknown as Record<string, unknown>;
    expect(operation('/ledger')['x-urbis-roles']).toEqual(['auditor', 'platform-admin']);
    expect(operation('/ledger/keys')['x-urbis-roles']).toEqual(['platform-admin']);
    expect(operation('/health/live')['x-urbis-public']).toBe('anonymous');
    expect(operation('/ingest')['x-urbis-public']).toBe('device-credential');
    expect(operation('/ingest')['x-urbis-roles']).toBeUndefined();
  });

  it('reports each refusal to the auditor: token failures without a principal, denials with one', async () => {
    refusals.length = 0;
    await app.inject({ method: 'GET', url: '/ledger?x=1', headers: { 'x-urbis-tenant': 'beta' } });
    await app.inject({ method: 'GET', url: '/ledger', headers: { authorization: 'Bearer a.b.c' } });
    await app.inject({ method: 'GET', url: '/ledger', headers: { authorization: `Bearer ${await userToken('otto')}` } });
    await app.inject({ method: 'GET', url: '/ledger', headers: { authorization: `Bearer ${await userToken('aude')}`, 'ngsild-tenant': 'beta' } });
    const ok = await app.inject({ method: 'GET', url: '/ledger', headers: { authorization: `Bearer ${await userToken('aude')}` } });
    expect(ok.statusCode).toBe(200);
    expect(refusals).toEqual([
      { code: 'token-missing', status: 401, requestedTenant: 'beta', method: 'GET', path: '/ledger', address: '127.0.0.1' },
      { code: 'token-malformed', status: 401, method: 'GET', path: '/ledger', address: '127.0.0.1' },
      expect.objectContaining({ code: 'role-missing', status: 403, principal: expect.objectContaining({ tenant: 'alpha', roles: ['operator'] }) }),
      expect.objectContaining({ code: 'tenant-mismatch', status: 403, requestedTenant: 'beta', principal: expect.objectContaining({ roles: ['auditor'] }) }),
    ]);
  });

  it('fetches a client-credentials token once and reuses it until shortly before it expires', async () => {
    const source = new ServiceTokenSource({ realmUrl: idp.issuer, clientId: 'test-beta-service', clientSecret: 'test-beta-service-secret' });
    const [first, second] = await Promise.all([source.token(), source.token()]);
    expect(first).toBe(second);
    expect(decodeJwt(first).payload).toMatchObject({ azp: 'test-beta-service', tenant: 'beta' });
    expect(await source.authorization()).toBe(`Bearer ${first}`);
    const served = await app.inject({ method: 'GET', url: '/ledger', headers: { authorization: await source.authorization() } });
    expect(served.statusCode).toBe(403); // an integrator: the token is genuine, the role is not enough

    const shortLived = new ServiceTokenSource({ realmUrl: idp.issuer, clientId: 'test-short-lived', clientSecret: 'test-short-lived-secret' });
    const early = await shortLived.token();
    await sleep(1100);
    expect(await shortLived.token()).not.toBe(early);
  });

  it('names the realm’s error, never the secret, when the client is refused', async () => {
    const source = new ServiceTokenSource({ realmUrl: idp.issuer, clientId: 'test-beta-service', clientSecret: 'wrong-secret-value' });
    await expect(source.token()).rejects.toThrow(/HTTP 401 invalid_client/);
    await expect(source.token()).rejects.not.toThrow(/wrong-secret-value/);
  });
});
