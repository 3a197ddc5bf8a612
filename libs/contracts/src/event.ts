import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { envelopeSchema, ServiceName, TenantId } from './envelope';
import { EventOf, PayloadOf, TopicName, TOPICS } from './topics';

/** Builds a complete, valid event for a topic. Throws a ZodError when the payload is not valid. */
export function createEvent<T extends TopicName>(
  topic: T,
  input: { tenant: TenantId; source: ServiceName; payload: PayloadOf<T>; id?: string; occurredAt?: Date },
): EventOf<T> {
  return parseEvent(topic, {
    id: input.id ?? randomUUID(),
    type: topic,
    tenant: input.tenant,
    source: input.source,
    occurredAt: (input.occurredAt ?? new Date()).toISOString(),
    schemaVersion: TOPICS[topic].version,
    payload: input.payload,
  });
}

const schemaCache = new Map<TopicName, z.ZodType>();

/** The full schema of a topic's events: the envelope, fixed to the topic, plus its payload. */
export function eventSchemaOf<T extends TopicName>(topic: T): z.ZodType<EventOf<T>> {
  let schema = schemaCache.get(topic);
  if (!schema) {
    schema = envelopeSchema.extend({
      type: z.literal(topic),
      schemaVersion: z.literal(TOPICS[topic].version),
      payload: TOPICS[topic].payload,
    });
    schemaCache.set(topic, schema);
  }
  return schema as z.ZodType<EventOf<T>>;
}

/** Validates an unknown value as an event of the topic. Throws a ZodError listing every problem. */
export function parseEvent<T extends TopicName>(topic: T, value: unknown): EventOf<T> {
  return eventSchemaOf(topic).parse(value);
}

/** Like parseEvent, without throwing. */
export function safeParseEvent<T extends TopicName>(topic: T, value: unknown) {
  return eventSchemaOf(topic).safeParse(value);
}
