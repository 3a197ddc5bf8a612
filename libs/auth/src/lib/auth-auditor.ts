import type { AuthErrorCode } from './auth.errors';
import type { Principal } from './principal';

/** A request the guard refused: what the audit trail records about it. */
export interface AuthRefusal {
  readonly code: AuthErrorCode;
  readonly status: number;
  /** The verified caller, when the token was valid and a role or tenant rule refused it. */
  readonly principal?: Principal;
  /** The tenant the request named (route param or header); unverified, may be anything. */
  readonly requestedTenant?: string;
  readonly method: string;
  /** The request path without its query string. */
  readonly path: string;
  /** The peer address as the HTTP server sees it. */
  readonly address: string;
}

/**
 * Where the guard reports refusals (token failures, role and tenant denials). libs/auth only
 * defines the seam; @urbis/audit provides it as audit records, so this lib stays free of Kafka.
 * Must not throw and must not block: it runs on the request path.
 */
export interface AuthAuditor {
  refused(refusal: AuthRefusal): void;
}

export const AUTH_AUDITOR = Symbol.for('urbis.auth.auditor');
