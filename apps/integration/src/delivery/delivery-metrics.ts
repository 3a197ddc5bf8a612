import { Injectable } from '@nestjs/common';
import { type Counter, type Histogram, metrics, ValueType } from '@opentelemetry/api';

/** The delivery engine's metrics (exported at /metrics; Prometheus shows dots as underscores). */
@Injectable()
export class DeliveryMetrics {
  private readonly meter = metrics.getMeter('urbis-integration');
  private readonly attempts: Counter = this.meter.createCounter('integration.delivery.attempts', {
    description: 'Delivery attempts, by whether they succeeded',
    valueType: ValueType.INT,
  });
  private readonly durations: Histogram = this.meter.createHistogram(
    'integration.delivery.attempt.duration',
    {
      description: 'How long one delivery attempt took',
      unit: 'ms',
      valueType: ValueType.DOUBLE,
    },
  );
  private readonly outcomes: Counter = this.meter.createCounter('integration.delivery.completed', {
    description: 'Deliveries settled, by final outcome',
    valueType: ValueType.INT,
  });
  private readonly accepted: Counter = this.meter.createCounter('integration.delivery.accepted', {
    description: 'Deliveries taken into the queues, by kind',
    valueType: ValueType.INT,
  });

  attempt(succeeded: boolean, durationMs: number): void {
    this.attempts.add(1, { succeeded: String(succeeded) });
    this.durations.record(durationMs);
  }

  settled(outcome: 'delivered' | 'dead-lettered', count: number): void {
    this.outcomes.add(count, { outcome });
  }

  enqueued(kind: 'notification' | 'webhook', count: number): void {
    if (count > 0) this.accepted.add(count, { kind });
  }
}
