import { z } from 'zod';
import { serviceConfigSchema } from './base-config';
import { ConfigError, loadConfig, parseConfig } from './load-config';

const schema = serviceConfigSchema(
  { name: 'devices', port: 8082, databaseUrl: 'postgresql://postgres@127.0.0.1:5432/urbis_devices' },
  { COMMAND_TTL_SECONDS: z.coerce.number().int().positive().default(300) },
  (env) => ({ commands: { ttlSeconds: env.COMMAND_TTL_SECONDS } }),
);

function problemsOf(env: Record<string, string>): Record<string, string> {
  try {
    parseConfig(schema, env);
  } catch (error) {
    if (error instanceof ConfigError)
      return Object.fromEntries(error.problems.map((p) => [p.variable, p.problem]));
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('service config', () => {
  it('maps an empty development environment to the nested defaults', () => {
    expect(parseConfig(schema, {})).toEqual({
      service: { name: 'devices', environment: 'development' },
      http: { host: '0.0.0.0', port: 8082 },
      database: { url: 'postgresql://postgres@127.0.0.1:5432/urbis_devices' },
      kafka: { brokers: ['127.0.0.1:9092'], clientId: 'urbis-devices' },
      auth: { issuerUrl: 'http://127.0.0.1:8180/realms/urbis', clientId: 'urbis-devices' },
      log: { level: 'info' },
      metrics: { enabled: true, public: true },
      shutdown: { timeoutMs: 25_000 },
      messaging: { outboxRetentionSeconds: 3600, dedupeRetentionSeconds: 604_800 },
      commands: { ttlSeconds: 300 },
    });
  });

  it('reads every base variable, and the service variables', () => {
    const config = parseConfig(schema, {
      NODE_ENV: 'production',
      HOST: '127.0.0.1',
      PORT: '9000',
      DATABASE_URL: 'postgresql://app:secret@db:5432/devices',
      KAFKA_BROKERS: 'k1:9092, k2:9092,,k3:9093',
      KAFKA_CLIENT_ID: 'devices-1',
      OIDC_ISSUER_URL: 'https://sso.city.example/realms/city',
      OIDC_CLIENT_ID: 'urbis-devices-api',
      LOG_LEVEL: 'debug',
      METRICS_ENABLED: 'yes',
      METRICS_PUBLIC: 'false',
      SHUTDOWN_TIMEOUT_MS: '5000',
      OUTBOX_RETENTION_SECONDS: '600',
      DEDUPE_RETENTION_SECONDS: '1209600',
      COMMAND_TTL_SECONDS: '60',
    });
    expect(config).toMatchObject({
      service: { environment: 'production' },
      http: { host: '127.0.0.1', port: 9000 },
      database: { url: 'postgresql://app:secret@db:5432/devices' },
      kafka: { brokers: ['k1:9092', 'k2:9092', 'k3:9093'], clientId: 'devices-1' },
      auth: { issuerUrl: 'https://sso.city.example/realms/city', clientId: 'urbis-devices-api' },
      log: { level: 'debug' },
      metrics: { enabled: true, public: false },
      shutdown: { timeoutMs: 5000 },
      messaging: { outboxRetentionSeconds: 600, dedupeRetentionSeconds: 1_209_600 },
      commands: { ttlSeconds: 60 },
    });
  });

  it('lists every bad variable at once, by name', () => {
    expect(
      problemsOf({
        PORT: 'abc',
        DATABASE_URL: 'mysql://x',
        KAFKA_BROKERS: 'no-port',
        OIDC_ISSUER_URL: 'not a url',
        LOG_LEVEL: 'loud',
        METRICS_PUBLIC: 'maybe',
        SHUTDOWN_TIMEOUT_MS: '-1',
        DEDUPE_RETENTION_SECONDS: '60',
        COMMAND_TTL_SECONDS: '0',
      }),
    ).toEqual({
      PORT: expect.stringContaining('integer'),
      DATABASE_URL: expect.stringContaining('postgresql://'),
      KAFKA_BROKERS: expect.stringContaining('host:port'),
      OIDC_ISSUER_URL: expect.stringContaining('http'),
      LOG_LEVEL: expect.any(String),
      METRICS_PUBLIC: expect.stringContaining('true or false'),
      SHUTDOWN_TIMEOUT_MS: expect.stringContaining('integer'),
      DEDUPE_RETENTION_SECONDS: expect.stringContaining('3600'),
      COMMAND_TTL_SECONDS: expect.any(String),
    });
  });

  it('rejects out-of-range ports', () => {
    expect(problemsOf({ PORT: '70000' })).toEqual({ PORT: expect.stringContaining('1 to 65535') });
  });

  it('requires the external endpoints in production instead of defaulting to localhost', () => {
    expect(problemsOf({ NODE_ENV: 'production' })).toEqual({
      DATABASE_URL: 'required when NODE_ENV=production',
      KAFKA_BROKERS: 'required when NODE_ENV=production',
      OIDC_ISSUER_URL: 'required when NODE_ENV=production',
    });
  });

  it('refuses anonymous access in production', () => {
    expect(
      problemsOf({ NODE_ENV: 'production', AUTH_ANONYMOUS_PATH_PREFIX: '/ngsi-ld/', DATABASE_URL: 'postgresql://db/x', KAFKA_BROKERS: 'k:9092', OIDC_ISSUER_URL: 'https://sso.example/realms/x' }),
    ).toEqual({ AUTH_ANONYMOUS_PATH_PREFIX: expect.stringContaining('never with NODE_ENV=production') });
  });

  it('lists missing production variables together with invalid ones', () => {
    expect(
      problemsOf({ NODE_ENV: 'production', PORT: 'abc', OIDC_ISSUER_URL: 'https://sso.example/realms/x' }),
    ).toEqual({
      PORT: expect.stringContaining('integer'),
      DATABASE_URL: 'required when NODE_ENV=production',
      KAFKA_BROKERS: 'required when NODE_ENV=production',
    });
  });

  it('treats empty variables as unset', () => {
    expect(parseConfig(schema, { PORT: '', DATABASE_URL: '' }).http.port).toBe(8082);
  });

  it('loadConfig prints every problem to stderr and exits 1', () => {
    const exit = jest.spyOn(process, 'exit').mockImplementation((() => {
      throw new Error('exit');
    }) as never);
    const stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      expect(() => loadConfig(schema, { PORT: 'abc', LOG_LEVEL: 'loud' })).toThrow('exit');
      expect(exit).toHaveBeenCalledWith(1);
      const output = stderr.mock.calls.map(([chunk]) => String(chunk)).join('');
      expect(output).toMatch(/PORT: .*integer/);
      expect(output).toMatch(/LOG_LEVEL: /);
    } finally {
      exit.mockRestore();
      stderr.mockRestore();
    }
  });
});
