export interface ServiceTokenSourceOptions {
  /** The realm URL, e.g. `http://127.0.0.1:8180/realms/urbis` (the token endpoint is derived from it). */
  realmUrl: string;
  /** This service's client in the realm, e.g. `urbis-data`, and its secret. */
  clientId: string;
  clientSecret: string;
  /** Fetch a new token this many seconds before the current one expires. Default 30. */
  refreshBeforeExpirySeconds?: number;
  /** Give up on the token endpoint after this long. Default 5000 ms. */
  timeoutMs?: number;
  now?: () => number;
}

interface CachedToken {
  token: string;
  refreshAt: number;
}

/**
 * Client-credentials access tokens for service-to-service calls (Keycloak's service accounts):
 * one token is fetched, shared by every caller and replaced shortly before it expires, so a
 * busy service asks the realm once per token lifetime, not once per call.
 */
export class ServiceTokenSource {
  private cached: CachedToken | undefined;
  private inFlight: Promise<string> | undefined;
  private readonly tokenUrl: string;
  private readonly now: () => number;

  constructor(private readonly options: ServiceTokenSourceOptions) {
    this.tokenUrl = `${options.realmUrl.replace(/\/+$/, '')}/protocol/openid-connect/token`;
    this.now = options.now ?? Date.now;
  }

  /** A valid access token. */
  async token(): Promise<string> {
    if (this.cached && this.now() < this.cached.refreshAt) return this.cached.token;
    this.inFlight ??= this.fetchToken().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  /** The `Authorization` header value for a call to another service. */
  async authorization(): Promise<string> {
    return `Bearer ${await this.token()}`;
  }

  /** Drops the cached token (e.g. after a 401 from the callee). */
  invalidate(): void {
    this.cached = undefined;
  }

  private async fetchToken(): Promise<string> {
    const basic = Buffer.from(`${encodeURIComponent(this.options.clientId)}:${encodeURIComponent(this.options.clientSecret)}`).toString('base64');
    const response = await fetch(this.tokenUrl, {
      method: 'POST',
      headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials',
      signal: AbortSignal.timeout(this.options.timeoutMs ?? 5000),
    });
    const body = (await response.json().catch(() => ({}))) as { access_token?: unknown; expires_in?: unknown; error?: unknown };
    if (!response.ok || typeof body.access_token !== 'string') {
      // The realm's error code only (e.g. invalid_client): never the secret or the raw body.
      throw new Error(`client-credentials token for ${this.options.clientId} refused: HTTP ${response.status} ${typeof body.error === 'string' ? body.error : ''}`.trim());
    }
    const lifetime = typeof body.expires_in === 'number' ? body.expires_in : 60;
    const skew = Math.min(this.options.refreshBeforeExpirySeconds ?? 30, lifetime / 2);
    this.cached = { token: body.access_token, refreshAt: this.now() + (lifetime - skew) * 1000 };
    return body.access_token;
  }
}
