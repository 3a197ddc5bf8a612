import { metrics } from '@opentelemetry/api';
import type { Consumer, Producer, RequestEvent } from 'kafkajs';

/** The semantic conventions' boundaries for messaging durations (seconds). */
const BOUNDARIES = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];

/**
 * Records every Kafka request of `client` (produce, fetch, offset commit, ...) in
 * `messaging.client.operation.duration`, by API name and broker: one point per request, from
 * kafkajs's own request events. This lib owns Kafka's telemetry (its `send` and `process` spans
 * carry the traces), so the kafkajs instrumentation, with its span per message, is not run.
 */
export function recordRequestDurations(client: Producer | Consumer): void {
  const histogram = metrics.getMeter('@urbis/messaging').createHistogram('messaging.client.operation.duration', {
    unit: 's',
    description: 'Duration of a request to a Kafka broker.',
    advice: { explicitBucketBoundaries: BOUNDARIES },
  });
  const record = ({ payload }: RequestEvent): void => {
    const [address, port] = payload.broker.split(':');
    histogram.record(payload.duration / 1000, {
      'messaging.system': 'kafka',
      'messaging.operation.name': payload.apiName,
      'server.address': address,
      'server.port': Number(port),
    });
  };
  // Two calls: kafkajs types `on` per client kind.
  if ('send' in client) client.on(client.events.REQUEST, record);
  else client.on(client.events.REQUEST, record);
}
