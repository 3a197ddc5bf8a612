// The outbox relay delivers every row across a relay restart: a graceful stop/start puts each event on
// the wire exactly once; a crash between the Kafka ack and the database commit republishes that batch,
// and the consumer-side dedupe still leaves exactly one effect per event.
import { createEvent, EventOf } from '@urbis/contracts';
import { randomUUID } from 'node:crypto';
import { DevKafka, TestDatabase } from '@urbis/testing';
import { Kafka, KafkaMessage } from 'kafkajs';
import { Pool } from 'pg';
import { EventConsumer } from './consumer';
import { processOnce } from './idempotency';
import { enqueueEvent, OutboxRelay } from './outbox';
import { EventPublisher, messageKeyOf } from './publisher';
import { pgSqlExecutor, SqlExecutor, TransactionRunner } from './sql';
import {
  readTopic,
  startBroker,
  startDatabase,
  statusEvent,
  STATUS_TOPIC,
  testKafka,
  testLogger,
  waitFor,
} from './test-support/harness.test-helpers';

jest.setTimeout(90_000);

const LIFECYCLE_TOPIC = 'devices.lifecycle.changed.v1';
const CREDENTIALS_TOPIC = 'devices.credentials.changed.v1';
const BATCH = 25;

/** Runs a hook after each committed (or failed) relay transaction, numbered from 1. */
function observed(
  db: TransactionRunner,
  afterBatch: (batch: number, tx: SqlExecutor) => Promise<void> | void,
): TransactionRunner {
  let batch = 0;
  return {
    transaction: (fn) =>
      db.transaction(async (tx) => {
        const result = await fn(tx);
        await afterBatch(++batch, tx);
        return result;
      }),
  };
}

