import { type Context, context, propagation } from '@opentelemetry/api';
import { eventSchemaOf, type EventOf, type TopicName } from '@urbis/contracts';
import { type EncodedEvent, isEncodedEvent } from './publisher';
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

/**
 * An event for the outbox: as built (validated here), or an `EncodedEvent` (validated when
 * encoded). `trace`: the trace the event continues, when it is not the active one (an event a
 * consumed event caused: `traceContextOf(consumed)`).
 */
export type OutboxItem = {
  [T in TopicName]: { topic: T; event: EventOf<T> | EncodedEvent<T>; key: string; trace?: Context };
}[TopicName];

/**
 * Records events for publication in the caller's transaction, in order: each is validated
 * against its topic's schema first (unless encoded), and its trace context is captured (the
 * item's `trace`, else the active one), as `enqueueEvent` does.
 */
export async function enqueueEvents(tx: SqlExecutor, items: readonly OutboxItem[]): Promise<void> {
  const statement = outboxInsertOf(items);
  if (statement) await tx.$executeRawUnsafe(statement.query, ...statement.values);
}

/**
 * The INSERT that `enqueueEvents` runs, for a caller that sends it with other statements of its
 * transaction (e.g. as one of several writes in a single round trip); undefined for no items.
 */
export function outboxInsertOf(items: readonly OutboxItem[]): { query: string; values: unknown[] } | undefined {
  if (items.length === 0) return undefined;
  const activeHeaders = JSON.stringify(traceHeaders(context.active()));
  const headers: string[] = [];
  const ids: string[] = [];
  const topics: string[] = [];
  const keys: string[] = [];
  const events: string[] = [];
  for (const item of items) {
    if (isEncodedEvent(item.event)) {
      if (item.event.topic !== item.topic) throw new Error(`event ${item.event.id} was encoded for ${item.event.topic}, not ${item.topic}`);
      ids.push(item.event.id);
      events.push(item.event.json);
    } else {
      const event = eventSchemaOf(item.topic).parse(item.event);
      ids.push(event.id);
      events.push(JSON.stringify(event));
    }
    topics.push(item.topic);
    keys.push(item.key);
    headers.push(item.trace ? JSON.stringify(traceHeaders(item.trace)) : activeHeaders);
  }
  // The events as one JSON array, not a jsonb[]: pg would escape every quote of every event to
  // write an array literal (pg's escapeElement was ~2% of the data service's CPU with notifications).
  return {
    query: `INSERT INTO outbox_event (id, topic, message_key, event, headers)
     SELECT id, topic, message_key, event, headers
       FROM ROWS FROM (unnest($1::uuid[]), unnest($2::text[]), unnest($3::text[]), jsonb_array_elements($4::jsonb),
                       jsonb_array_elements($5::jsonb)) WITH ORDINALITY
            AS row(id, topic, message_key, event, headers, ord)
      ORDER BY ord`,
    values: [ids, topics, keys, `[${events.join(',')}]`, `[${headers.join(',')}]`],
  };
}

/** W3C trace context headers (`traceparent`, `tracestate`) of a context. */
export function traceHeaders(trace: Context): Record<string, string> {
  const headers: Record<string, string> = {};
  propagation.inject(trace, headers);
  return headers;
}
