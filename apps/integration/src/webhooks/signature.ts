import { createHmac, randomBytes } from 'node:crypto';

export const SIGNATURE_HEADER = 'urbis-signature';

/** A new signing secret: 32 random bytes, `whsec_` + base64url. The HMAC key is the whole string. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64url')}`;
}

/**
 * `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`, one v1 per valid secret (two while a
 * rotation overlaps). The timestamp is signed with the body, so a receiver that checks it is
 * recent rejects replays of an old request.
 */
export function signatureHeader(secrets: readonly string[], timestampSeconds: number, body: string): string {
  const signed = `${timestampSeconds}.${body}`;
  const signatures = secrets.map(
    (secret) => `v1=${createHmac('sha256', secret).update(signed).digest('hex')}`,
  );
  return [`t=${timestampSeconds}`, ...signatures].join(',');
}
