import { Injectable } from '@nestjs/common';
import { type Attributes, type Counter, type Histogram, metrics, type ObservableResult, ValueType } from '@opentelemetry/api';

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
  | 'tls-handshake'
  | 'webhook-unauthenticated'
  | 'unknown-dev-eui'
  | 'replayed-frame'
  | 'rate-limited'
  | 'tenant-quota'
  | 'connection-quota'
  | 'connect-rate'
  | 'address-blocked';

/** One attributes object per transport, made once: a recording hashes it, it need not be built too. */
const TRANSPORT: Record<Transport, Attributes> = {
  mqtt: { transport: 'mqtt' },
  http: { transport: 'http' },
  lorawan: { transport: 'lorawan' },
};

const ONLINE: Attributes = { status: 'online' };
const OFFLINE: Attributes = { status: 'offline' };

/** Counts per transport, read by an observable counter when metrics are collected. */
class TransportCounts {
  private readonly counts: Record<Transport, number> = { mqtt: 0, http: 0, lorawan: 0 };

  add(transport: Transport): void {
    this.counts[transport] += 1;
  }

  /** Only transports counted so far: like a counter, it appears after its first increment. */
  report(result: ObservableResult): void {
    for (const transport of Object.keys(this.counts) as Transport[]) {
      if (this.counts[transport] > 0) result.observe(this.counts[transport], TRANSPORT[transport]);
    }
  }
}

/**
 * The service's own metrics, through the OpenTelemetry metrics API (exported at /metrics by
 * @urbis/observability). Names follow OTel conventions; Prometheus shows dots as underscores.
 * Accepted messages are counted in plain numbers and observed at collection (the SDK hashes a
 * recording's attributes on every call, which per uplink cost more than the count itself).
 */
@Injectable()
export class ConnectivityMetrics {
  private readonly meter = metrics.getMeter('urbis-connectivity');
  private readonly uplinks = new TransportCounts();
  private readonly twinReports = new TransportCounts();
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
      .createObservableCounter('connectivity.uplinks.accepted', {
        description: 'Uplinks accepted into Kafka',
        valueType: ValueType.INT,
      })
      .addCallback((result) => this.uplinks.report(result));
    this.meter
      .createObservableCounter('connectivity.twin.reports.accepted', {
        description: 'Twin reports accepted into Kafka',
        valueType: ValueType.INT,
      })
      .addCallback((result) => this.twinReports.report(result));
    this.meter
      .createObservableGauge('connectivity.mqtt.sessions', {
        description: 'MQTT sessions currently connected to this replica',
        valueType: ValueType.INT,
      })
      .addCallback((result) => result.observe(this.sessions()));
    this.meter
      .createObservableGauge('connectivity.devices', {
        description: 'Devices of the registry by status (online, offline), all tenants; counted at each silence check',
        valueType: ValueType.INT,
      })
      .addCallback((result) => {
        if (!this.devices) return;
        result.observe(this.devices.online, ONLINE);
        result.observe(this.devices.offline, OFFLINE);
      });
  }

  /** Set by the status service: the registry's devices by status, as last counted. */
  devices: { online: number; offline: number } | undefined;

  /** Set by the MQTT server: the number of its connected sessions. */
  sessions: () => number = () => 0;

  uplinkAccepted(transport: Transport, latencyMs: number): void {
    this.uplinks.add(transport);
    this.publishLatency.record(latencyMs, TRANSPORT[transport]);
  }

  twinReportAccepted(transport: Transport): void {
    this.twinReports.add(transport);
  }

  rejected(transport: Transport, reason: RejectionReason): void {
    this.rejections.add(1, { transport, reason });
  }
}
