import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

/**
 * Device tokens and their hashes. The devices service issues a token once and keeps only its
 * hash; connectivity verifies tokens against hashes it learns from `devices.credentials.changed.v1`.
 * Both sides use this module, so the format cannot drift.
 *
 * Hash format (self-describing, so cost parameters can be raised later without breaking old hashes):
 *   scrypt$<log2 N>$<r>$<p>$<salt, base64url>$<derived key, base64url>
 */
export const TOKEN_HASH_ALGORITHM = 'scrypt' as const;

export interface ScryptCost {
  log2N: number;
  r: number;
  p: number;
}

/** About 30–60 ms per hash on one core of the project's machines: slow enough against offline guessing. */
export const DEFAULT_SCRYPT_COST: ScryptCost = { log2N: 15, r: 8, p: 1 };

const KEY_LENGTH = 32;
const SALT_LENGTH = 16;
const TOKEN_BYTES = 32;
const MAX_TOKEN_LENGTH = 512;

/** A new device token: 256 random bits, base64url (43 characters), safe in MQTT passwords and headers. */
export function generateDeviceToken(): string {
  return randomBytes(TOKEN_BYTES).toString('base64url');
}

function derive(token: string, salt: Buffer, cost: ScryptCost): Promise<Buffer> {
  const N = 2 ** cost.log2N;
  return new Promise((resolve, reject) =>
    scrypt(token, salt, KEY_LENGTH, { N, r: cost.r, p: cost.p, maxmem: 256 * N * cost.r }, (error, key) =>
      error ? reject(error) : resolve(key),
    ),
  );
}

export async function hashDeviceToken(token: string, cost: ScryptCost = DEFAULT_SCRYPT_COST): Promise<string> {
  if (token.length === 0 || token.length > MAX_TOKEN_LENGTH) throw new RangeError('device token length out of range');
  const salt = randomBytes(SALT_LENGTH);
  const key = await derive(token, salt, cost);
  return [TOKEN_HASH_ALGORITHM, cost.log2N, cost.r, cost.p, salt.toString('base64url'), key.toString('base64url')].join(
    '$',
  );
}

const HASH_PATTERN = /^scrypt\$(\d{1,2})\$(\d{1,2})\$(\d{1,2})\$([A-Za-z0-9_-]{16,})\$([A-Za-z0-9_-]{40,})$/;

/** True when `token` matches `hash`. A malformed hash never matches (and never throws). */
export async function verifyDeviceToken(token: string, hash: string): Promise<boolean> {
  const match = HASH_PATTERN.exec(hash);
  if (!match || token.length === 0 || token.length > MAX_TOKEN_LENGTH) return false;
  const [, log2N, r, p, salt, expected] = match;
  const cost = { log2N: Number(log2N), r: Number(r), p: Number(p) };
  if (cost.log2N < 10 || cost.log2N > 20 || cost.r < 1 || cost.r > 32 || cost.p < 1 || cost.p > 16) return false;
  const expectedKey = Buffer.from(expected, 'base64url');
  const key = await derive(token, Buffer.from(salt, 'base64url'), cost);
  return key.length === expectedKey.length && timingSafeEqual(key, expectedKey);
}
