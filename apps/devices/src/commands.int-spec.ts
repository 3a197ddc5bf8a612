// Commands through HTTP with real tokens: requested on Kafka for connectivity, advanced by its
// responses, expired when nobody delivers them in time.
import { createEvent } from '@urbis/contracts';
import { until } from '@urbis/testing';
import type { JsonValue } from './common/json';
import { OBSERVATION_FIXTURES } from './codecs/__fixtures__/smart-data-models';
import {
  type DevicesHarness,
  provisionDevices,
  startDevicesHarness,
} from './test-support/harness.test-helpers';

jest.setTimeout(120_000);

describe('device commands', () => {
  let h: DevicesHarness;

  const respond = (
    commandId: string,
    deviceId: string,
    outcome: 'delivered' | 'succeeded' | 'failed',
    response?: { [key: string]: JsonValue },
  ) =>
    h.publish('connectivity.command.responded.v1', [
      createEvent('connectivity.command.responded.v1', {
        tenant: 'alpha',
        source: 'connectivity',
        payload: {
          commandId,
          deviceId,
          outcome,
          at: new Date().toISOString(),
          ...(response && { response }),
        },
      }),
    ]);

  const statusOf = async (deviceId: string, id: string) =>
    (await h.call('auditor', 'GET', `/devices/v1/devices/${deviceId}/commands/${id}`)).body;

  const eventually = async (deviceId: string, id: string, status: string) =>
    until(
      () => statusOf(deviceId, id),
      (body) => body['status'] === status,
      { timeoutMs: 15_000, everyMs: 100, what: `command ${id} to become ${status}` },
    );

  beforeAll(async () => {
    h = await startDevicesHarness({ COMMAND_SWEEP_INTERVAL_MS: '200' });
    await provisionDevices(h, OBSERVATION_FIXTURES[5].profile, ['lamp-1', 'lamp-2'], ['lamp-1']);
  });
  afterAll(() => h?.stop());

  it('refuses commands to unknown, provisioned and suspended devices, and bad commands', async () => {
    expect(
      (await h.call('operator', 'POST', '/devices/v1/devices/nope/commands', { name: 'dim' })).body,
    ).toMatchObject({
      status: 404,
      code: 'device-not-found',
    });
    expect(
      (await h.call('operator', 'POST', '/devices/v1/devices/lamp-2/commands', { name: 'dim' })).body,
    ).toMatchObject({
      status: 409,
      code: 'device-not-active',
      state: 'provisioned',
    });
    for (const to of ['active', 'suspended']) {
      await h.call('operator', 'POST', '/devices/v1/devices/lamp-2/lifecycle', { to });
    }
    expect(
      (await h.call('operator', 'POST', '/devices/v1/devices/lamp-2/commands', { name: 'dim' })).body,
    ).toMatchObject({ status: 409, code: 'device-not-active', state: 'suspended' });
    // Nothing was left behind: lamp-2 has no command at all.
    expect((await h.call('auditor', 'GET', '/devices/v1/devices/lamp-2/commands')).body['items']).toEqual([]);
    const bad = await h.call('operator', 'POST', '/devices/v1/devices/lamp-1/commands', {
      name: '1x',
      ttlSeconds: 0,
    });
    expect(bad.status).toBe(400);
    expect((bad.body['errors'] as { path: string }[]).map((e) => e.path).sort()).toEqual([
      'name',
      'ttlSeconds',
    ]);
    expect(
      (await h.call('auditor', 'POST', '/devices/v1/devices/lamp-1/commands', { name: 'dim' })).status,
    ).toBe(403);
  });

  it('queued → sent → delivered → succeeded, from connectivity.command.responded.v1', async () => {
    const created = await h.call('operator', 'POST', '/devices/v1/devices/lamp-1/commands', {
      name: 'dim',
      params: { level: 40 },
      ttlSeconds: 600,
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      status: 'queued',
      name: 'dim',
      params: { level: 40 },
      ttlSeconds: 600,
    });
    const id = created.body['id'] as string;

    const [requested] = await h.reader.waitFor(
      (m) =>
        m.topic === 'devices.command.requested.v1' &&
        (m.value['payload'] as { commandId: string }).commandId === id,
    );
    expect(requested.key).toBe('alpha/lamp-1');
    expect(requested.value['payload']).toMatchObject({
      deviceId: 'lamp-1',
      name: 'dim',
      params: { level: 40 },
      expiresAt: created.body['expiresAt'],
      requestedBy: expect.any(String),
    });
    await eventually('lamp-1', id, 'sent');

    await respond(id, 'lamp-1', 'delivered');
    await eventually('lamp-1', id, 'delivered');
    await respond(id, 'lamp-1', 'succeeded', { level: 40 });
    const done = await eventually('lamp-1', id, 'succeeded');
    expect(done).toMatchObject({
      response: { level: 40 },
      completedAt: expect.any(String),
      deliveredAt: expect.any(String),
    });
    // A late, out-of-order answer does not move it back.
    await respond(id, 'lamp-1', 'delivered');
    const marker = await h.call('operator', 'POST', '/devices/v1/devices/lamp-1/commands', { name: 'ping' });
    await respond(marker.body['id'] as string, 'lamp-1', 'failed');
    await eventually('lamp-1', marker.body['id'] as string, 'failed');
    expect((await statusOf('lamp-1', id))['status']).toBe('succeeded');
  });

  it('expires a command nobody delivered within its TTL', async () => {
    const created = await h.call('operator', 'POST', '/devices/v1/devices/lamp-1/commands', {
      name: 'reboot',
      ttlSeconds: 1,
    });
    const id = created.body['id'] as string;
    const expired = await eventually('lamp-1', id, 'expired');
    expect(expired['reason']).toBe('not delivered within its ttl of 1 s');
    // An answer after expiry changes nothing.
    await respond(id, 'lamp-1', 'succeeded');
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect((await statusOf('lamp-1', id))['status']).toBe('expired');
  });

  it('keeps a history per device, newest first, filterable by status', async () => {
    const history = await h.call('auditor', 'GET', '/devices/v1/devices/lamp-1/commands?limit=10');
    const items = history.body['items'] as { name: string; status: string }[];
    expect(items.map((c) => c.name)).toEqual(['reboot', 'ping', 'dim']);
    const failed = await h.call('auditor', 'GET', '/devices/v1/devices/lamp-1/commands?status=failed');
    expect((failed.body['items'] as { name: string }[]).map((c) => c.name)).toEqual(['ping']);
  });

  it('dead-letters a response for a command that does not exist', async () => {
    const unknown = '00000000-0000-4000-8000-00000000abcd';
    await respond(unknown, 'lamp-1', 'succeeded');
    const [dead] = await h.reader.waitFor(
      (m) =>
        m.topic === 'connectivity.command.responded.v1.dlq' &&
        (m.value['payload'] as { commandId: string }).commandId === unknown,
    );
    expect(dead.headers['dlq-reason']).toContain(`no command ${unknown} for device lamp-1`);
  });
});
