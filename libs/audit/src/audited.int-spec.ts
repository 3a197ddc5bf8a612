// AuditModule in a NestJS app on Fastify with libs/auth and tokens from tools/dev-idp: @Audited
// routes are recorded (success and failure, with the verified caller), and the guard's
// refusals reach the ledger topic through the same module.
import { Controller, Global, HttpCode, HttpException, Module, Param, Post } from '@nestjs/common';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { AuthModule, Role, Roles } from '@urbis/auth';
import { provisionedTopics } from '@urbis/contracts';
import { createKafka, EventPublisher } from '@urbis/messaging';
import { createLogger } from '@urbis/observability';
import { buildDevKafka, type DevIdp, type DevKafka, EventReader, startDevIdp, startDevKafka, TEST_REALM_FILE, testUserTokens } from '@urbis/testing';

import { Audited, AuditModule } from './index';

@Controller('devices')
class DevicesController {
  @Post()
  @Roles(Role.Operator)
  @Audited({ action: 'devices.device.create', resource: 'device', idFromResult: 'deviceId' })
  create() {
    return { deviceId: 'aq-17' };
  }

  @Post(':deviceId/credentials')
  @HttpCode(201)
  @Roles(Role.Operator)
  @Audited({ action: 'devices.credential.issue', resource: 'device', idParam: 'deviceId' })
  issue(@Param('deviceId') deviceId: string) {
    if (deviceId === 'gone') throw new HttpException({ type: 'https://urbis.city/problems/devices/device-not-found', title: 'Not found', status: 404, code: 'device-not-found' }, 404);
    return { token: 'never-in-the-record' };
  }
}

describe('@Audited and the guard’s refusals, through AuditModule', () => {
  let kafka: DevKafka;
  let idp: DevIdp;
  let publisher: EventPublisher;
  let app: NestFastifyApplication;
  let reader: EventReader<'security.audit.recorded.v1'>;
  let token: ReturnType<typeof testUserTokens>;

  beforeAll(async () => {
    await buildDevKafka();
    [kafka, idp] = await Promise.all([startDevKafka({ topics: provisionedTopics(), brokers: 1 }), startDevIdp({ realmFile: TEST_REALM_FILE })]);
    token = testUserTokens(idp);
    publisher = new EventPublisher({ kafka: createKafka({ clientId: 'audited-test', brokers: kafka.bootstrapServers }) });
    await publisher.connect();
    @Global()
    @Module({ providers: [{ provide: EventPublisher, useValue: publisher }], exports: [EventPublisher] })
    class PublisherModule {}
    const moduleRef = await Test.createTestingModule({
      imports: [PublisherModule, AuthModule.forRoot({ realmUrl: idp.issuer, clientId: 'urbis-devices' }), AuditModule.forRoot({ source: 'devices', logger: createLogger({ service: 'test', level: 'silent' }) })],
      controllers: [DevicesController],
    }).compile();
    app = moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter());
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
    reader = await new EventReader(kafka.bootstrapServers, 'security.audit.recorded.v1').start();
  });

  afterAll(async () => {
    await app?.close();
    await reader?.stop();
    await publisher?.disconnect();
    await Promise.allSettled([kafka?.stop(), idp?.stop()]);
  });

  it('records an audited route’s success and failure with the verified caller, and nothing of the response', async () => {
    const otto = { authorization: `Bearer ${await token('operator')}` };
    expect((await app.inject({ method: 'POST', url: '/devices', headers: otto })).statusCode).toBe(201);
    expect((await app.inject({ method: 'POST', url: '/devices/aq-17/credentials', headers: otto })).statusCode).toBe(201);
    expect((await app.inject({ method: 'POST', url: '/devices/gone/credentials', headers: otto })).statusCode).toBe(404);
    const [created] = await reader.waitFor((e) => e.payload.action === 'devices.device.create');
    expect(created?.event).toMatchObject({
      tenant: 'alpha',
      source: 'devices',
      payload: { actor: { kind: 'user' }, resource: { type: 'device', id: 'aq-17' }, outcome: 'succeeded', details: { clientId: 'test-app', roles: ['operator'], method: 'POST', path: '/devices' } },
    });
    const issued = await reader.waitFor((e) => e.payload.action === 'devices.credential.issue', 2);
    expect(issued.map((r) => [r.event.payload.resource.id, r.event.payload.outcome, r.event.payload.reason]).sort()).toEqual([
      ['aq-17', 'succeeded', undefined],
      ['gone', 'failed', 'device-not-found'],
    ]);
    expect(JSON.stringify(issued)).not.toContain('never-in-the-record');
  });

  it('records the guard’s refusals, and an audited route refused by the guard is not recorded as an attempt', async () => {
    expect((await app.inject({ method: 'POST', url: '/devices', headers: { authorization: `Bearer ${await token('auditor')}` } })).statusCode).toBe(403);
    expect((await app.inject({ method: 'POST', url: '/devices', headers: { authorization: 'Bearer not.a.token' } })).statusCode).toBe(401);
    const [roleMissing] = await reader.waitFor((e) => e.payload.action === 'auth.role-missing');
    expect(roleMissing?.event).toMatchObject({ tenant: 'alpha', payload: { outcome: 'denied', resource: { type: 'route', id: 'POST /devices' }, details: { roles: ['auditor'] } } });
    const [malformed] = await reader.waitFor((e) => e.payload.action === 'auth.token-malformed');
    expect(malformed?.event).toMatchObject({ tenant: 'platform', payload: { actor: { kind: 'client', id: 'anonymous' } } });
    expect(reader.matching((e) => e.payload.action === 'devices.device.create')).toHaveLength(1);
  });
});
