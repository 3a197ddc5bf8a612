// Child process of crash-recovery.int-spec: consumes status events and writes one effect row per event
// through processOnce, slowly, printing its progress so the test can SIGKILL it mid-batch.
import { Pool } from 'pg';
import { EventConsumer } from '../consumer';
import { processOnce } from '../idempotency';
import { createKafka } from '../kafka';
import { pgSqlExecutor } from '../sql';
import { STATUS_TOPIC, testLogger } from './fixtures.test-helpers';

const CONSUMER = 'crash-test';

async function main(): Promise<void> {
  const pool = new Pool({ connectionString: process.env['DATABASE_URL'], max: 2 });
  const db = pgSqlExecutor(pool);
  const delayMs = Number(process.env['DELAY_MS'] ?? '10');
  let batch = 0;
  const consumer = new EventConsumer({
    kafka: createKafka({
      clientId: 'effect-child',
      brokers: (process.env['BROKERS'] ?? '').split(','),
      logger: testLogger,
    }),
    groupId: process.env['GROUP_ID'] ?? 'effect-child',
    sessionTimeout: 6000,
    heartbeatInterval: 500,
    maxWaitTimeInMs: 100,
    logger: testLogger,
    subscriptions: {
      [STATUS_TOPIC]: async (events, { partition }) => {
        batch++;
        for (const [index, event] of events.entries()) {
          const applied = await processOnce(db, CONSUMER, event, async (tx) => {
            await tx.$executeRawUnsafe(
              'INSERT INTO effect (event_id, consumer) VALUES ($1::uuid, $2)',
              event.id,
              CONSUMER,
            );
          });
          process.stdout.write(
            `${applied ? 'applied' : 'duplicate'} ${event.id} batch=${batch} p=${partition} ${index + 1}/${events.length}\n`,
          );
          await new Promise((resolve) => setTimeout(resolve, delayMs));
        }
      },
    },
  });
  process.once('SIGTERM', () => {
    void consumer.stop().then(
      () => pool.end().then(() => process.exit(0)),
      () => process.exit(1),
    );
  });
  await consumer.start();
  process.stdout.write('started\n');
}

main().catch((error: unknown) => {
  process.stderr.write(`effect-consumer-child failed: ${String(error)}\n`);
  process.exit(1);
});
