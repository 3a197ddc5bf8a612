// A throwaway PostgreSQL database per test suite, on the local server.
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

/** A database created for one test suite. */
export interface TestDatabase {
  /** Connection string for the new database (user postgres, trust auth). */
  url: string;
  /** Its name, `urbis_t_<prefix>_<random>`. */
  name: string;
  /** Terminates every connection to it and drops it. Idempotent. */
  drop(): Promise<void>;
}

export interface TestDatabaseOptions {
  /** Server to create it on; default postgresql://postgres@127.0.0.1:5432. */
  host?: string;
  port?: number;
  user?: string;
}

/** Creates a fresh, empty database `urbis_t_<prefix>_<random>` on the local PostgreSQL. */
export async function createTestDatabase(
  prefix = 'test',
  options: TestDatabaseOptions = {},
): Promise<TestDatabase> {
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? 5432;
  const user = options.user ?? 'postgres';
  const slug =
    prefix
      .toLowerCase()
      .replace(/[^a-z0-9_]+/g, '_')
      .replace(/^_+|_+$/g, '')
      .slice(0, 30) || 'test';
  const name = `urbis_t_${slug}_${randomBytes(5).toString('hex')}`;

  const admin = async <T>(fn: (client: Client) => Promise<T>): Promise<T> => {
    const client = new Client({ host, port, user, database: 'postgres' });
    await client.connect();
    try {
      return await fn(client);
    } finally {
      await client.end();
    }
  };

  await admin((client) => client.query(`CREATE DATABASE "${name}"`));

  let dropped: Promise<void> | undefined;
  return {
    name,
    url: `postgresql://${encodeURIComponent(user)}@${host}:${port}/${name}`,
    drop: () =>
      (dropped ??= admin(async (client) => {
        await client.query(
          'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
          [name],
        );
        await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      })),
  };
}
