import type { CircuitSettings, RetrySettings } from '../config';
import { OutboundError } from '../outbound/outbound-error';
import type { OutboundResponse } from '../outbound/outbound-http';

/** What one attempt came to. */
export type AttemptResult =
  | { ok: true; statusCode?: number }
  | {
      ok: false;
      /** False: trying again cannot help (refused destination, 4xx, bad URI): dead-letter now. */
      retryable: boolean;
      statusCode?: number;
      error: string;
      /** The receiver's Retry-After (429/503), in ms from now. */
      retryAfterMs?: number;
      /** Whether the failure says the endpoint is unwell (a 429 only says "slower"). */
      countsForCircuit: boolean;
    };

/** Statuses worth retrying: the receiver may answer differently later. */
const RETRYABLE_STATUS = new Set([408, 425, 429, 500, 502, 503, 504]);

/** Retry-After as delta-seconds or an HTTP-date (RFC 9110 §10.2.3), in ms from `now`. */
export function parseRetryAfter(value: string | string[] | undefined, now: number): number | undefined {
  const raw = Array.isArray(value) ? value[0] : value;
  if (!raw) return undefined;
  const trimmed = raw.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

export function classifyResponse(response: OutboundResponse, now = Date.now()): AttemptResult {
  const status = response.status;
  if (status >= 200 && status < 300) return { ok: true, statusCode: status };
  const retryable = RETRYABLE_STATUS.has(status) || status >= 500;
  const retryAfterMs =
    status === 429 || status === 503 ? parseRetryAfter(response.headers['retry-after'], now) : undefined;
  const text = response.body.toString('utf8', 0, Math.min(response.body.length, 200)).trim();
  const reason =
    status >= 300 && status < 400 ? ' (redirect not followed: only 307 and 308 keep the POST)' : '';
  return {
    ok: false,
    retryable,
    statusCode: status,
    error: `HTTP ${status}${reason}${text ? `: ${text}` : ''}`,
    ...(retryAfterMs !== undefined && { retryAfterMs }),
    countsForCircuit: status !== 429 && retryable,
  };
}

export function classifyError(error: unknown): AttemptResult {
  if (error instanceof OutboundError) {
    return { ok: false, retryable: error.retryable, error: error.message, countsForCircuit: error.retryable };
  }
  return {
    ok: false,
    retryable: true,
    error: error instanceof Error ? error.message : String(error),
    countsForCircuit: true,
  };
}

/**
 * Exponential backoff with jitter: the n-th retry waits base·2^(n-1), capped, minus a random
 * share up to `jitter` of it, so that receivers coming back are not hit by every sender at once.
 */
export function backoffDelay(
  attempts: number,
  settings: RetrySettings,
  random: () => number = Math.random,
): number {
  const exponential = settings.baseDelayMs * 2 ** Math.min(Math.max(attempts - 1, 0), 40);
  const capped = Math.min(exponential, settings.maxDelayMs);
  return Math.round(capped * (1 - settings.jitter * random()));
}

export type FailureDecision = { deadLetter: true; reason: string } | { deadLetter: false; retryAt: Date };

/** After a failed attempt (`attempts` made so far): when to try again, or why to give up. */
export function decideAfterFailure(
  delivery: { attempts: number; expiresAt: Date },
  result: Extract<AttemptResult, { ok: false }>,
  settings: RetrySettings,
  now: Date,
  random: () => number = Math.random,
): FailureDecision {
  if (!result.retryable) return { deadLetter: true, reason: `not retryable: ${result.error}` };
  if (delivery.attempts >= settings.maxAttempts) {
    return { deadLetter: true, reason: `gave up after ${delivery.attempts} attempts: ${result.error}` };
  }
  const delay =
    result.retryAfterMs !== undefined
      ? Math.min(result.retryAfterMs, settings.retryAfterMaxSeconds * 1000)
      : backoffDelay(delivery.attempts, settings, random);
  const retryAt = new Date(now.getTime() + delay);
  if (retryAt > delivery.expiresAt) {
    return { deadLetter: true, reason: `would outlive its maximum age: ${result.error}` };
  }
  return { deadLetter: false, retryAt };
}

export type CircuitStateName = 'closed' | 'open' | 'half_open';

export interface CircuitView {
  circuitState: CircuitStateName;
  consecutiveFailures: number;
  circuitReopens: number;
}

export interface CircuitChange extends CircuitView {
  /** While open, no attempt before this. */
  openUntil?: Date;
  opened: boolean;
}

/**
 * The breaker of one endpoint: `failureThreshold` consecutive failures open it for
 * `cooldownMs`; after that one probe goes out (half-open); a failed probe opens it again for
 * twice as long (up to `cooldownMaxMs`), a success closes it.
 */
export function circuitAfterFailure(
  circuit: CircuitView,
  countsForCircuit: boolean,
  settings: CircuitSettings,
  now: Date,
): CircuitChange {
  if (!countsForCircuit) return { ...circuit, opened: false };
  const failures = circuit.consecutiveFailures + 1;
  if (circuit.circuitState === 'half_open' || circuit.circuitState === 'open') {
    const reopens = circuit.circuitReopens + 1;
    const cooldown = Math.min(settings.cooldownMs * 2 ** Math.min(reopens, 30), settings.cooldownMaxMs);
    return {
      circuitState: 'open',
      consecutiveFailures: failures,
      circuitReopens: reopens,
      openUntil: new Date(now.getTime() + cooldown),
      opened: true,
    };
  }
  if (failures >= settings.failureThreshold) {
    return {
      circuitState: 'open',
      consecutiveFailures: failures,
      circuitReopens: 0,
      openUntil: new Date(now.getTime() + Math.min(settings.cooldownMs, settings.cooldownMaxMs)),
      opened: true,
    };
  }
  return { circuitState: 'closed', consecutiveFailures: failures, circuitReopens: 0, opened: false };
}
