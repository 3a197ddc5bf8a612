import { context, propagation } from '@opentelemetry/api';
import { eventSchemaOf, type EventOf, type TopicName } from '@urbis/contracts';
import type { SqlExecutor } from '@urbis/messaging';

// The batch form of @urbis/messaging's `enqueueEvent` (same table, same validation and trace
// capture), one statement per batch: the delivery engine settles up to a hundred deliveries per
// transaction. apps/devices has the same helper; both should move into @urbis/messaging.

export type OutboxItem = { [T in TopicName]: { topic: T; event: EventOf<T>; key: string } }[TopicName];

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
