import { Inject, Injectable } from '@nestjs/common';
import { context, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { type PayloadOf } from '@urbis/contracts';
import { encodeEvent, EventPublisher, type OutgoingEvent } from '@urbis/messaging';
import { SERVICE_CONFIG } from '@urbis/runtime';
import type { ConnectivityConfig } from '../config';
import { ConnectivityMetrics } from '../metrics/connectivity-metrics';
import { UplinkBatcher } from './uplink-batcher';

export type UplinkPayload = PayloadOf<'connectivity.uplink.received.v1'>;
export type TwinReportPayload = PayloadOf<'connectivity.twin.reported.v1'>;
type DeviceMessageTopic = 'connectivity.uplink.received.v1' | 'connectivity.twin.reported.v1';

const SPAN_NAME: Record<DeviceMessageTopic, string> = {
  'connectivity.uplink.received.v1': 'connectivity.uplink.received.v1 publish',
  'connectivity.twin.reported.v1': 'connectivity.twin.reported.v1 publish',
};

/**
 * Turns an accepted message into one `connectivity.uplink.received.v1` (or, for a twin report,
 * `connectivity.twin.reported.v1`) and resolves once Kafka acknowledged it (acks=all): only then
 * may a transport confirm it to the device.
 */
@Injectable()
export class UplinkService {
  private readonly batcher: UplinkBatcher;
  private readonly tracer = trace.getTracer('urbis-connectivity');

  constructor(
    publisher: EventPublisher,
    @Inject(SERVICE_CONFIG) config: ConnectivityConfig,
    private readonly metrics: ConnectivityMetrics,
  ) {
    this.batcher = new UplinkBatcher(publisher, config.uplinks);
  }

  /** Resolves with the event id once Kafka acknowledged it. */
  async publish(tenant: string, uplink: UplinkPayload): Promise<string> {
    const started = performance.now();
    const id = await this.send('connectivity.uplink.received.v1', tenant, uplink);
    this.metrics.uplinkAccepted(uplink.transport, performance.now() - started);
    return id;
  }

  /** A device's twin report: the same path as an uplink (batched, resolved on Kafka's ack), its own topic. */
  async reportTwin(tenant: string, report: TwinReportPayload): Promise<string> {
    const id = await this.send('connectivity.twin.reported.v1', tenant, report);
    this.metrics.twinReportAccepted(report.transport);
    return id;
  }

  private async send<T extends DeviceMessageTopic>(topic: T, tenant: string, payload: PayloadOf<T>): Promise<string> {
    // Validated here, once (a payload the contract refuses never reaches the batch), and
    // serialised: the publisher sends these bytes without validating them again.
    const event = encodeEvent(topic, { tenant, source: 'connectivity', payload });
    // The reading's trace starts here and travels with its own message, even inside a shared
    // produce request (the publisher keeps a message's own traceparent).
    const span = this.tracer.startSpan(SPAN_NAME[topic], {
      kind: SpanKind.PRODUCER,
      attributes: { 'urbis.tenant': tenant, 'urbis.device_id': payload.deviceId, 'urbis.transport': payload.transport },
    });
    const headers: Record<string, string> = {};
    propagation.inject(trace.setSpan(context.active(), span), headers);
    try {
      await this.batcher.send({ topic, key: `${tenant}/${payload.deviceId}`, event, headers } as OutgoingEvent);
    } catch (error) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
      throw error;
    } finally {
      span.end();
    }
    return event.id;
  }

  /** Uplinks handed over and not yet acknowledged or failed. */
  get pending(): number {
    return this.batcher.pending;
  }

  /** Waits until every uplink handed over so far is acknowledged or failed (shutdown). */
  drain(): Promise<void> {
    return this.batcher.drain();
  }
}
