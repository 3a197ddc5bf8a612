import { Injectable } from '@nestjs/common';
import { type Counter, type Histogram, metrics, ValueType } from '@opentelemetry/api';

export type Transport = 'mqtt' | 'http' | 'lorawan';

/** Why a message, a connection or a request was refused: the `reason` label of the rejection counter. */
export type RejectionReason =
  | 'unknown-device'
  | 'device-not-active'
  | 'no-valid-credential'
  | 'bad-token'
  | 'too-many-failures'
  | 'bad-client-id'
  | 'bad-username'
  | 'topic-not-allowed'
  | 'subscription-not-allowed'
  | 'payload-too-large'
  | 'invalid-payload'
  | 'broker-unavailable'
  | 'malformed-packet'
  | 'webhook-unauthenticated'
  | 'unknown-dev-eui'
  | 'replayed-frame'
  | 'rate-limited'
  | 'tenant-quota'
  | 'connection-quota'
  | 'connect-rate'
  | 'address-blocked';

/**
 * The service's own metrics, through the OpenTelemetry metrics API (exported at /metrics by
 * @urbis/observability). Names follow OTel conventions; Prometheus shows dots as underscores.
 */
@Injectable()
export class ConnectivityMetrics {
  private readonly meter = metrics.getMeter('urbis-connectivity');
  private readonly uplinks: Counter = this.meter.createCounter('connectivity.uplinks.accepted', {
    description: 'Uplinks accepted into Kafka',
    valueType: ValueType.INT,
  });
  private readonly twinReports: Counter = this.meter.createCounter('connectivity.twin.reports.accepted', {
    description: 'Twin reports accepted into Kafka',
    valueType: ValueType.INT,
  });
  private readonly rejections: Counter = this.meter.createCounter('connectivity.rejections', {
    description: 'Connections, messages and requests refused, by transport and reason',
    valueType: ValueType.INT,
  });
  private readonly publishLatency: Histogram = this.meter.createHistogram('connectivity.uplink.kafka.duration', {
    description: 'From receiving an uplink to Kafka acknowledging it',
    unit: 'ms',
    valueType: ValueType.DOUBLE,
  });

  constructor() {
    this.meter
      .createObservableGauge('connectivity.mqtt.sessions', {
        description: 'MQTT sessions currently connected to this replica',
        valueType: ValueType.INT,
      })
      .addCallback((result) => result.observe(this.sessions()));
  }

  /** Set by the MQTT server: the number of its connected sessions. */
  sessions: () => number = () => 0;

  uplinkAccepted(transport: Transport, latencyMs: number): void {
    this.uplinks.add(1, { transport });
    this.publishLatency.record(latencyMs, { transport });
  }

  twinReportAccepted(transport: Transport): void {
    this.twinReports.add(1, { transport });
  }

  rejected(transport: Transport, reason: RejectionReason): void {
    this.rejections.add(1, { transport, reason });
  }
}
