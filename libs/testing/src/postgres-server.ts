// A PostgreSQL server of a test's own (initdb into a temporary directory, pg_ctl on a free port,
// trust auth), for tests that restart the database: the machine's shared server must never be
// restarted, since other suites use it at the same time.
import { execFile, execFileSync } from 'node:child_process';
import { accessSync, chownSync, constants as fsConstants, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './service';

const run = promisify(execFile);

/** Debian's PostgreSQL 15 (PostGIS is installed for it system-wide on the project's machines). */
const DEFAULT_BIN_DIR = '/usr/lib/postgresql/15/bin';

export interface PostgresServer {
  host: string;
  port: number;
  /** `postgresql://postgres@<host>:<port>/postgres` (trust auth). */
  url: string;
  /** The temporary directory of its data, socket and log. */
  directory: string;
  /**
   * Stops the server (`pg_ctl stop -m fast`: every session is cut, running transactions roll
   * back), keeps it down `downMs`, and starts it again on the same port and data. Resolves once
   * it accepts connections.
   */
  restart(options?: { downMs?: number }): Promise<void>;
  /** The server's log so far. */
  log(): string;
  /** Stops the server and removes its data directory. Idempotent. */
  stop(): Promise<void>;
}

export interface PostgresServerOptions {
  /** Where initdb, pg_ctl and postgres live; default PostgreSQL 15's Debian directory. */
  binDir?: string;
  /** Server settings (`-c name=value`), e.g. `{ max_connections: '200' }`. */
  settings?: Record<string, string>;
}

/**
 * Creates a cluster in a temporary directory and starts it on a free port of 127.0.0.1. As
 * root (the project's machines), the server runs as the `postgres` user, as PostgreSQL requires.
 */
export async function startPostgresServer(options: PostgresServerOptions = {}): Promise<PostgresServer> {
  const binDir = options.binDir ?? DEFAULT_BIN_DIR;
  const binary = (name: string) => path.join(binDir, name);
  try {
    accessSync(binary('pg_ctl'), fsConstants.X_OK);
  } catch {
    throw new Error(`PostgreSQL binaries not found in ${binDir} (apt-get install postgresql-15 postgresql-15-postgis-3)`);
  }
  const asRoot = userInfo().uid === 0;
  const owner = asRoot ? await postgresUser() : undefined;
  // As root, the commands run as postgres through runuser; otherwise as the current user.
  const command = (name: string, args: string[]) =>
    owner ? run('runuser', ['-u', 'postgres', '--', binary(name), ...args]) : run(binary(name), args);

  const dir = mkdtempSync(path.join(tmpdir(), 'urbis-pg-'));
  if (owner) chownSync(dir, owner.uid, owner.gid);
  const data = path.join(dir, 'data');
  const logFile = path.join(dir, 'server.log');
  const port = await freePort();
  const host = '127.0.0.1';
  const serverOptions = [
    `-p ${port}`,
    `-k ${dir}`,
    `-c listen_addresses=${host}`,
    ...Object.entries(options.settings ?? {}).map(([name, value]) => `-c ${name}=${value}`),
  ].join(' ');
  const start = () => command('pg_ctl', ['-D', data, '-l', logFile, '-w', '-t', '60', '-o', serverOptions, 'start']);
  const stopServer = () => command('pg_ctl', ['-D', data, '-w', '-t', '60', '-m', 'fast', 'stop']);

  try {
    await command('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--no-sync', '--no-instructions']);
    await start();
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`private PostgreSQL did not start: ${(error as Error).message}`, { cause: error });
  }

  // A process that ends without stop() (a crash, process.exit) takes its server with it.
  const onExit = () => {
    try {
      const args = ['-D', data, '-m', 'immediate', 'stop'];
      if (owner) execFileSync('runuser', ['-u', 'postgres', '--', binary('pg_ctl'), ...args], { stdio: 'ignore' });
      else execFileSync(binary('pg_ctl'), args, { stdio: 'ignore' });
    } catch {
      // already stopped
    }
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', onExit);

  let stopped: Promise<void> | undefined;
  return {
    host,
    port,
    url: `postgresql://postgres@${host}:${port}/postgres`,
    directory: dir,
    async restart({ downMs = 0 } = {}) {
      await stopServer();
      if (downMs > 0) await new Promise((resolve) => setTimeout(resolve, downMs));
      await start();
    },
    log: () => {
      try {
        return readFileSync(logFile, 'utf8');
      } catch {
        return '';
      }
    },
    stop: () =>
      (stopped ??= stopServer()
        .then(() => undefined)
        .catch(() => undefined)
        .finally(() => {
          process.off('exit', onExit);
          rmSync(dir, { recursive: true, force: true });
        })),
  };
}

async function postgresUser(): Promise<{ uid: number; gid: number }> {
  const [uid, gid] = await Promise.all([run('id', ['-u', 'postgres']), run('id', ['-g', 'postgres'])]);
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}
