import { context, type Context, propagation, type TextMapGetter } from '@opentelemetry/api';

/** Kafka message headers as kafkajs delivers them. */
export type KafkaMessageHeaders = Record<string, Buffer | string | (Buffer | string)[] | undefined>;

const headerGetter: TextMapGetter<KafkaMessageHeaders> = {
  keys: (headers) => Object.keys(headers),
  get: (headers, key) => {
    const value = headers[key];
    if (value === undefined) return undefined;
    return Array.isArray(value) ? value.map((item) => item.toString()) : value.toString();
  },
};

/**
 * The active context with the trace context the producer of a Kafka message wrote into its
 * headers (W3C `traceparent`, `baggage`); the active context unchanged when there is none.
 */
export function messageContext(headers: KafkaMessageHeaders | undefined): Context {
  return propagation.extract(context.active(), headers ?? {}, headerGetter);
}

/**
 * Runs `handle` in the producer's trace. Needed with kafkajs `eachBatch`: its instrumentation
 * runs the batch handler in a new trace (a `poll` span) and only *links* each message's
 * `process` span to its producer, so spans a handler starts would otherwise leave the reading's
 * trace. `eachMessage` handlers already run in the producer's trace.
 */
export function withMessageContext<T>(headers: KafkaMessageHeaders | undefined, handle: () => T): T {
  return context.with(messageContext(headers), handle);
}
