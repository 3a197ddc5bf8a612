/**
 * The seam between the guard and the library that checks signatures. Today keycloak-connect
 * (keycloak-connect.verifier.ts) sits behind it; docs/adr/0004 describes its jose replacement.
 */
export interface VerifiedAccessToken {
  readonly iss: string;
  readonly sub?: string;
  readonly azp?: string;
  readonly typ?: string;
  readonly exp: number;
  readonly tenant?: unknown;
  readonly realm_access?: { readonly roles?: unknown };
  readonly [claim: string]: unknown;
}

export interface AccessTokenVerifier {
  /**
   * Verifies a raw JWT access token: RS256 signature against the realm's JWKS, `exp`,
   * `typ: Bearer` and `iss` equal to the configured realm URL. Resolves to its payload, or
   * rejects with an AuthException (401, or 503 when the keys cannot be fetched).
   */
  verify(rawToken: string): Promise<VerifiedAccessToken>;
}

export const ACCESS_TOKEN_VERIFIER = Symbol.for('urbis.auth.access-token-verifier');
