// A firmware campaign through HTTP with real tokens: waves notified by commands on Kafka,
// devices reporting progress in their twins, a reboot mid-update, a pause on failures, a
// resume, the next wave, and a rollback.
import { until } from '@urbis/testing';
import { OBSERVATION_FIXTURES } from './codecs/__fixtures__/smart-data-models';
import { type DevicesHarness, startDevicesHarness } from './test-support/harness.test-helpers';

jest.setTimeout(180_000);

interface CampaignBody {
  id: string;
  status: string;
  statusReason?: string;
  currentWave: number;
  progress: {
    total: number;
    counts: Record<string, number>;
    waves: { total: number; counts: Record<string, number> }[];
  };
}
interface DeviceRow {
  deviceId: string;
  wave: number;
  status: string;
  attempts: number;
  commandId?: string;
  lastError?: string;
}

const SHA = 'a'.repeat(64);

describe('firmware campaigns', () => {
  let h: DevicesHarness;
  let v1: string;
  let v2: string;

  const report = (deviceId: string, firmware: Record<string, string>) =>
    h.call('integrator', 'PATCH', `/devices/v1/devices/${deviceId}/twin/reported`, { state: { firmware } });
  const campaign = async (id: string) =>
    (await h.call('auditor', 'GET', `/devices/v1/firmware/campaigns/${id}`)).body as unknown as CampaignBody;
  const devices = async (id: string) =>
    (await h.call('auditor', 'GET', `/devices/v1/firmware/campaigns/${id}/devices?limit=100`)).body[
      'items'
    ] as DeviceRow[];
  const eventually = <T>(read: () => Promise<T>, done: (value: T) => boolean, what: string): Promise<T> =>
    until(read, done, { timeoutMs: 20_000, everyMs: 150, what });

  beforeAll(async () => {
    h = await startDevicesHarness({ FIRMWARE_TICK_INTERVAL_MS: '200', COMMAND_SWEEP_INTERVAL_MS: '200' });
    const profile = await h.call(
      'tenantAdmin',
      'POST',
      '/devices/v1/profiles',
      OBSERVATION_FIXTURES[5].profile,
    );
    for (let i = 0; i < 20; i++) {
      const id = `fw-${String(i).padStart(2, '0')}`;
      await h.call('operator', 'POST', '/devices/v1/devices', {
        id,
        profileId: profile.body['id'],
        tags: ['pilot'],
      });
      await h.call('operator', 'POST', `/devices/v1/devices/${id}/lifecycle`, { to: 'active' });
    }
    const a1 = await h.call('tenantAdmin', 'POST', '/devices/v1/firmware/artifacts', {
      version: '1.0.0',
      sha256: SHA,
      sizeBytes: 524_288,
      url: 'https://firmware.example.city/lamp/1.0.0.bin',
    });
    const a2 = await h.call('tenantAdmin', 'POST', '/devices/v1/firmware/artifacts', {
      version: '2.0.0',
      sha256: 'B'.repeat(64),
      sizeBytes: 540_000,
      url: 'https://firmware.example.city/lamp/2.0.0.bin',
    });
    expect([a1.status, a2.status]).toEqual([201, 201]);
    v1 = a1.body['id'] as string;
    v2 = a2.body['id'] as string;
  });
  afterAll(() => h?.stop());

  it('refuses a bad checksum, a campaign with no targets and unknown artifacts', async () => {
    const bad = await h.call('tenantAdmin', 'POST', '/devices/v1/firmware/artifacts', {
      version: '9.9.9',
      sha256: 'xyz',
      sizeBytes: 1,
      url: 'ftp://nope',
    });
    expect(bad.status).toBe(400);
    expect((bad.body['errors'] as { path: string }[]).map((e) => e.path).sort()).toEqual(['sha256', 'url']);
    const none = await h.call('operator', 'POST', '/devices/v1/firmware/campaigns', {
      name: 'nobody',
      artifactId: v2,
      target: { tags: ['no-such-tag'] },
    });
    expect(none.body).toMatchObject({ status: 400, code: 'campaign-no-targets' });
    const unknown = await h.call('operator', 'POST', '/devices/v1/firmware/campaigns', {
      name: 'ghost',
      artifactId: '00000000-0000-4000-8000-000000000000',
      target: { tags: ['pilot'] },
    });
    expect(unknown.body).toMatchObject({ status: 400, code: 'campaign-invalid' });
    const waves = await h.call('operator', 'POST', '/devices/v1/firmware/campaigns', {
      name: 'bad-waves',
      artifactId: v2,
      target: { tags: ['pilot'] },
      waves: [50, 10],
    });
    expect(waves.status).toBe(400);
    // Nothing partial was left behind.
    expect((await h.call('auditor', 'GET', '/devices/v1/firmware/campaigns')).body['items']).toEqual([]);
  });

  it('advances a wave, resumes a rebooted device, pauses on failures, resumes, and rolls back', async () => {
    const created = await h.call('operator', 'POST', '/devices/v1/firmware/campaigns', {
      name: 'lamps-2-0-0',
      artifactId: v2,
      rollbackArtifactId: v1,
      target: { tags: ['pilot'] },
      waves: [10, 50, 100],
      successThreshold: 1,
      failureThreshold: 0.5,
    });
    expect(created.status).toBe(201);
    const id = created.body['id'] as string;
    expect(created.body).toMatchObject({ status: 'running', currentWave: 0, progress: { total: 20 } });
    const all = await devices(id);
    const wave = (n: number) => all.filter((d) => d.wave === n).map((d) => d.deviceId);
    expect([wave(0).length, wave(1).length, wave(2).length]).toEqual([2, 8, 10]);

    // Wave 1 (10%) is notified with a firmware.update command naming the artifact.
    const commands = await h.reader.waitFor(
      (m) =>
        m.topic === 'devices.command.requested.v1' &&
        (m.value['payload'] as { name: string; params: { campaignId: string } }).params?.campaignId === id,
      2,
    );
    expect(commands.map((m) => (m.value['payload'] as { deviceId: string }).deviceId).sort()).toEqual(
      [...wave(0)].sort(),
    );
    expect(commands[0].value['payload']).toMatchObject({
      name: 'firmware.update',
      params: {
        version: '2.0.0',
        sha256: 'b'.repeat(64),
        sizeBytes: 540_000,
        url: 'https://firmware.example.city/lamp/2.0.0.bin',
      },
    });

    // Both succeed: the campaign advances to wave 2 (50%).
    for (const device of wave(0)) await report(device, { version: '2.0.0' });
    await eventually(
      () => campaign(id),
      (c) => c.currentWave === 1,
      'wave 2',
    );
    const second = await eventually(
      () => devices(id),
      (rows) => rows.filter((d) => d.wave === 1).every((d) => d.status === 'notified'),
      'wave 2 notified',
    );
    expect(second.filter((d) => d.wave === 2).every((d) => d.status === 'queued')).toBe(true);

    // One device starts downloading, then reboots (reports its old version): it is notified again.
    const [rebooter, ...others] = wave(1);
    await report(rebooter, { version: '1.0.0', state: 'downloading' });
    await eventually(
      () => devices(id),
      (rows) => rows.find((d) => d.deviceId === rebooter)?.status === 'downloading',
      'downloading',
    );
    await report(rebooter, { version: '1.0.0' });
    const resumed = await eventually(
      () => devices(id),
      (rows) => (rows.find((d) => d.deviceId === rebooter)?.attempts ?? 0) === 2,
      'a second notification',
    );
    expect(resumed.find((d) => d.deviceId === rebooter)?.status).toBe('notified');
    await report(rebooter, { version: '2.0.0' });

    // Four of eight fail: at the 50% failure threshold the campaign pauses.
    for (const device of others.slice(0, 4))
      await report(device, { version: '1.0.0', state: 'failed', error: 'flash write error' });
    const paused = await eventually(
      () => campaign(id),
      (c) => c.status === 'paused',
      'the pause',
    );
    expect(paused.statusReason).toMatch(/wave 2: 4 of 8 devices failed/);
    expect((await devices(id)).find((d) => d.deviceId === others[0])?.lastError).toBe('flash write error');
    expect(
      (await h.call('operator', 'POST', `/devices/v1/firmware/campaigns/${id}/pause`)).body,
    ).toMatchObject({
      status: 409,
      code: 'illegal-campaign-transition',
    });

    // Resume: the failed devices get another try; now every device of the wave succeeds and wave 3 starts.
    const resume = await h.call('operator', 'POST', `/devices/v1/firmware/campaigns/${id}/resume`);
    expect(resume.body).toMatchObject({ status: 'running' });
    expect(resume.body['progress']).toMatchObject({ waves: [{}, { counts: { failed: 0 } }, {}] });
    for (const device of others) await report(device, { version: '2.0.0' });
    const third = await eventually(
      () => campaign(id),
      (c) => c.currentWave === 2,
      'wave 3',
    );
    expect(third.progress.waves[1].counts['succeeded']).toBe(8);
    expect(third.progress.waves[2].counts['notified']).toBe(10);

    // Roll back: everything reached gets 1.0.0; once all report it, the campaign is rolled back.
    const rollback = await h.call('operator', 'POST', `/devices/v1/firmware/campaigns/${id}/rollback`);
    expect(rollback.body).toMatchObject({ status: 'rolling_back' });
    for (const device of all.map((d) => d.deviceId)) await report(device, { version: '1.0.0' });
    const done = await eventually(
      () => campaign(id),
      (c) => c.status === 'rolled_back',
      'the rollback',
    );
    expect(done.progress.counts['rolled_back']).toBe(20);
    expect((await h.call('operator', 'POST', `/devices/v1/firmware/campaigns/${id}/resume`)).status).toBe(
      409,
    );
  });

  it('pauses, cancels, and refuses what a cancelled campaign cannot do', async () => {
    const created = await h.call('operator', 'POST', '/devices/v1/firmware/campaigns', {
      name: 'cancel-me',
      artifactId: v2,
      target: { tags: ['pilot'] },
    });
    const id = created.body['id'] as string;
    expect(
      (await h.call('operator', 'POST', `/devices/v1/firmware/campaigns/${id}/pause`)).body,
    ).toMatchObject({
      status: 'paused',
    });
    expect(
      (await h.call('operator', 'POST', `/devices/v1/firmware/campaigns/${id}/cancel`)).body,
    ).toMatchObject({
      status: 'cancelled',
    });
    expect((await h.call('operator', 'POST', `/devices/v1/firmware/campaigns/${id}/resume`)).status).toBe(
      409,
    );
    expect((await h.call('auditor', 'POST', `/devices/v1/firmware/campaigns/${id}/cancel`)).status).toBe(403);
  });
});
