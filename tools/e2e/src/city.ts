// The platform under test, as an integrator meets it: five services started as processes
// (`startPlatform`), reached only through their HTTP APIs, MQTT and webhooks, with a simulated
// district of tenant alpha feeding them.
import { type District, type DistrictOptions, passwordGrant, startDistrict } from '@urbis/simulator';
import { type Platform, type PlatformOptions, startPlatform, type TestUser, testUserTokens } from '@urbis/testing';

export const TENANT = 'alpha';
/** connectivity's LoRaWAN webhook secret for the tenant (`LORAWAN_WEBHOOK_SECRETS`). */
export const LORAWAN_SECRET = 'alpha-chirpstack-webhook-secret';

export interface City {
  platform: Platform;
  /** Calls a service's HTTP API as a user of the test realm, naming tenant alpha. */
  api(service: string, user: TestUser): ApiClient;
  /** The same with a bearer token of one's own (e.g. a client-credentials client). */
  apiWithToken(service: string, token: () => Promise<string>): ApiClient;
  stop(): Promise<void>;
}

export interface ApiResponse<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
}

export interface ApiClient {
  get<T = unknown>(path: string): Promise<ApiResponse<T>>;
  post<T = unknown>(path: string, body?: unknown): Promise<ApiResponse<T>>;
  put<T = unknown>(path: string, body?: unknown): Promise<ApiResponse<T>>;
  patch<T = unknown>(path: string, body?: unknown): Promise<ApiResponse<T>>;
}

/** OTEL_* variables that make a service export its spans to an OTLP/HTTP receiver, quickly. */
export function exportTracesTo(receiverUrl: string, service: string): Record<string, string> {
  return {
    OTEL_TRACES_EXPORTER: 'otlp',
    OTEL_EXPORTER_OTLP_ENDPOINT: receiverUrl,
    OTEL_SERVICE_NAME: `urbis-${service}`,
    OTEL_BSP_SCHEDULE_DELAY: '200',
  };
}

function client(baseUrl: string, token: () => Promise<string>): ApiClient {
  const call = async <T>(method: string, path: string, body?: unknown): Promise<ApiResponse<T>> => {
    const response = await fetch(`${baseUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${await token()}`,
        'x-urbis-tenant': TENANT,
        ...(path.startsWith('/ngsi-ld/') && { 'ngsild-tenant': TENANT }),
        ...(body !== undefined && { 'content-type': 'application/json' }),
      },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON: the text is the body
    }
    return { status: response.status, headers: response.headers, body: parsed as T };
  };
  return {
    get: (path) => call('GET', path),
    post: (path, body) => call('POST', path, body),
    put: (path, body) => call('PUT', path, body),
    patch: (path, body) => call('PATCH', path, body),
  };
}

/** Starts all five services with the tenant's LoRaWAN secret and `env` per service (`options`: e.g. their database server). */
export async function startCity(env: NonNullable<PlatformOptions['env']> = {}, options: Omit<PlatformOptions, 'env'> = {}): Promise<City> {
  const platform = await startPlatform({
    ...options,
    env: { ...env, connectivity: { LORAWAN_WEBHOOK_SECRETS: `${TENANT}=${LORAWAN_SECRET}`, ...env['connectivity'] } },
  });
  const tokens = testUserTokens(platform.idp);
  const urlOf = (service: string) => {
    const url = platform.services[service]?.url;
    if (!url) throw new Error(`${service} is not running`);
    return url;
  };
  return {
    platform,
    api: (service, user) => client(urlOf(service), () => tokens(user)),
    apiWithToken: (service, token) => client(urlOf(service), token),
    stop: () => platform.stop(),
  };
}

/**
 * A district of tenant alpha, provisioned by its platform admin through the public APIs;
 * readings only when the test asks (`publish`), no silent devices, no faults, so counts are exact.
 */
export function startTestDistrict(city: City, options: Partial<DistrictOptions> & Pick<DistrictOptions, 'devices'>): Promise<District> {
  const { platform } = city;
  return startDistrict({
    tenant: TENANT,
    endpoints: {
      devices: platform.services['devices']?.url ?? '',
      connectivity: platform.services['connectivity']?.url ?? '',
      mqtt: platform.mqttUrl ?? '',
    },
    accessToken: passwordGrant(platform.idp.issuer, 'test-app', 'test-app-secret', 'pia', 'pia-pw'),
    lorawanWebhookSecret: LORAWAN_SECRET,
    publishing: 'manual',
    silentShare: 0,
    faultRate: 0,
    ...options,
  });
}

/** An NGSI-LD Property as the broker returns it (normalized). */
export interface Property<T = unknown> {
  type: 'Property' | 'GeoProperty' | 'Relationship';
  value?: T;
  object?: string;
  observedAt?: string;
  unitCode?: string;
}
export type Entity = { id: string; type: string } & Record<string, Property | string>;
