import { generateDeviceToken, hashDeviceToken, verifyDeviceToken } from './device-token';

const FAST = { log2N: 10, r: 8, p: 1 };

describe('device tokens', () => {
  it('generates distinct 256-bit url-safe tokens', () => {
    const a = generateDeviceToken();
    expect(a).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(generateDeviceToken()).not.toBe(a);
  });

  it('verifies a token against its hash and rejects any other token', async () => {
    const token = generateDeviceToken();
    const hash = await hashDeviceToken(token, FAST);
    expect(hash).toMatch(/^scrypt\$10\$8\$1\$/);
    expect(hash).not.toContain(token);
    await expect(verifyDeviceToken(token, hash)).resolves.toBe(true);
    await expect(verifyDeviceToken(generateDeviceToken(), hash)).resolves.toBe(false);
  });

  it('salts every hash, so one token hashes differently each time', async () => {
    const token = generateDeviceToken();
    expect(await hashDeviceToken(token, FAST)).not.toBe(await hashDeviceToken(token, FAST));
  });

  it('never matches a malformed or absurdly expensive hash, and never throws', async () => {
    const token = generateDeviceToken();
    for (const hash of ['', 'plain', 'scrypt$10$8$1$abc$def', 'scrypt$30$8$1$AAAAAAAAAAAAAAAAAAAAAA$' + 'A'.repeat(43)]) {
      await expect(verifyDeviceToken(token, hash)).resolves.toBe(false);
    }
    await expect(verifyDeviceToken('', await hashDeviceToken(token, FAST))).resolves.toBe(false);
  });

  it('uses the default cost unless told otherwise', async () => {
    const token = generateDeviceToken();
    const hash = await hashDeviceToken(token);
    expect(hash.startsWith('scrypt$15$8$1$')).toBe(true);
    await expect(verifyDeviceToken(token, hash)).resolves.toBe(true);
  });
});
