import { Inject, Injectable } from '@nestjs/common';
import { context, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { createEvent, type PayloadOf } from '@urbis/contracts';
import { EventPublisher, type OutgoingEvent } from '@urbis/messaging';
import { SERVICE_CONFIG } from '@urbis/runtime';
import type { ConnectivityConfig } from '../config';
import { ConnectivityMetrics } from '../metrics/connectivity-metrics';
import { UplinkBatcher } from './uplink-batcher';

export type UplinkPayload = PayloadOf<'connectivity.uplink.received.v1'>;
export type TwinReportPayload = PayloadOf<'connectivity.twin.reported.v1'>;
type DeviceMessageTopic = 'connectivity.uplink.received.v1' | 'connectivity.twin.reported.v1';

const tracer = trace.getTracer('urbis-connectivity');

/**
 * Turns an accepted message into one `connectivity.uplink.received.v1` (or, for a twin report,
 * `connectivity.twin.reported.v1`) and resolves once Kafka acknowledged it (acks=all): only then
 * may a transport confirm it to the device.
 */
@Injectable()
export class UplinkService {
  private readonly batcher: UplinkBatcher;

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
    // createEvent validates: a payload the contract refuses never reaches the batch.
    const event = createEvent(topic, { tenant, source: 'connectivity', payload });
    const span = tracer.startSpan(`${topic} publish`, {
      kind: SpanKind.PRODUCER,
      attributes: { 'urbis.tenant': tenant, 'urbis.device_id': payload.deviceId, 'urbis.transport': payload.transport },
    });
    // The reading's trace travels with its own message, even inside a shared produce request.
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
