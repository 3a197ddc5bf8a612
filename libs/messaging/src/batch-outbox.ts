import { context, propagation } from '@opentelemetry/api';
import { eventSchemaOf, type EventOf, type TopicName } from '@urbis/contracts';
import type { SqlExecutor } from './sql';

// Batch forms of `claimEvent` and `enqueueEvent`: same tables and semantics, one statement per
// consumer batch instead of one per event, for consumers bound by database round trips.

/** Claims the events for `consumer`; resolves to the ids claimed now (not processed before). */
export async function claimEvents(tx: SqlExecutor, consumer: string, eventIds: readonly string[]): Promise<Set<string>> {
  if (eventIds.length === 0) return new Set();
  const rows = await tx.$queryRawUnsafe<{ event_id: string }[]>(
    `INSERT INTO processed_event (consumer, event_id)
     SELECT $1, id FROM unnest($2::uuid[]) AS id
     ON CONFLICT DO NOTHING
     RETURNING event_id::text AS event_id`,
    consumer,
    [...new Set(eventIds)],
  );
  return new Set(rows.map((row) => row.event_id));
}

export type OutboxItem = { [T in TopicName]: { topic: T; event: EventOf<T>; key: string } }[TopicName];

/**
 * Records events for publication in the caller's transaction, in order: each is validated
 * against its topic's schema first, and the active trace context is captured, as
 * `enqueueEvent` does.
 */
export async function enqueueEvents(tx: SqlExecutor, items: readonly OutboxItem[]): Promise<void> {
  if (items.length === 0) return;
  const headers: Record<string, string> = {};
  propagation.inject(context.active(), headers);
  const ids: string[] = [];
  const topics: string[] = [];
  const keys: string[] = [];
  const events: string[] = [];
  for (const item of items) {
    const event = eventSchemaOf(item.topic).parse(item.event);
    ids.push(event.id);
    topics.push(item.topic);
    keys.push(item.key);
    events.push(JSON.stringify(event));
  }
  await tx.$executeRawUnsafe(
    `INSERT INTO outbox_event (id, topic, message_key, event, headers)
     SELECT id, topic, message_key, event, $5::jsonb
       FROM unnest($1::uuid[], $2::text[], $3::text[], $4::jsonb[]) WITH ORDINALITY
            AS row(id, topic, message_key, event, ord)
      ORDER BY ord`,
    ids,
    topics,
    keys,
    events,
    JSON.stringify(headers),
  );
}
