/**
 * The one place where Urbis works around Prisma 6's JS schema engine (see
 * docs/adr/0003-prisma-6-offline.md). Every `apps/<svc>/prisma.config.ts` goes through
 * `defineServicePrismaConfig`, so removing the workaround is a change to this file only.
 */
import { PrismaPg } from '@prisma/adapter-pg';
import type { PrismaConfig } from 'prisma';
import pg from 'pg';
import { parseIntoClientConfig } from 'pg-connection-string';
import { randomUUID } from 'node:crypto';
import path from 'node:path';

// PostgreSQL catalogue types that adapter-pg 6.19 has no mapping for. Both are plain text on
// the wire (`name`: identifiers, `"char"`: one-letter codes such as pg_class.relkind).
const CATALOGUE_TEXT_OIDS = new Set([18 /* "char" */, 19 /* name */]);
const PG_TEXT_OID = 25;

type QueryResultLike = { fields?: Array<{ dataTypeID: number }> };
type QueryFn = (...args: unknown[]) => unknown;

// prisma/orm#27403: adapter-pg maps result columns by type OID and rejects `name` (and then
// `"char"`), which the schema engine's catalogue queries return (pg_namespace.nspname,
// pg_class.relkind, ...). Relabelling them as `text` before the adapter looks is exact.
function relabelCatalogueColumns<T>(result: T): T {
  const results: unknown[] = Array.isArray(result) ? result : [result];
  for (const one of results) {
    for (const field of (one as QueryResultLike | undefined)?.fields ?? []) {
      if (CATALOGUE_TEXT_OIDS.has(field.dataTypeID)) field.dataTypeID = PG_TEXT_OID;
    }
  }
  return result;
}

function isPromise(value: unknown): value is Promise<unknown> {
  return typeof (value as Promise<unknown> | undefined)?.then === 'function';
}

/** A pg Client whose results carry catalogue text types as `text`. Used for migrations only. */
export class CatalogueAsTextClient extends pg.Client {
  constructor(config?: string | pg.ClientConfig) {
    super(config);
    const query = (pg.Client.prototype.query as QueryFn).bind(this);
    // pg.Client#query has a dozen overloads; wrapping the instance keeps every one of them.
    Object.defineProperty(this, 'query', {
      value: (...args: unknown[]): unknown => {
        const callbackAt = args.findIndex((arg) => typeof arg === 'function');
        if (callbackAt >= 0) {
          const callback = args[callbackAt] as (error: unknown, result: unknown) => void;
          args[callbackAt] = (error: unknown, result: unknown) =>
            callback(error, error ? result : relabelCatalogueColumns(result));
          return query(...args);
        }
        const result = query(...args);
        return isPromise(result) ? result.then(relabelCatalogueColumns) : result;
      },
    });
  }
}

/**
 * `prisma migrate deploy` does not create a missing database. Services own their database,
 * so the first migrate of a fresh environment creates it (PostgreSQL: CREATE DATABASE cannot
 * run inside the target database, so we go through the `postgres` maintenance database).
 */
