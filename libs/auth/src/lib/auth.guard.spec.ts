// The guard's rules with a stub verifier: the seam (ACCESS_TOKEN_VERIFIER) that keeps
// keycloak-connect replaceable, and options that the integration suite leaves at their defaults.
import { Controller, Get } from '@nestjs/common';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';

import { ACCESS_TOKEN_VERIFIER, type AccessTokenVerifier, type VerifiedAccessToken } from './access-token-verifier';
import { AuthModule } from './auth.module';
import { Tenant } from './decorators';

@Controller()
class EchoController {
  @Get('tenants/:tenant/echo')
  echo(@Tenant() tenant: string) {
    return { tenant };
  }
}

const claims: Record<string, VerifiedAccessToken> = {
  admin: { iss: 'x', exp: 0, sub: 's', azp: 'c', tenant: 'alpha', realm_access: { roles: ['platform-admin', 'default-roles-urbis'] } },
  tenantless: { iss: 'x', exp: 0, sub: 's', azp: 'c', realm_access: { roles: ['operator'] } },
};
const stubVerifier: AccessTokenVerifier = { verify: (raw) => Promise.resolve(claims[raw]) };

async function appWith(crossTenantRoles?: []): Promise<NestFastifyApplication> {
  const moduleRef = await Test.createTestingModule({
    imports: [AuthModule.forRoot({ realmUrl: 'http://127.0.0.1:1/realms/urbis', clientId: 'test', crossTenantRoles })],
    controllers: [EchoController],
  })
    .overrideProvider(ACCESS_TOKEN_VERIFIER)
    .useValue(stubVerifier)
    .compile();
  const app = moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter());
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  return app;
}

describe('AuthGuard', () => {
  it('lets platform-admin cross tenants by default, and not with crossTenantRoles: []', async () => {
    const open = await appWith();
    const closed = await appWith([]);
    try {
      const req = { method: 'GET' as const, url: '/tenants/beta/echo', headers: { authorization: 'Bearer admin' } };
      expect((await open.inject(req)).json()).toEqual({ tenant: 'beta' });
      const refused = await closed.inject(req);
      expect(refused.statusCode).toBe(403);
      expect(refused.json()).toMatchObject({ code: 'tenant-mismatch', status: 403 });
    } finally {
      await Promise.all([open.close(), closed.close()]);
    }
  });

  it('refuses a verified token that carries no tenant claim (403)', async () => {
    const app = await appWith();
    try {
      const res = await app.inject({ method: 'GET', url: '/tenants/alpha/echo', headers: { authorization: 'Bearer tenantless' } });
      expect(res.statusCode).toBe(403);
      expect(res.json()).toMatchObject({ code: 'tenant-missing' });
    } finally {
      await app.close();
    }
  });

  it('is configured the same way through forRootAsync', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [AuthModule.forRootAsync({ useFactory: () => ({ serverUrl: 'http://127.0.0.1:1', realm: 'urbis', clientId: 'test' }) })],
      controllers: [EchoController],
    })
      .overrideProvider(ACCESS_TOKEN_VERIFIER)
      .useValue(stubVerifier)
      .compile();
    const app = moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter());
    await app.init();
    try {
      expect((await app.inject({ method: 'GET', url: '/tenants/alpha/echo' })).statusCode).toBe(401);
      const ok = await app.inject({ method: 'GET', url: '/tenants/alpha/echo', headers: { authorization: 'Bearer admin' } });
      expect(ok.json()).toEqual({ tenant: 'alpha' });
    } finally {
      await app.close();
    }
  });
});
