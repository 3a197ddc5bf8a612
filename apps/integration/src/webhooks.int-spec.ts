// Platform webhooks end to end: registered through the API, fed by platform events on Kafka,
// delivered to a real receiver that verifies the signature as the documentation tells
// integrators to; secrets rotated; a receiver that always fails dead-lettered, then replayed.
import { createEvent, type EventOf } from '@urbis/contracts';
import { eventually, until } from '@urbis/testing';
import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { type IntegrationHarness, startIntegrationHarness } from './test-support/harness.test-helpers';
import { type ReceivedRequest, TestReceiver } from './test-support/receiver.test-helpers';

jest.setTimeout(180_000);

type Completed = EventOf<'integration.delivery.completed.v1'>;

/** A receiver's check, from the docs: t is recent, and some v1 is HMAC-SHA256(secret, "t.body"). */
function verifies(request: ReceivedRequest, secrets: readonly string[], toleranceSeconds = 300): boolean {
  const header = String(request.headers['urbis-signature'] ?? '');
  const parts = header.split(',').map((part) => part.split('=') as [string, string]);
  const t = Number(parts.find(([key]) => key === 't')?.[1]);
  if (!Number.isFinite(t) || Math.abs(Date.now() / 1000 - t) > toleranceSeconds) return false;
  return secrets.some((secret) => {
    const expected = createHmac('sha256', secret).update(`${t}.${request.body}`).digest();
    return parts
      .filter(([key]) => key === 'v1')
      .some(([, hex]) => {
        const given = Buffer.from(hex, 'hex');
        return given.length === expected.length && timingSafeEqual(given, expected);
      });
  });
}

const lifecycle = (tenant: string, deviceId: string, to: 'active' | 'suspended') =>
  createEvent('devices.lifecycle.changed.v1', {
    tenant,
    source: 'devices',
    payload: { deviceId, from: 'provisioned', to, changedAt: new Date().toISOString() },
  });

