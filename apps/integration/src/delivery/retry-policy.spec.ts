import { OutboundError } from '../outbound/outbound-error';
import type { OutboundResponse } from '../outbound/outbound-http';
import {
  backoffDelay,
  circuitAfterFailure,
  classifyError,
  classifyResponse,
  decideAfterFailure,
  parseRetryAfter,
} from './retry-policy';

const retry = {
  maxAttempts: 5,
  maxAgeSeconds: 3600,
  baseDelayMs: 1000,
  maxDelayMs: 60_000,
  jitter: 0.2,
  retryAfterMaxSeconds: 120,
};
const circuit = { failureThreshold: 3, cooldownMs: 10_000, cooldownMaxMs: 60_000 };
const response = (status: number, headers: Record<string, string> = {}, body = ''): OutboundResponse => ({
  status,
  headers,
  body: Buffer.from(body),
  truncated: false,
  url: 'http://x/',
  redirects: 0,
});
const now = new Date('2026-12-01T10:00:00Z');

describe('retry policy', () => {
  it('classifies answers', () => {
    expect(classifyResponse(response(204))).toEqual({ ok: true, statusCode: 204 });
    expect(classifyResponse(response(500, {}, 'boom'))).toMatchObject({
      ok: false,
      retryable: true,
      error: 'HTTP 500: boom',
      countsForCircuit: true,
    });
    expect(classifyResponse(response(404))).toMatchObject({ ok: false, retryable: false });
    expect(classifyResponse(response(302))).toMatchObject({
      ok: false,
      retryable: false,
      error: expect.stringContaining('redirect not followed'),
    });
    const limited = classifyResponse(response(429, { 'retry-after': '7' }), now.getTime());
    expect(limited).toMatchObject({
      ok: false,
      retryable: true,
      retryAfterMs: 7000,
      countsForCircuit: false,
    });
    expect(
      classifyResponse(response(503, { 'retry-after': 'Tue, 01 Dec 2026 10:00:30 GMT' }), now.getTime()),
    ).toMatchObject({
      retryAfterMs: 30_000,
      countsForCircuit: true,
    });
  });

  it('classifies transport failures', () => {
    expect(classifyError(new OutboundError('timeout', 'no answer within 5 ms'))).toMatchObject({
      retryable: true,
    });
    expect(classifyError(new OutboundError('refused', 'destination refused'))).toMatchObject({
      retryable: false,
      countsForCircuit: false,
    });
  });

  it('parses Retry-After in both forms', () => {
    expect(parseRetryAfter('120', now.getTime())).toBe(120_000);
    expect(parseRetryAfter('Tue, 01 Dec 2026 09:00:00 GMT', now.getTime())).toBe(0);
    expect(parseRetryAfter('soon', now.getTime())).toBeUndefined();
    expect(parseRetryAfter(undefined, now.getTime())).toBeUndefined();
  });

  it('backs off exponentially, capped, with jitter below the nominal delay', () => {
    expect([1, 2, 3, 4].map((n) => backoffDelay(n, retry, () => 0))).toEqual([1000, 2000, 4000, 8000]);
    expect(backoffDelay(30, retry, () => 0)).toBe(60_000);
    expect(backoffDelay(3, retry, () => 1)).toBe(3200);
    const samples = Array.from({ length: 200 }, () => backoffDelay(3, retry));
    expect(Math.min(...samples)).toBeGreaterThanOrEqual(3200);
    expect(Math.max(...samples)).toBeLessThanOrEqual(4000);
    expect(new Set(samples).size).toBeGreaterThan(10);
  });

  it('retries, honours Retry-After (capped), and dead-letters at the attempt and age limits', () => {
    const failure = { ok: false as const, retryable: true, error: 'HTTP 500', countsForCircuit: true };
    const young = { attempts: 1, expiresAt: new Date(now.getTime() + 3_600_000) };
    expect(decideAfterFailure(young, failure, retry, now, () => 0)).toEqual({
      deadLetter: false,
      retryAt: new Date(now.getTime() + 1000),
    });
    expect(decideAfterFailure(young, { ...failure, retryAfterMs: 5000 }, retry, now)).toEqual({
      deadLetter: false,
      retryAt: new Date(now.getTime() + 5000),
    });
    expect(decideAfterFailure(young, { ...failure, retryAfterMs: 999_000 }, retry, now)).toEqual({
      deadLetter: false,
      retryAt: new Date(now.getTime() + 120_000),
    });
    expect(decideAfterFailure({ ...young, attempts: 5 }, failure, retry, now)).toEqual({
      deadLetter: true,
      reason: 'gave up after 5 attempts: HTTP 500',
    });
    expect(
      decideAfterFailure({ attempts: 1, expiresAt: new Date(now.getTime() + 10) }, failure, retry, now),
    ).toMatchObject({
      deadLetter: true,
      reason: expect.stringContaining('maximum age'),
    });
    expect(
      decideAfterFailure(young, { ...failure, retryable: false, error: 'HTTP 404' }, retry, now),
    ).toEqual({
      deadLetter: true,
      reason: 'not retryable: HTTP 404',
    });
  });

  it('opens the circuit after the threshold, re-opens longer after a failed probe', () => {
    let state = { circuitState: 'closed' as const, consecutiveFailures: 0, circuitReopens: 0 };
    let change = circuitAfterFailure(state, true, circuit, now);
    expect(change).toMatchObject({ circuitState: 'closed', consecutiveFailures: 1, opened: false });
    change = circuitAfterFailure({ ...state, consecutiveFailures: 2 }, true, circuit, now);
    expect(change).toMatchObject({
      circuitState: 'open',
      opened: true,
      openUntil: new Date(now.getTime() + 10_000),
    });
    const probe = circuitAfterFailure(
      { circuitState: 'half_open', consecutiveFailures: 3, circuitReopens: 0 },
      true,
      circuit,
      now,
    );
    expect(probe).toMatchObject({
      circuitState: 'open',
      circuitReopens: 1,
      openUntil: new Date(now.getTime() + 20_000),
    });
    const late = circuitAfterFailure(
      { circuitState: 'half_open', consecutiveFailures: 9, circuitReopens: 5 },
      true,
      circuit,
      now,
    );
    expect(late.openUntil).toEqual(new Date(now.getTime() + 60_000));
    state = { circuitState: 'closed', consecutiveFailures: 2, circuitReopens: 0 };
    expect(circuitAfterFailure(state, false, circuit, now)).toMatchObject({
      circuitState: 'closed',
      consecutiveFailures: 2,
    });
  });
});
