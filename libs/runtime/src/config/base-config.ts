import { z } from 'zod';

/** Development defaults a service declares for itself; never used when NODE_ENV=production. */
export interface ServiceDefaults {
  /** Service name, also the default Kafka client id (`urbis-<name>`) and OIDC client id. */
  name: string;
  port: number;
  /** e.g. `postgresql://postgres@127.0.0.1:5432/urbis_devices` */
  databaseUrl: string;
}

/** The nested, typed configuration every service has. Services add their own sections. */
export interface BaseConfig {
  service: { name: string; environment: 'development' | 'test' | 'production' };
  http: { host: string; port: number };
  database: { url: string };
  kafka: { brokers: string[]; clientId: string };
  /** `anonymous`: development and conformance runs only (refused in production). */
  auth: { issuerUrl: string; clientId: string; anonymous?: { pathPrefix: string; tenant: string } };
  log: { level: LogLevel };
  metrics: { enabled: boolean; public: boolean };
  shutdown: { timeoutMs: number };
  /** How long the outbox keeps published rows and the dedupe table its claims (`pruneMessagingTables`). */
  messaging: { outboxRetentionSeconds: number; dedupeRetentionSeconds: number };
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const DEV_KAFKA_BROKERS = '127.0.0.1:9092';
const DEV_OIDC_ISSUER = 'http://127.0.0.1:8180/realms/urbis';

/** An environment variable holding an integer in [min, max]; services use it for their own variables. */
export const integer = (min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, `expected an integer from ${min} to ${max}`)
    .transform(Number)
    .pipe(
      z
        .number()
        .int()
        .min(min, `expected an integer from ${min} to ${max}`)
        .max(max, `expected an integer from ${min} to ${max}`),
    );

const flag = z.stringbool({ error: 'expected true or false (also 1/0, yes/no, on/off)' });

const postgresUrl = z.url({ protocol: /^postgres(ql)?$/, error: 'expected a postgresql:// URL' });

const httpUrl = z.url({ protocol: /^https?$/, error: 'expected an http(s):// URL' });

const brokerList = z
  .string()
  .transform((value) =>
    value
      .split(',')
      .map((broker) => broker.trim())
      .filter(Boolean),
  )
  .pipe(
    z
      .array(z.string().regex(/^[^\s:]+:\d{1,5}$/, 'expected host:port'))
      .min(1, 'expected a comma-separated list of host:port'),
  );

/**
 * The environment variables every service reads, as a zod shape over the flat env. Variables
 * a production deployment must set explicitly have no default there (see requiredInProduction).
 */
export function baseEnvShape(defaults: ServiceDefaults) {
  return {
    NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
    HOST: z.string().trim().min(1).default('0.0.0.0'),
    PORT: integer(1, 65535).default(defaults.port),
    DATABASE_URL: postgresUrl.optional(),
    KAFKA_BROKERS: brokerList.optional(),
    KAFKA_CLIENT_ID: z.string().trim().min(1).default(`urbis-${defaults.name}`),
    OIDC_ISSUER_URL: httpUrl.optional(),
    OIDC_CLIENT_ID: z.string().trim().min(1).default(`urbis-${defaults.name}`),
    /** Requests without a token to paths under this prefix act as an anonymous platform-admin (never in production). */
    AUTH_ANONYMOUS_PATH_PREFIX: z.string().trim().regex(/^\/\S*$/, 'expected a path prefix such as /ngsi-ld/').optional(),
    AUTH_ANONYMOUS_TENANT: z.string().trim().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'expected a tenant name').default('demo'),
    LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
    METRICS_ENABLED: flag.default(true),
    METRICS_PUBLIC: flag.default(true),
    SHUTDOWN_TIMEOUT_MS: integer(1000, 600_000).default(25_000),
    OUTBOX_RETENTION_SECONDS: integer(60, 90 * 24 * 3600).default(3600),
    /** Longer than any redelivery can come: the topics' retention (Kafka's default is 7 days). */
    DEDUPE_RETENTION_SECONDS: integer(3600, 365 * 24 * 3600).default(7 * 24 * 3600),
  };
}

