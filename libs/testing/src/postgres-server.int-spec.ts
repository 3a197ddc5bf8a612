import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { createTestDatabase } from './database';
import { type PostgresServer, startPostgresServer } from './postgres-server';
import { tsNodeArgs, tsNodeEnv } from './ts-process';

describe('a private PostgreSQL server', () => {
  let server: PostgresServer;
  beforeAll(async () => (server = await startPostgresServer()), 60_000);
  afterAll(() => server?.stop());

  it('takes test databases with PostGIS, away from the shared server', async () => {
    expect(server.port).not.toBe(5432);
    const database = await createTestDatabase('private', { host: server.host, port: server.port });
    const client = new Client({ connectionString: database.url });
    await client.connect();
    try {
      await client.query('CREATE EXTENSION IF NOT EXISTS postgis');
      const { rows } = await client.query<{ version: string }>('SELECT postgis_lib_version() AS version');
      expect(rows[0]?.version).toMatch(/^3\./);
    } finally {
      await client.end();
      await database.drop();
    }
  });

  it('restarts on the same port and data: open sessions are cut, committed rows stay', async () => {
    const database = await createTestDatabase('restart', { host: server.host, port: server.port });
    const before = new Client({ connectionString: database.url });
    await before.connect();
    const lost = new Promise<Error>((resolve) => before.on('error', resolve));
    await before.query('CREATE TABLE reading (id int PRIMARY KEY)');
    await before.query('INSERT INTO reading VALUES (1), (2)');

    await server.restart({ downMs: 200 });
    expect((await lost).message).toMatch(/terminat|shut ?down|Connection terminated/i);

    const after = new Client({ connectionString: database.url });
    await after.connect();
    try {
      const { rows } = await after.query<{ n: number }>('SELECT count(*)::int AS n FROM reading');
      expect(rows[0]?.n).toBe(2);
      expect(server.log()).toContain('database system is ready to accept connections');
    } finally {
      await after.end();
      await before.end().catch(() => undefined);
      await database.drop();
    }
  }, 60_000);

  it('refuses connections and leaves no data directory once stopped', async () => {
    const other = await startPostgresServer();
    expect(existsSync(other.directory)).toBe(true);
    await other.stop();
    await expect(new Client({ host: other.host, port: other.port, user: 'postgres' }).connect()).rejects.toThrow();
    expect(existsSync(other.directory)).toBe(false);
  }, 60_000);

  it('goes with a process that exits without stopping it', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, tsNodeArgs(path.join(__dirname, 'postgres-server-exit.test-helpers.ts')), {
      env: { ...process.env, ...tsNodeEnv() },
      timeout: 60_000,
    });
    const left = JSON.parse(stdout) as { host: string; port: number; directory: string };
    await expect(new Client({ host: left.host, port: left.port, user: 'postgres' }).connect()).rejects.toThrow();
    expect(existsSync(left.directory)).toBe(false);
  }, 90_000);
});
