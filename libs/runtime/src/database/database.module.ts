import { type DynamicModule, Module } from '@nestjs/common';
import { PrismaPg } from '@prisma/adapter-pg';
// Also what makes each app's generated package.json list @prisma/client: the generated client
// (gitignored) is invisible to Nx's project graph, this import is not.
import type { SqlDriverAdapterFactory } from '@prisma/client/runtime/client';
import { pgSqlExecutor, type PrismaTransactionClient, type SqlExecutor, type TransactionRunner } from '@urbis/messaging';
import { Pool } from 'pg';
import type { Logger } from '@urbis/observability';
import type { BaseConfig } from '../config/base-config';
import { ServiceLifecycle } from '../lifecycle/service-lifecycle';
import { SERVICE_CONFIG, SERVICE_LOGGER } from '../tokens';

/** What the runtime needs of a service's generated PrismaClient. */
export interface PrismaClientLike extends SqlExecutor, PrismaTransactionClient {
  $disconnect(): Promise<void>;
}

/** A generated PrismaClient class (engineType "client": it needs a driver adapter). */
export type PrismaClientClass<T extends PrismaClientLike> = new (options: {
  adapter: SqlDriverAdapterFactory;
}) => T;

/** What libraries (the outbox relay) use of a service's database: raw SQL and transactions. */
export type Database = SqlExecutor & TransactionRunner;

/** The service's database as a `Database`, whichever client the service uses. */
export const DATABASE = Symbol.for('urbis.runtime.database');

/** The URL without its password, for logs and errors. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparseable URL)';
  }
}

/**
 * The client over `pool` (connected by `connectPool`, which owns the readiness check and the
 * close: Prisma leaves a pool it was given open), proven to answer.
 */
export async function connectPrisma<T extends PrismaClientLike>(Client: PrismaClientClass<T>, pool: Pool): Promise<T> {
  const prisma = new Client({ adapter: new PrismaPg(pool) });
  await prisma.$queryRawUnsafe('SELECT 1');
  return prisma;
}

/**
 * A `pg` pool, connected at boot (a boot failure names the database), ready-checked and closed
 * on shutdown: for services whose hot paths are raw SQL (docs/adr/0007).
 */
export async function connectPool(url: string, lifecycle: ServiceLifecycle, logger: Logger, max: number): Promise<Pool> {
  const pool = new Pool({ connectionString: url, max });
  // An idle client that loses its connection must not crash the process; the pool replaces it.
  pool.on('error', (error) => logger.warn({ err: error }, 'idle database connection lost'));
  // A checked-out client has no pool listener: when the server cuts it (a restart, a failover)
  // between two queries of a transaction, it would emit an unhandled 'error' and end the process.
  // Its next query fails by itself, and the pool drops the dead client when it is released.
  pool.on('connect', (client) => client.on('error', (error) => logger.debug({ err: error }, 'database connection lost')));
  try {
    await pool.query('SELECT 1');
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw new Error(`database unreachable at ${redactUrl(url)}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  lifecycle.addConnection({
    name: 'database',
    check: async () => {
      await pool.query('SELECT 1');
      return true;
    },
    close: () => pool.end(),
  });
  logger.info({ database: redactUrl(url) }, 'database connected');
  return pool;
}

/**
 * The service's database, connected at boot, ready-checked and closed on shutdown:
 *
 *   imports: [DatabaseModule.forPrisma(PrismaClient)]   // PrismaClient from ./prisma-client/client
 *   constructor(@Inject(PrismaClient) private readonly prisma: PrismaClient) {}
 *
 * or, for services whose writes are raw SQL, `DatabaseModule.forPool({ max })` and
 * `@Inject(Pool) pool: Pool`. Both give `DATABASE`, raw SQL and transactions on the same `pg` pool
 * (a Prisma service's hot consumer paths and its outbox relay skip Prisma's query engine).
 */
@Module({})
export class DatabaseModule {
  static forPrisma<T extends PrismaClientLike>(Client: PrismaClientClass<T>, options: { max?: number } = {}): DynamicModule {
    return {
      module: DatabaseModule,
      global: true,
      providers: [
        poolProvider(options.max),
        {
          provide: Client,
          inject: [Pool],
          useFactory: (pool: Pool) => connectPrisma(Client, pool),
        },
        // Raw SQL (the outbox relay, hot consumer paths) goes to the pool without Prisma's query engine.
        { provide: DATABASE, inject: [Pool], useFactory: (pool: Pool): Database => pgSqlExecutor(pool) },
      ],
      exports: [Client, Pool, DATABASE],
    };
  }

  static forPool(options: { max?: number } = {}): DynamicModule {
    return {
      module: DatabaseModule,
      global: true,
      providers: [
        poolProvider(options.max),
        { provide: DATABASE, inject: [Pool], useFactory: (pool: Pool): Database => pgSqlExecutor(pool) },
      ],
      exports: [Pool, DATABASE],
    };
  }
}

function poolProvider(max = 10) {
  return {
    provide: Pool,
    inject: [SERVICE_CONFIG, ServiceLifecycle, SERVICE_LOGGER],
    useFactory: (config: BaseConfig, lifecycle: ServiceLifecycle, logger: Logger) =>
      connectPool(config.database.url, lifecycle, logger, max),
  };
}
