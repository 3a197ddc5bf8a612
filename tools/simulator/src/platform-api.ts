import type { ProfileBody } from './kinds';

/** Gives a bearer token for the platform's APIs (renewed as it nears expiry). */
export type AccessToken = () => Promise<string>;

function tokenSource(issuer: string, clientId: string, secret: string, form: Record<string, string>): AccessToken {
  let cached: { token: string; renewAt: number } | undefined;
  return async () => {
    if (cached && Date.now() < cached.renewAt) return cached.token;
    const response = await fetch(`${issuer}/protocol/openid-connect/token`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams(form).toString(),
      signal: AbortSignal.timeout(10_000),
    });
    const body = (await response.json().catch(() => ({}))) as { access_token?: string; expires_in?: number; error?: string };
    if (!response.ok || !body.access_token) {
      throw new Error(`token request for ${clientId} at ${issuer} failed: HTTP ${response.status} ${body.error ?? ''}`.trim());
    }
    cached = { token: body.access_token, renewAt: Date.now() + Math.max(5, (body.expires_in ?? 300) - 30) * 1000 };
    return cached.token;
  };
}

/** A client's own token (client-credentials grant), e.g. `urbis-dev-admin` of the development realm. */
export function clientCredentials(issuer: string, clientId: string, secret: string): AccessToken {
  return tokenSource(issuer, clientId, secret, { grant_type: 'client_credentials' });
}

/** A user's token (Keycloak's direct access grant). */
export function passwordGrant(issuer: string, clientId: string, secret: string, username: string, password: string): AccessToken {
  return tokenSource(issuer, clientId, secret, { grant_type: 'password', username, password });
}

/** A refusal from one of the platform's APIs, with its RFC 7807 body. */
export class PlatformApiError extends Error {
  constructor(
    readonly status: number,
    readonly problem: { code?: string; detail?: string; title?: string } & Record<string, unknown>,
    what: string,
  ) {
    super(`${what}: HTTP ${status} ${problem.code ?? ''} ${problem.detail ?? problem.title ?? ''}`.trim());
  }
}

export interface ProfileView extends ProfileBody {
  id: string;
  version: number;
}

export interface DeviceView {
  id: string;
  externalId?: string;
  profileId: string;
  state: 'provisioned' | 'active' | 'suspended' | 'decommissioned';
  tags: string[];
}

export interface BulkRow {
  id: string;
  externalId: string;
  name: string;
  profile: string;
  tags: string[];
  location: { type: 'Point'; coordinates: [number, number] };
  lorawan?: { devEui: string };
}

export interface BulkOutcome {
  summary: { rows: number; created: number; unchanged: number; failed: number };
  results: { row: number; status: 'created' | 'unchanged' | 'error'; externalId?: string; deviceId?: string; reason?: string }[];
}

/**
 * The parts of the public APIs the simulator provisions through: devices (profiles, bulk,
 * lifecycle, credentials) and connectivity (what its registry cache knows). Every call names
 * the tenant (`X-Urbis-Tenant`), so a platform admin of another tenant provisions this one.
 */
export class PlatformApi {
  constructor(
    private readonly urls: { devices: string; connectivity: string },
    private readonly tenant: string,
    private readonly accessToken: AccessToken,
  ) {}

  async request<T>(service: 'devices' | 'connectivity', method: string, path: string, body?: unknown): Promise<T> {
    const what = `${method} ${path}`;
    for (let attempt = 1; ; attempt++) {
      const response = await fetch(`${this.urls[service]}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${await this.accessToken()}`,
          'x-urbis-tenant': this.tenant,
          ...(body !== undefined && { 'content-type': 'application/json' }),
        },
        ...(body !== undefined && { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(120_000),
      });
      const text = await response.text();
      const parsed = (text ? JSON.parse(text) : undefined) as unknown;
      if (response.ok) return parsed as T;
      // The service is starting or its issuer keys are not fetched yet: not worth failing for.
      if ((response.status === 503 || response.status === 502) && attempt < 10) {
        await new Promise((resolve) => setTimeout(resolve, 1_000 * attempt));
        continue;
      }
      throw new PlatformApiError(response.status, (parsed ?? {}) as PlatformApiError['problem'], what);
    }
  }

  async profiles(): Promise<ProfileView[]> {
    const all: ProfileView[] = [];
    for (let offset = 0; ; offset += 1000) {
      const page = await this.request<{ items: ProfileView[]; total: number }>('devices', 'GET', `/devices/v1/profiles?limit=1000&offset=${offset}`);
      all.push(...page.items);
      if (all.length >= page.total || page.items.length === 0) return all;
    }
  }

  createProfile(profile: ProfileBody): Promise<ProfileView> {
    return this.request('devices', 'POST', '/devices/v1/profiles', profile);
  }

  replaceProfile(id: string, profile: ProfileBody): Promise<ProfileView> {
    return this.request('devices', 'PUT', `/devices/v1/profiles/${id}`, profile);
  }

  bulkProvision(rows: readonly BulkRow[]): Promise<BulkOutcome> {
    return this.request('devices', 'POST', '/devices/v1/devices:bulk', { devices: rows });
  }

  updateDevice(id: string, patch: Partial<Omit<BulkRow, 'id' | 'profile'>> & { profileId?: string }): Promise<DeviceView> {
    return this.request('devices', 'PATCH', `/devices/v1/devices/${encodeURIComponent(id)}`, patch);
  }

  async devicesTagged(tag: string): Promise<DeviceView[]> {
    const all: DeviceView[] = [];
    for (let offset = 0; ; offset += 1000) {
      const page = await this.request<{ items: DeviceView[]; total: number }>(
        'devices',
        'GET',
        `/devices/v1/devices?tag=${encodeURIComponent(tag)}&limit=1000&offset=${offset}`,
      );
      all.push(...page.items);
      if (all.length >= page.total || page.items.length === 0) return all;
    }
  }

  changeLifecycle(id: string, to: 'active' | 'suspended' | 'decommissioned', reason: string): Promise<unknown> {
    return this.request('devices', 'POST', `/devices/v1/devices/${encodeURIComponent(id)}/lifecycle`, { to, reason });
  }

  /** Issues a device token; with `overlapSeconds: 0` the device's older tokens stop working now. */
  async issueCredential(id: string, overlapSeconds: number): Promise<string> {
    const issued = await this.request<{ token: string }>('devices', 'POST', `/devices/v1/devices/${encodeURIComponent(id)}/credentials`, { overlapSeconds });
    return issued.token;
  }

  /** Whether connectivity's registry cache knows the device yet (404 until its snapshot arrived). */
  async connectivityKnows(id: string): Promise<boolean> {
    try {
      await this.request('connectivity', 'GET', `/connectivity/v1/devices/${encodeURIComponent(id)}/status?samples=0`);
      return true;
    } catch (error) {
      if (error instanceof PlatformApiError && error.status === 404) return false;
      throw error;
    }
  }
}
