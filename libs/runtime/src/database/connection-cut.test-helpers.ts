// Child process of database.int-spec.ts: a service pool whose checked-out connection the server
// cuts between two queries. An 'error' event nobody listens to would end this process, as it
// would end a service; surviving it, the process prints what it saw and exits 0.
import { createLogger } from '@urbis/observability';
import { ServiceLifecycle } from '../lifecycle/service-lifecycle';
import { connectPool } from './database.module';

async function main(): Promise<void> {
  const logger = createLogger({ service: 'runtime-test', level: 'silent' });
  const pool = await connectPool(process.argv[2] ?? '', new ServiceLifecycle(logger), logger, 2);
  const client = await pool.connect();
  await client.query('BEGIN');
  const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
  await pool.query('SELECT pg_terminate_backend($1)', [rows[0]?.pid]);
  await new Promise((resolve) => setTimeout(resolve, 500));
  const next = await client.query('SELECT 1').then(
    () => 'answered',
    () => 'failed',
  );
  client.release();
  const again = await pool.query<{ one: number }>('SELECT 1 AS one');
  process.stdout.write(JSON.stringify({ next, again: again.rows[0]?.one }));
  await pool.end();
}

void main().catch((error: unknown) => {
  process.stderr.write(String(error));
  process.exit(2);
});