describe('platform webhooks and dead letters', () => {
  let h: IntegrationHarness;
  let receiver: TestReceiver;
  /** The secrets the receiver accepts, per path. */
  const known = new Map<string, string[]>();

  /** One event fans out to every webhook that takes it: a completion is per event and webhook. */
  const completedFor = (correlationId: string, webhookId: string) =>
    h.reader
      .events(
        'integration.delivery.completed.v1',
        (event) => event.payload.correlationId === correlationId && event.payload.webhookId === webhookId,
      )
      .map((read) => read.event as Completed);
  const waitCompleted = (correlationId: string, webhookId: string, count = 1) =>
    until(
      () => completedFor(correlationId, webhookId),
      (found) => found.length >= count,
      { timeoutMs: 60_000, what: `${count} completion event(s) of ${correlationId}` },
    );

  const register = async (path: string, body: Record<string, unknown> = {}) => {
    const reply = await h.call('integrator', 'POST', '/integration/v1/webhooks', {
      name: `hook ${path.slice(1)}`,
      url: receiver.url(path),
      eventTypes: ['devices.lifecycle.changed.v1'],
      ...body,
    });
    expect(reply.status).toBe(201);
    known.set(path, [reply.body['secret'] as string]);
    return reply.body as { id: string; secret: string };
  };

  beforeAll(async () => {
    h = await startIntegrationHarness({
      DELIVERY_MAX_ATTEMPTS: '3',
      DELIVERY_BACKOFF_BASE_MS: '100',
      DELIVERY_BACKOFF_MAX_MS: '300',
      CIRCUIT_FAILURE_THRESHOLD: '10',
    });
    receiver = await TestReceiver.start();
    receiver.answer = (request) => {
      const secrets = known.get(request.path.split('?')[0] ?? '');
      if (secrets && !verifies(request, secrets)) return { status: 401, body: 'bad signature' };
      return { status: 204 };
    };
    await h.allowLoopback('alpha');
  });
  afterAll(async () => {
    await receiver?.down();
    await h?.stop();
  });

  it('delivers the events a webhook asked for, filtered, signed over timestamp and body', async () => {
    const hook = await register('/signed', { filter: 'payload.to = "active"' });
    expect(hook.secret).toMatch(/^whsec_/);
    const active = lifecycle('alpha', 'lamp-1', 'active');
    const suspended = lifecycle('alpha', 'lamp-2', 'suspended');
    const otherTenant = lifecycle('beta', 'lamp-3', 'active');
    await h.publish('devices.lifecycle.changed.v1', [suspended, otherTenant, active]);
    const [done] = await waitCompleted(active.id, hook.id);
    expect(done?.payload).toMatchObject({
      outcome: 'delivered',
      kind: 'webhook',
      webhookId: hook.id,
      attempts: 1,
    });

    const [request] = receiver.at('/signed');
    expect(receiver.at('/signed')).toHaveLength(1);
    expect(request && verifies(request, [hook.secret])).toBe(true);
    expect(request && verifies(request, ['whsec_not-the-secret'])).toBe(false);
    expect(JSON.parse(request?.body ?? '{}')).toEqual(active);
    expect(request?.headers).toMatchObject({
      'urbis-event-type': 'devices.lifecycle.changed.v1',
      'urbis-event-id': active.id,
      'urbis-webhook-id': hook.id,
      'idempotency-key': done?.payload.deliveryId,
    });
    // The filtered-out and the other tenant's events made no delivery.
    const listed = await h.call('auditor', 'GET', `/integration/v1/deliveries?webhookId=${hook.id}`);
    expect(listed.body['total']).toBe(1);
  });

  it('rotates secrets: both sign during the overlap, then only the new one', async () => {
    const hook = await register('/rotating');
    const rotated = await h.call('integrator', 'POST', `/integration/v1/webhooks/${hook.id}/rotate-secret`, {
      overlapSeconds: 3600,
    });
    expect(rotated.status).toBe(201);
    const next = rotated.body['secret'] as string;
    expect(next).not.toBe(hook.secret);
    expect(rotated.body['secrets']).toHaveLength(2);

    const during = lifecycle('alpha', 'lamp-4', 'active');
    await h.publish('devices.lifecycle.changed.v1', [during]);
    await waitCompleted(during.id, hook.id);
    const overlapRequest = receiver.at('/rotating').at(-1);
    expect(overlapRequest && verifies(overlapRequest, [hook.secret])).toBe(true);
    expect(overlapRequest && verifies(overlapRequest, [next])).toBe(true);

    const again = await h.call('integrator', 'POST', `/integration/v1/webhooks/${hook.id}/rotate-secret`, {
      overlapSeconds: 0,
    });
    const latest = again.body['secret'] as string;
    known.set('/rotating', [latest]);
    const after = lifecycle('alpha', 'lamp-5', 'active');
    await h.publish('devices.lifecycle.changed.v1', [after]);
    const [done] = await waitCompleted(after.id, hook.id);
    expect(done?.payload.outcome).toBe('delivered');
    const afterRequest = receiver.at('/rotating').at(-1);
    expect(afterRequest && verifies(afterRequest, [latest])).toBe(true);
    expect(afterRequest && verifies(afterRequest, [hook.secret, next])).toBe(false);
    expect(String(afterRequest?.headers['urbis-signature']).match(/v1=/g)).toHaveLength(1);
  });

  it('dead-letters a receiver that always fails, lets it be inspected, and replays it once fixed', async () => {
    const hook = await register('/broken');
    let fixed = false;
    const verifying = receiver.answer;
    receiver.answer = (request) =>
      request.path === '/broken' && !fixed ? { status: 500, body: 'database down' } : verifying(request);
    const event = lifecycle('alpha', 'lamp-6', 'active');
    await h.publish('devices.lifecycle.changed.v1', [event]);
    const [dead] = await waitCompleted(event.id, hook.id);
    expect(dead?.payload).toMatchObject({
      outcome: 'dead-lettered',
      attempts: 3,
      lastStatusCode: 500,
      lastError: 'gave up after 3 attempts: HTTP 500: database down',
    });
    const deliveryId = dead?.payload.deliveryId ?? '';

    const letters = await h.call('operator', 'GET', '/integration/v1/dead-letters');
    expect((letters.body['items'] as { id: string }[]).map((item) => item.id)).toContain(deliveryId);
    const inspected = await h.call('auditor', 'GET', `/integration/v1/dead-letters/${deliveryId}`);
    expect(inspected.body).toMatchObject({
      status: 'dead-lettered',
      kind: 'webhook',
      webhookId: hook.id,
      attempts: 3,
    });
    expect(JSON.parse(inspected.body['body'] as string)).toEqual(event);
    const log = inspected.body['attemptLog'] as { attempt: number; statusCode: number; retryAt?: string }[];
    expect(log.map((attempt) => [attempt.attempt, attempt.statusCode])).toEqual([
      [1, 500],
      [2, 500],
      [3, 500],
    ]);
    expect(log[2]?.retryAt).toBeUndefined();
    // Not dead-lettered: nothing to replay.
    const delivered = await h.call('auditor', 'GET', '/integration/v1/deliveries?status=delivered&limit=1');
    const deliveredId = (delivered.body['items'] as { id: string }[])[0]?.id;
    const conflict = await h.call('operator', 'POST', `/integration/v1/dead-letters/${deliveredId}/replay`);
    expect(conflict.body).toMatchObject({ status: 409, code: 'not-dead-lettered' });

    fixed = true;
    const replay = await h.call('integrator', 'POST', `/integration/v1/dead-letters/${deliveryId}/replay`);
    expect(replay.status).toBe(202);
    const [, ok] = await waitCompleted(event.id, hook.id, 2);
    expect(ok?.payload).toMatchObject({ outcome: 'delivered', attempts: 1, replays: 1, deliveryId });
    const keys = receiver.at('/broken').map((request) => request.headers['idempotency-key']);
    expect(keys).toHaveLength(4);
    expect(new Set(keys)).toEqual(new Set([deliveryId]));
    expect((await h.call('auditor', 'GET', `/integration/v1/dead-letters/${deliveryId}`)).status).toBe(404);
  });

  it("replays an endpoint's dead letters in bulk, in their order", async () => {
    const hook = await register('/bulk');
    let fixed = false;
    const verifying = receiver.answer;
    receiver.answer = (request) =>
      request.path === '/bulk' && !fixed ? { status: 503 } : verifying(request);
    const events = ['a', 'b', 'c'].map((id) => lifecycle('alpha', `bulk-${id}`, 'active'));
    await h.publish('devices.lifecycle.changed.v1', events);
    for (const event of events) await waitCompleted(event.id, hook.id);
    const endpoints = await h.call('operator', 'GET', '/integration/v1/endpoints');
    const endpoint = (endpoints.body['items'] as { id: string; target: string }[]).find(
      (item) => item.target === receiver.url('/bulk'),
    );
    const deviceOf = (body: string) =>
      (JSON.parse(body) as { payload: { deviceId: string } }).payload.deviceId;
    // The three events sit on two partitions: their queue order is the order they were first tried.
    const tried = receiver.at('/bulk').map((request) => deviceOf(request.body));
    const queueOrder = tried.filter((id, index) => tried.indexOf(id) === index);
    expect([...queueOrder].sort()).toEqual(['bulk-a', 'bulk-b', 'bulk-c']);
    fixed = true;
    const replay = await h.call('operator', 'POST', '/integration/v1/dead-letters/replay', {
      endpointId: endpoint?.id,
    });
    expect(replay.body).toMatchObject({ replayed: 3 });
    for (const event of events) await waitCompleted(event.id, hook.id, 2);
    const delivered = receiver
      .at('/bulk')
      .filter((request) => verifies(request, known.get('/bulk') ?? []))
      .slice(-3)
      .map((request) => deviceOf(request.body));
    expect(delivered).toEqual(queueOrder);
  });

  it('never sends the events of a deleted webhook unsigned', async () => {
    const hook = await register('/deleted');
    const verifying = receiver.answer;
    let blocked = true;
    receiver.answer = (request) =>
      request.path === '/deleted' && blocked ? { status: 503 } : verifying(request);
    const event = lifecycle('alpha', 'lamp-7', 'active');
    await h.publish('devices.lifecycle.changed.v1', [event]);
    await eventually(() => receiver.at('/deleted').length >= 1, { what: 'a first attempt' });
    expect((await h.call('integrator', 'DELETE', `/integration/v1/webhooks/${hook.id}`)).status).toBe(204);
    blocked = false;
    const [done] = await waitCompleted(event.id, hook.id);
    expect(done?.payload).toMatchObject({
      outcome: 'dead-lettered',
      lastError: expect.stringContaining('no longer exists'),
    });
    expect(receiver.at('/deleted').every((request) => request.headers['urbis-signature'])).toBe(true);
  });

  it('refuses bad webhooks precisely, and loopback for a tenant not allowed it', async () => {
    const base = {
      name: 'beta hook',
      url: receiver.url('/beta'),
      eventTypes: ['security.incident.raised.v1'],
    };
    const refused = await h.call('betaIntegrator', 'POST', '/integration/v1/webhooks', base);
    expect(refused.body).toMatchObject({
      status: 400,
      code: 'destination-refused',
      errors: [{ path: 'url', message: expect.stringContaining('127.0.0.1 is a loopback address') }],
    });
    await h.allowLoopback('beta');
    expect((await h.call('betaIntegrator', 'POST', '/integration/v1/webhooks', base)).status).toBe(201);
    expect((await h.call('betaIntegrator', 'POST', '/integration/v1/webhooks', base)).body).toMatchObject({
      status: 409,
      code: 'webhook-name-taken',
    });

    const bad = await h.call('integrator', 'POST', '/integration/v1/webhooks', {
      name: 'bad',
      url: 'ftp://example.org/x',
      eventTypes: ['devices.credentials.changed.v1'],
    });
    expect(bad.status).toBe(400);
    expect((bad.body['errors'] as { path: string }[]).map((error) => error.path).sort()).toEqual([
      'eventTypes.0',
      'url',
    ]);
    const badFilter = await h.call('integrator', 'POST', '/integration/v1/webhooks', {
      ...base,
      name: 'f',
      filter: 'payload.(',
    });
    expect(badFilter.body).toMatchObject({
      status: 400,
      code: 'webhook-invalid',
      errors: [{ path: 'filter' }],
    });
    expect((await h.call('auditor', 'POST', '/integration/v1/webhooks', { ...base, name: 'x' })).status).toBe(
      403,
    );
    expect(
      (await h.call('integrator', 'GET', `/integration/v1/webhooks/${randomUUID()}`)).body,
    ).toMatchObject({
      status: 404,
      code: 'webhook-not-found',
    });
    const types = await h.call('auditor', 'GET', '/integration/v1/webhooks/event-types');
    expect((types.body['items'] as { type: string }[]).map((item) => item.type)).toContain(
      'security.incident.raised.v1',
    );
  });
});