describe('transactional outbox (dev broker + PostgreSQL)', () => {
  let broker: DevKafka;
  let kafka: Kafka;
  let db: TestDatabase;
  let pool: Pool;
  let sql: ReturnType<typeof pgSqlExecutor>;
  const publishers: EventPublisher[] = [];

  const connectedPublisher = async () => {
    const publisher = new EventPublisher({ kafka });
    await publisher.connect();
    publishers.push(publisher);
    return publisher;
  };
  const unpublished = async () =>
    Number(
      (await pool.query<{ n: string }>('SELECT count(*) AS n FROM outbox_event WHERE published_at IS NULL'))
        .rows[0].n,
    );

  beforeAll(async () => {
    [broker, { db, pool }] = await Promise.all([startBroker(), startDatabase('messaging_outbox')]);
    kafka = testKafka(broker.bootstrapServers);
    sql = pgSqlExecutor(pool);
  });
  afterAll(async () => {
    await Promise.all(publishers.map((publisher) => publisher.disconnect()));
    await pool?.end();
    await db?.drop();
    await broker?.stop();
  });

  it('enqueues only with the business transaction: a rolled-back transaction leaves no row', async () => {
    const event = statusEvent('rollback-lamp', 0);
    await expect(
      sql.transaction(async (tx) => {
        await enqueueEvent(tx, STATUS_TOPIC, event, { key: messageKeyOf(STATUS_TOPIC, event) });
        throw new Error('business rule failed');
      }),
    ).rejects.toThrow('business rule failed');
    const { rows } = await pool.query('SELECT 1 FROM outbox_event WHERE id = $1', [event.id]);
    expect(rows).toHaveLength(0);
  });

  it('refuses to enqueue an invalid event', async () => {
    const event = { ...statusEvent('bad-lamp', 0), tenant: 'Not A Slug' };
    await expect(
      sql.transaction((tx) => enqueueEvent(tx, STATUS_TOPIC, event, { key: 'demo/bad-lamp' })),
    ).rejects.toThrow(/tenant/);
  });

  it('puts every row on the wire exactly once, in seq order per key, across a graceful relay stop and start', async () => {
    const events = Array.from({ length: 200 }, (_, i) => statusEvent(`lamp-${i % 5}`, i));
    for (let i = 0; i < events.length; i += 10) {
      await sql.transaction(async (tx) => {
        for (const event of events.slice(i, i + 10)) {
          await enqueueEvent(tx, STATUS_TOPIC, event, { key: messageKeyOf(STATUS_TOPIC, event) });
        }
      });
    }

    const first: OutboxRelay = new OutboxRelay({
      db: observed(sql, (batch) => {
        if (batch === 2) void first.stop(); // stop mid-way: the loop ends after this batch commits
      }),
      publisher: await connectedPublisher(),
      batchSize: BATCH,
      pollIntervalMs: 20,
      logger: testLogger,
    });
    first.start();
    await waitFor(() => !first.isRunning(), 10_000, 'the first relay to stop');
    await first.stop();
    expect(await unpublished()).toBe(events.length - 2 * BATCH);

    const second = new OutboxRelay({
      db: sql,
      publisher: await connectedPublisher(),
      batchSize: BATCH,
      pollIntervalMs: 20,
      logger: testLogger,
    });
    second.start();
    await waitFor(async () => (await unpublished()) === 0, 20_000, 'every row published');
    await second.stop();

    const wire = await readTopic(kafka, STATUS_TOPIC, events.length, { settleMs: 1000 });
    const ids = wire.map(
      (message) => (JSON.parse(message.value?.toString() ?? '') as EventOf<typeof STATUS_TOPIC>).id,
    );
    expect(ids).toHaveLength(events.length); // no duplicates on the wire
    expect(new Set(ids)).toEqual(new Set(events.map((event) => event.id)));
    for (let device = 0; device < 5; device++) {
      const key = `demo/lamp-${device}`;
      const keyed = wire.filter((message) => message.key?.toString() === key);
      expect(new Set(keyed.map((message) => message.partition)).size).toBe(1);
      expect(keyed.map((message) => message.headers?.['event-id']?.toString())).toEqual(
        events.filter((event) => event.payload.deviceId === `lamp-${device}`).map((event) => event.id),
      );
    }
  });

  it('republishes the batch of a relay that died between the Kafka ack and the commit; consumers see one effect per event', async () => {
    const events = Array.from({ length: 120 }, (_, i) =>
      createEvent(LIFECYCLE_TOPIC, {
        tenant: 'demo',
        source: 'devices',
        payload: {
          deviceId: `meter-${i % 4}`,
          from: null,
          to: 'provisioned',
          changedAt: new Date().toISOString(),
        },
      }),
    );
    await sql.transaction(async (tx) => {
      for (const event of events)
        await enqueueEvent(tx, LIFECYCLE_TOPIC, event, { key: messageKeyOf(LIFECYCLE_TOPIC, event) });
    });

    // The first relay publishes two batches; on the second, it "dies" after the ack and before the
    // commit: its transaction rolls back, as a killed process's would, and it never runs again.
    const crashed: OutboxRelay = new OutboxRelay({
      db: observed(sql, (batch) => {
        if (batch === 2) {
          void crashed.stop();
          throw new Error('simulated crash after the Kafka ack, before the commit');
        }
      }),
      publisher: await connectedPublisher(),
      batchSize: BATCH,
      pollIntervalMs: 20,
      logger: { ...testLogger, error: () => undefined },
    });
    crashed.start();
    await waitFor(() => !crashed.isRunning(), 10_000, 'the first relay to die');
    await crashed.stop();
    expect(await unpublished()).toBe(events.length - BATCH);

    const second = new OutboxRelay({
      db: sql,
      publisher: await connectedPublisher(),
      batchSize: BATCH,
      pollIntervalMs: 20,
      logger: testLogger,
    });
    second.start();
    await waitFor(async () => (await unpublished()) === 0, 20_000, 'every row published');
    await second.stop();

    // At-least-once on the wire: the rolled-back batch went out twice.
    const wire = await readTopic(kafka, LIFECYCLE_TOPIC, events.length + BATCH, { settleMs: 1000 });
    expect(wire).toHaveLength(events.length + BATCH);

    // Effectively once for a consumer that dedupes on the event id.
    const consumer = new EventConsumer({
      kafka,
      groupId: 'outbox-effects',
      maxWaitTimeInMs: 100,
      logger: testLogger,
      subscriptions: {
        [LIFECYCLE_TOPIC]: async (batch) => {
          for (const event of batch) {
            await processOnce(sql, 'outbox-effects', event, async (tx) => {
              await tx.$executeRawUnsafe(
                'INSERT INTO effect (event_id, consumer) VALUES ($1::uuid, $2)',
                event.id,
                'outbox-effects',
              );
            });
          }
        },
      },
    });
    await consumer.start();
    try {
      await waitFor(
        async () =>
          Number(
            (
              await pool.query<{ n: string }>(
                "SELECT count(*) AS n FROM processed_event WHERE consumer = 'outbox-effects'",
              )
            ).rows[0].n,
          ) >= events.length,
        20_000,
        'every event processed',
      );
      await waitFor(
        () => consumer.health().inFlightEvents === 0,
        10_000,
        'the consumer to finish its batches',
      );
    } finally {
      await consumer.stop();
    }
    const { rows } = await pool.query<{ event_id: string; n: string }>(
      "SELECT event_id::text, count(*) AS n FROM effect WHERE consumer = 'outbox-effects' GROUP BY event_id",
    );
    expect(rows).toHaveLength(events.length);
    expect(rows.filter((row) => row.n !== '1')).toEqual([]);
    expect(new Set(rows.map((row) => row.event_id))).toEqual(new Set(events.map((event) => event.id)));
  });

  it.each(['strict', 'parallel'] as const)(
    'two relay instances running together (%s ordering) publish every row exactly once',
    async (ordering) => {
      const deviceId = `cred-${ordering}`;
      const events = Array.from({ length: 100 }, (_, i) =>
        createEvent(CREDENTIALS_TOPIC, {
          tenant: 'demo',
          source: 'devices',
          payload: {
            deviceId,
            credentialId: randomUUID(),
            change: 'issued',
            tokenHash: `scrypt$${i}`,
            hashAlgorithm: 'scrypt',
            validFrom: new Date().toISOString(),
            validUntil: null,
          },
        }),
      );
      for (let i = 0; i < events.length; i += 20) {
        await sql.transaction(async (tx) => {
          for (const event of events.slice(i, i + 20))
            await enqueueEvent(tx, CREDENTIALS_TOPIC, event, { key: `demo/${deviceId}` });
        });
      }
      const relays = await Promise.all(
        [1, 2].map(
          async () =>
            new OutboxRelay({
              db: sql,
              publisher: await connectedPublisher(),
              batchSize: 10,
              pollIntervalMs: 20,
              ordering,
              logger: testLogger,
            }),
        ),
      );
      relays.forEach((relay) => relay.start());
      await waitFor(async () => (await unpublished()) === 0, 20_000, 'every row published');
      await Promise.all(relays.map((relay) => relay.stop()));

      const ids = new Set(events.map((event) => event.id));
      const eventId = (message: KafkaMessage) => message.headers?.['event-id']?.toString() ?? '';
      const wire = (
        await readTopic(kafka, CREDENTIALS_TOPIC, events.length, {
          settleMs: 1000,
          filter: (message) => ids.has(eventId(message)),
        })
      ).map(eventId);
      expect(wire).toHaveLength(events.length);
      expect(new Set(wire)).toEqual(ids);
      if (ordering === 'strict') expect(wire).toEqual(events.map((event) => event.id));
    },
  );
});
