// A consumer SIGKILLed in the middle of a batch, then restarted, leaves exactly one effect per event:
// offsets are committed only after the handler resolved, so the killed batch is redelivered, and the
// idempotency helper turns the redelivered events that already had their effect into no-ops.
import { DevKafka, TestDatabase } from '@urbis/testing';
import { Kafka } from 'kafkajs';
import { Pool } from 'pg';
import { EventPublisher, messageKeyOf } from './publisher';
import {
  runScript,
  startBroker,
  startDatabase,
  statusEvent,
  STATUS_TOPIC,
  testKafka,
} from './test-support/harness.test-helpers';

jest.setTimeout(90_000);

const EVENTS = 150;

describe('consumer crash mid-batch (dev broker + PostgreSQL)', () => {
  let broker: DevKafka;
  let kafka: Kafka;
  let db: TestDatabase;
  let pool: Pool;

  beforeAll(async () => {
    [broker, { db, pool }] = await Promise.all([startBroker(), startDatabase('messaging_crash')]);
    kafka = testKafka(broker.bootstrapServers);
  });
  afterAll(async () => {
    await pool?.end();
    await db?.drop();
    await broker?.stop();
  });

  it('processes every event with exactly one effect after a SIGKILL and a restart', async () => {
    const events = Array.from({ length: EVENTS }, (_, i) => statusEvent(`lamp-${i % 10}`, i));
    const publisher = new EventPublisher({ kafka });
    await publisher.connect();
    await publisher.publish(STATUS_TOPIC, events, { key: (event) => messageKeyOf(STATUS_TOPIC, event) });
    await publisher.disconnect();

    const env = {
      BROKERS: broker.bootstrapServers.join(','),
      DATABASE_URL: db.url,
      GROUP_ID: 'crash-group',
      DELAY_MS: '15',
    };
    const first = runScript('effect-consumer-child.test-helpers.ts', env);
    // Kill it while its handler is in the middle of a batch: some effects of the batch are committed
    // in PostgreSQL, the batch's offset is not committed in Kafka.
    const midBatch = await first.waitForLine((line) => {
      const match = /^applied .* (\d+)\/(\d+)$/.exec(line);
      return match !== null && Number(match[1]) >= 5 && Number(match[1]) < Number(match[2]) - 5;
    });
    first.process.kill('SIGKILL');
    await expect(first.exited).resolves.toEqual({ code: null, signal: 'SIGKILL' });
    const appliedBeforeKill = first.lines.filter((line) => line.startsWith('applied')).length;
    expect(appliedBeforeKill).toBeLessThan(EVENTS);
    expect(midBatch).toMatch(/^applied/);

    const second = runScript('effect-consumer-child.test-helpers.ts', env);
    const deadline = Date.now() + 60_000;
    for (;;) {
      const { rows } = await pool.query<{ n: string }>('SELECT count(DISTINCT event_id) AS n FROM effect');
      if (Number(rows[0].n) >= EVENTS) break;
      if (Date.now() > deadline) throw new Error(`only ${rows[0].n} of ${EVENTS} events had an effect`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    second.process.kill('SIGTERM'); // graceful: drains, commits, leaves the group
    await expect(second.exited).resolves.toEqual({ code: 0, signal: null });

    const { rows } = await pool.query<{ event_id: string; n: string }>(
      'SELECT event_id::text, count(*) AS n FROM effect GROUP BY event_id',
    );
    expect(rows).toHaveLength(EVENTS);
    expect(rows.filter((row) => row.n !== '1')).toEqual([]);
    expect(new Set(rows.map((row) => row.event_id))).toEqual(new Set(events.map((event) => event.id)));
    // The redelivery really happened and was absorbed by the dedupe, not avoided by luck.
    expect(second.lines.filter((line) => line.startsWith('duplicate')).length).toBeGreaterThan(0);
  });
});
