// The only file in the repository that imports keycloak-connect (see docs/adr/0004).
import { Inject, Injectable } from '@nestjs/common';
import KeycloakConnect from 'keycloak-connect';

import type { AccessTokenVerifier, VerifiedAccessToken } from './access-token-verifier';
import { AuthErrorCode, AuthException } from './auth.errors';
import { AUTH_OPTIONS, type ResolvedAuthOptions } from './auth.options';

/** keycloak-connect's Token as it really is at runtime (its typings omit `content`/`header`). */
interface KeycloakToken {
  content: Record<string, unknown>;
  header?: Record<string, unknown>;
}

interface KeycloakConfigWithExtras extends KeycloakConnect.KeycloakConfig {
  'min-time-between-jwks-requests': number;
  'verify-token-audience': boolean;
}

function decodeSegment(segment: string): Record<string, unknown> | undefined {
  if (!/^[A-Za-z0-9_-]+$/.test(segment)) return undefined;
  try {
    const value: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch (err: unknown) {
    if (err instanceof SyntaxError) return undefined;
    throw err;
  }
}

/**
 * How many verified tokens are remembered. A service sees few distinct tokens (one per client
 * session, refreshed every few minutes), so this bounds memory against a flood of valid tokens.
 */
const VERIFIED_TOKENS_KEPT = 10_000;

const NETWORK_FAILURE = /ECONNREFUSED|ECONNRESET|ENOTFOUND|ETIMEDOUT|EAI_AGAIN|EHOSTUNREACH|socket hang up|Error fetching JWK Keys/;

@Injectable()
export class KeycloakConnectTokenVerifier implements AccessTokenVerifier {
  private readonly grantManager: KeycloakConnect.GrantManager;
  /**
   * Raw token → its verified payload, until its `exp`. RS256 verification in keycloak-connect is
   * pure JavaScript (bn.js) and costs more CPU than a whole NGSI-LD write; a client sends the same
   * token with every request. The key is the whole raw token, signature included, so only the
   * exact bytes that were verified hit; expiry is checked again at every use.
   */
  private readonly verified = new Map<string, VerifiedAccessToken>();

  constructor(@Inject(AUTH_OPTIONS) options: ResolvedAuthOptions) {
    const config: KeycloakConfigWithExtras = {
      realm: options.realm,
      'auth-server-url': options.serverUrl,
      resource: options.clientId,
      'bearer-only': true,
      'ssl-required': 'external',
      'confidential-port': 0,
      'min-time-between-jwks-requests': options.minTimeBetweenJwksRequests,
      'verify-token-audience': options.verifyAudience,
    };
    // The options object only matters for keycloak-connect's (Express) session middleware, unused here.
    this.grantManager = new KeycloakConnect({}, config).grantManager;
  }

  async verify(rawToken: string): Promise<VerifiedAccessToken> {
    const known = this.verified.get(rawToken);
    if (known) {
      if (known.exp * 1000 > Date.now()) return known;
      this.verified.delete(rawToken);
      throw new AuthException(AuthErrorCode.TokenExpired, 'token expired');
    }
    const content = await this.verifyNow(rawToken);
    if (this.verified.size >= VERIFIED_TOKENS_KEPT) this.verified.delete(this.verified.keys().next().value as string);
    this.verified.set(rawToken, content);
    return content;
  }

  private async verifyNow(rawToken: string): Promise<VerifiedAccessToken> {
    this.assertWellFormed(rawToken);
    let grant: KeycloakConnect.Grant;
    try {
      // bearer-only: createGrant validates the access token only (GrantManager#validateToken:
      // expiry, typ "Bearer", iss, then the RS256 signature with the JWKS key named by `kid`).
      grant = await this.grantManager.createGrant(JSON.stringify({ access_token: rawToken, token_type: 'Bearer' }));
    } catch (err: unknown) {
      throw this.translate(err);
    }
    const token = grant.access_token as unknown as KeycloakToken | undefined;
    if (!token) throw new AuthException(AuthErrorCode.TokenMalformed, 'no access token');
    return token.content as VerifiedAccessToken;
  }

  /**
   * keycloak-connect turns an unparsable token into `{ exp: 0 }` ("expired") and never looks at
   * `alg`; check the shape first so the caller gets the right reason, and accept RS256 only.
   */
  private assertWellFormed(rawToken: string): void {
    const parts = rawToken.split('.');
    if (parts.length !== 3 || parts[2] === '') throw new AuthException(AuthErrorCode.TokenMalformed, 'token is not a signed JWT');
    const header = decodeSegment(parts[0]);
    const payload = decodeSegment(parts[1]);
    if (!header || !payload) throw new AuthException(AuthErrorCode.TokenMalformed, 'token is not a signed JWT');
    if (header['alg'] !== 'RS256') throw new AuthException(AuthErrorCode.TokenSignatureInvalid, 'token algorithm not accepted');
    if (typeof header['kid'] !== 'string') throw new AuthException(AuthErrorCode.TokenSignatureInvalid, 'token has no key id');
    if (typeof payload['exp'] !== 'number') throw new AuthException(AuthErrorCode.TokenMalformed, 'token has no expiry');
  }

  private translate(err: unknown): AuthException {
    const message = err instanceof Error ? err.message : String(err);
    const has = (fragment: string) => message.includes(fragment);
    if (has('(expired)')) return new AuthException(AuthErrorCode.TokenExpired, 'token expired', { cause: err });
    if (has('(wrong type)')) return new AuthException(AuthErrorCode.TokenWrongType, 'token is not a Bearer access token', { cause: err });
    if (has('(wrong ISS)')) return new AuthException(AuthErrorCode.TokenIssuerMismatch, 'token issuer not accepted', { cause: err });
    if (has('(wrong audience)')) return new AuthException(AuthErrorCode.TokenAudienceMismatch, 'token audience not accepted', { cause: err });
    if (has('(missing)') || has('(not signed)')) return new AuthException(AuthErrorCode.TokenMalformed, 'token is not a signed JWT', { cause: err });
    if (NETWORK_FAILURE.test(message)) {
      return new AuthException(AuthErrorCode.IssuerUnavailable, 'signing keys of the token issuer cannot be fetched', { cause: err });
    }
    // "(public key signature)", and an unknown `kid` (keycloak-connect fails to find a key).
    return new AuthException(AuthErrorCode.TokenSignatureInvalid, 'token signature not valid', { cause: err });
  }
}
