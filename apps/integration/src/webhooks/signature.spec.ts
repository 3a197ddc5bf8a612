import { createHmac, timingSafeEqual } from 'node:crypto';
import { newWebhookSecret, signatureHeader } from './signature';

/** What a receiver does, written from the documentation rather than from the signer. */
function verify(header: string, body: string, secret: string, now: number, toleranceSeconds = 300): boolean {
  const parts = header.split(',').map((part) => part.split('=') as [string, string]);
  const t = Number(parts.find(([key]) => key === 't')?.[1]);
  if (!Number.isFinite(t) || Math.abs(now - t) > toleranceSeconds) return false;
  const expected = createHmac('sha256', secret).update(`${t}.${body}`).digest();
  return parts
    .filter(([key]) => key === 'v1')
    .some(([, hex]) => {
      const given = Buffer.from(hex, 'hex');
      return given.length === expected.length && timingSafeEqual(given, expected);
    });
}

describe('webhook signatures', () => {
  const body = '{"type":"devices.lifecycle.changed.v1"}';

  it('signs timestamp and body with every valid secret', () => {
    const [current, previous] = [newWebhookSecret(), newWebhookSecret()];
    expect(current).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    const header = signatureHeader([current, previous], 1_780_000_000, body);
    expect(header).toMatch(/^t=1780000000,v1=[0-9a-f]{64},v1=[0-9a-f]{64}$/);
    expect(verify(header, body, current, 1_780_000_010)).toBe(true);
    expect(verify(header, body, previous, 1_780_000_010)).toBe(true);
  });

  it('fails for another body, another secret, or an old timestamp', () => {
    const secret = newWebhookSecret();
    const header = signatureHeader([secret], 1_780_000_000, body);
    expect(verify(header, `${body} `, secret, 1_780_000_000)).toBe(false);
    expect(verify(header, body, newWebhookSecret(), 1_780_000_000)).toBe(false);
    expect(verify(header, body, secret, 1_780_000_000 + 3600)).toBe(false);
  });
});