type BaseEnv = z.output<z.ZodObject<ReturnType<typeof baseEnvShape>>>;

/** In production these must be set: a forgotten variable must not silently point at localhost. */
const REQUIRED_IN_PRODUCTION = ['DATABASE_URL', 'KAFKA_BROKERS', 'OIDC_ISSUER_URL'] as const;

export function requireProductionVariables(env: BaseEnv, ctx: z.RefinementCtx): void {
  if (env.NODE_ENV !== 'production') return;
  if (env.AUTH_ANONYMOUS_PATH_PREFIX !== undefined) {
    ctx.addIssue({ code: 'custom', path: ['AUTH_ANONYMOUS_PATH_PREFIX'], message: 'anonymous access is for development and conformance runs, never with NODE_ENV=production' });
  }
  for (const name of REQUIRED_IN_PRODUCTION) {
    if (env[name] === undefined) {
      ctx.addIssue({ code: 'custom', path: [name], message: 'required when NODE_ENV=production' });
    }
  }
}

export function toBaseConfig(env: BaseEnv, defaults: ServiceDefaults): BaseConfig {
  return {
    service: { name: defaults.name, environment: env.NODE_ENV },
    http: { host: env.HOST, port: env.PORT },
    database: { url: env.DATABASE_URL ?? defaults.databaseUrl },
    kafka: { brokers: env.KAFKA_BROKERS ?? [DEV_KAFKA_BROKERS], clientId: env.KAFKA_CLIENT_ID },
    auth: {
      issuerUrl: env.OIDC_ISSUER_URL ?? DEV_OIDC_ISSUER,
      clientId: env.OIDC_CLIENT_ID,
      ...(env.AUTH_ANONYMOUS_PATH_PREFIX !== undefined && { anonymous: { pathPrefix: env.AUTH_ANONYMOUS_PATH_PREFIX, tenant: env.AUTH_ANONYMOUS_TENANT } }),
    },
    log: { level: env.LOG_LEVEL },
    metrics: { enabled: env.METRICS_ENABLED, public: env.METRICS_PUBLIC },
    shutdown: { timeoutMs: env.SHUTDOWN_TIMEOUT_MS },
    messaging: { outboxRetentionSeconds: env.OUTBOX_RETENTION_SECONDS, dedupeRetentionSeconds: env.DEDUPE_RETENTION_SECONDS },
  };
}

/**
 * A service's config schema: the base variables plus its own (`env`), mapped from the flat
 * environment into `BaseConfig` plus whatever `map` returns from the service's own variables.
 *
 *   export const configSchema = serviceConfigSchema({ name: 'devices', port: 8082, databaseUrl },
 *     { COMMAND_TTL_SECONDS: z.coerce.number().default(300) },
 *     (env) => ({ commands: { ttlSeconds: env.COMMAND_TTL_SECONDS } }));
 *
 * `check` adds the issues of variables that are only wrong together (one needs another); it also
 * runs when other variables are invalid, so it reads its own variables defensively.
 */
export function serviceConfigSchema<
  Shape extends z.ZodRawShape = Record<never, never>,
  Extra extends object = Record<never, never>,
>(
  defaults: ServiceDefaults,
  env?: Shape,
  map?: (env: z.output<z.ZodObject<Shape>>) => Extra,
  check?: (env: Partial<z.output<z.ZodObject<Shape>>>, ctx: z.RefinementCtx) => void,
) {
  const shape = { ...baseEnvShape(defaults), ...(env ?? ({} as Shape)) };
  return (
    z
      .object(shape)
      // `when`: also runs when other variables are invalid, so that one run lists every problem.
      .superRefine(
        (parsed, ctx) => {
          requireProductionVariables(parsed as unknown as BaseEnv, ctx);
          check?.(parsed as unknown as Partial<z.output<z.ZodObject<Shape>>>, ctx);
        },
        { when: () => true },
      )
      .transform((parsed): BaseConfig & Extra => ({
        ...toBaseConfig(parsed as unknown as BaseEnv, defaults),
        ...(map ? map(parsed as unknown as z.output<z.ZodObject<Shape>>) : ({} as Extra)),
      }))
  );
}
