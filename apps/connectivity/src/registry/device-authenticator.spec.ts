import { generateDeviceToken, hashDeviceToken, verifyDeviceToken } from '@urbis/device-credentials';
import { DeviceAuthenticator, type DeviceDirectory } from './device-authenticator';
import type { RegisteredDevice, StoredCredential } from './registry.repository';

const CHEAP = { log2N: 10, r: 8, p: 1 };

function device(overrides: Partial<RegisteredDevice> = {}): RegisteredDevice {
  return {
    tenant: 'alpha',
    deviceId: 'sensor-1',
    profileId: 'p',
    state: 'active',
    devEui: null,
    expectedIntervalSeconds: null,
    messagesPerMinute: null,
    maxPayloadBytes: null,
    deleted: false,
    ...overrides,
  };
}

function directory(found: RegisteredDevice | null, stored: StoredCredential[]): DeviceDirectory {
  return { findDevice: async () => found, findValidCredentials: async () => stored };
}

describe('DeviceAuthenticator', () => {
  let token: string;
  let stored: StoredCredential;
  let clock: number;

  beforeAll(async () => {
    token = generateDeviceToken();
    stored = { credentialId: '0b9f1a44-5a7e-4bb4-9a2c-1b0d1d3c7a01', tokenHash: await hashDeviceToken(token, CHEAP) };
  });
  let verify: jest.Mock<Promise<boolean>, [string, string]>;
  beforeEach(() => {
    clock = 1_000_000;
    verify = jest.fn((candidate: string, hash: string) => verifyDeviceToken(candidate, hash));
  });

  const authenticator = (dir: DeviceDirectory, cacheTtlMs = 60_000) =>
    new DeviceAuthenticator(dir, { cacheTtlMs, now: () => clock, verify });

  it('accepts the right token and remembers it, so the next check skips scrypt', async () => {
    const auth = authenticator(directory(device(), [stored]));
    expect(await auth.authenticate('alpha', 'sensor-1', token)).toMatchObject({ ok: true, credentialId: stored.credentialId });
    expect(await auth.authenticate('alpha', 'sensor-1', token)).toMatchObject({ ok: true });
    expect(verify).toHaveBeenCalledTimes(1);
    clock += 61_000;
    expect(await auth.authenticate('alpha', 'sensor-1', token)).toMatchObject({ ok: true });
    expect(verify).toHaveBeenCalledTimes(2);
  });

  it('does not trust a remembered check once the credential has another hash', async () => {
    const auth = authenticator(directory(device(), [stored]));
    await auth.authenticate('alpha', 'sensor-1', token);
    const rotated = { ...stored, tokenHash: await hashDeviceToken(generateDeviceToken(), CHEAP) };
    const after = authenticator(directory(device(), [rotated]));
    expect(await after.authenticate('alpha', 'sensor-1', token)).toEqual(expect.objectContaining({ ok: false, reason: 'bad-token' }));
  });

  it('names why a device is refused', async () => {
    expect(await authenticator(directory(null, [stored])).authenticate('alpha', 'x', token)).toEqual({
      ok: false,
      reason: 'unknown-device',
    });
    expect(await authenticator(directory(device({ deleted: true }), [stored])).authenticate('alpha', 'sensor-1', token)).toEqual({
      ok: false,
      reason: 'unknown-device',
    });
    expect(await authenticator(directory(device({ state: 'suspended' }), [stored])).authenticate('alpha', 'sensor-1', token)).toMatchObject({
      ok: false,
      reason: 'device-not-active',
    });
    expect(await authenticator(directory(device(), [])).authenticate('alpha', 'sensor-1', token)).toMatchObject({
      ok: false,
      reason: 'no-valid-credential',
    });
    expect(await authenticator(directory(device(), [stored])).authenticate('alpha', 'sensor-1', 'wrong')).toMatchObject({
      ok: false,
      reason: 'bad-token',
    });
  });

  it('stops running scrypt for a device after repeated failures, until the window passes', async () => {
    const auth = authenticator(directory(device(), [stored]));
    for (let i = 0; i < 5; i++) await auth.authenticate('alpha', 'sensor-1', `guess-${i}`);
    expect(await auth.authenticate('alpha', 'sensor-1', token)).toMatchObject({ ok: false, reason: 'too-many-failures' });
    expect(verify).toHaveBeenCalledTimes(5);
    clock += 61_000;
    expect(await auth.authenticate('alpha', 'sensor-1', token)).toMatchObject({ ok: true });
  });
});