export async function ensureDatabase(databaseUrl: string): Promise<void> {
  const probe = new pg.Client({ connectionString: databaseUrl });
  try {
    await probe.connect();
    return;
  } catch (error) {
    if ((error as { code?: string }).code !== '3D000') throw error;
  } finally {
    await probe.end().catch(() => undefined);
  }
  const url = new URL(databaseUrl);
  const database = decodeURIComponent(url.pathname.slice(1));
  url.pathname = '/postgres';
  const admin = new pg.Client({ connectionString: url.toString() });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${pg.escapeIdentifier(database)}`);
    process.stderr.write(`Created database "${database}".\n`);
  } catch (error) {
    // 42P04 duplicate_database: someone else created it in between, which is what we wanted.
    if ((error as { code?: string }).code !== '42P04') throw error;
  } finally {
    await admin.end();
  }
}

type PgAdapter = Awaited<ReturnType<PrismaPg['connect']>>;

/**
 * adapter-pg 6.19's executeScript splits a migration on every `;`, so a semicolon inside a
 * comment, a string or a function body ($$ ... $$) breaks the migration. The native engine
 * sends the script whole; so do we. A query without parameters goes over PostgreSQL's
 * simple-query protocol, which runs every statement of the script in one implicit
 * transaction, and executeRaw keeps adapter-pg's error conversion.
 */
function runScriptsWhole(adapter: PgAdapter): PgAdapter {
  adapter.executeScript = async (script: string) => {
    await adapter.executeRaw({ sql: script, args: [], argTypes: [] });
  };
  return adapter;
}

/**
 * @prisma/adapter-pg for the schema engine, with these fixes:
 * - catalogue text types relabelled (prisma/orm#27403, see CatalogueAsTextClient);
 * - the URL is passed as discrete fields: adapter-pg 6.19 opens the shadow database with
 *   `{ ...config, database: shadow }`, and pg lets `connectionString` win over `database`,
 *   so with a URL config `migrate dev`/`migrate diff` would replay migrations into the real
 *   database instead of the shadow one;
 * - the shadow database is dropped after, not before, its pool is closed;
 * - migration scripts run whole (see runScriptsWhole);
 * - the database is created on first connect (see ensureDatabase).
 */
export class MigratePrismaPg extends PrismaPg {
  private readonly poolConfig: pg.PoolConfig;

  constructor(private readonly databaseUrl: string) {
    const poolConfig = { ...parseIntoClientConfig(databaseUrl), Client: CatalogueAsTextClient };
    super(poolConfig);
    this.poolConfig = poolConfig;
  }

  override async connect(): ReturnType<PrismaPg['connect']> {
    await ensureDatabase(this.databaseUrl);
    return runScriptsWhole(await super.connect());
  }

  /**
   * adapter-pg 6.19 drops the shadow database before closing the pool connected to it, so
   * PostgreSQL refuses the DROP ("being accessed by other users"). Same steps, right order.
   */
  override async connectToShadowDb(): ReturnType<PrismaPg['connectToShadowDb']> {
    const main = await this.connect();
    const database = `prisma_migrate_shadow_db_${randomUUID()}`;
    await main.executeScript(`CREATE DATABASE ${pg.escapeIdentifier(database)}`);
    const shadow = runScriptsWhole(await new PrismaPg({ ...this.poolConfig, database }).connect());
    const closeShadowPool = shadow.dispose.bind(shadow);
    shadow.dispose = async () => {
      await closeShadowPool();
      try {
        await main.executeScript(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(database)}`);
      } finally {
        await main.dispose();
      }
    };
    return shadow;
  }
}

export interface ServicePrismaConfigOptions {
  /** The service name; its database defaults to `urbis_<service>` on the local server. */
  service: string;
  /** The app directory (pass `__dirname` from `apps/<svc>/prisma.config.ts`). */
  appDir: string;
}

/**
 * The Prisma CLI is a tool, not a service: it reads DATABASE_URL directly, with the same
 * default as the service's own config (apps/<svc>/src/config.ts). Prisma 6 insists on a
 * `url` in the schema's datasource even with a driver adapter, and falls back to the native
 * query engine (and a download) when `env("DATABASE_URL")` cannot be resolved, so the
 * default is put back into the CLI's environment too.
 */
export function serviceDatabaseUrl(service: string): string {
  const url = process.env['DATABASE_URL'] || `postgresql://postgres@127.0.0.1:5432/urbis_${service}`;
  process.env['DATABASE_URL'] = url;
  return url;
}

export function defineServicePrismaConfig({ service, appDir }: ServicePrismaConfigOptions): PrismaConfig {
  const databaseUrl = serviceDatabaseUrl(service);
  return {
    experimental: { adapter: true },
    engine: 'js',
    schema: path.join(appDir, 'prisma', 'schema.prisma'),
    migrations: { path: path.join(appDir, 'prisma', 'migrations') },
    adapter: async () => new MigratePrismaPg(databaseUrl),
  };
}
