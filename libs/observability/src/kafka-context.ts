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
