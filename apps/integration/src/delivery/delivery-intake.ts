import { Inject, Injectable } from '@nestjs/common';
import type { EventOf } from '@urbis/contracts';
import { traceContextOf, traceHeaders } from '@urbis/messaging';
import { SERVICE_CONFIG } from '@urbis/runtime';
import { randomUUID } from 'node:crypto';
import type { IntegrationConfig } from '../config';
import { DeliveryDispatcher } from './delivery-dispatcher';
import { DeliveryMetrics } from './delivery-metrics';
import { MQTT_SETTINGS } from './delivery-sender';
import { DeliveryRepository, type NewDelivery } from './delivery.repository';

type NotificationRequested = EventOf<'data.notification.requested.v1'>;

/** The destination as the API shows it and queues are keyed by: no credentials, no fragment. */
export function targetOf(uri: string): string {
  const url = new URL(uri);
  return `${url.protocol}//${url.host}${url.pathname}${url.search}`;
}

/** The trace a delivery caused by a consumed event continues (its attempts' spans join it). */
export function causedBy(event: object): Pick<NewDelivery, 'traceContext'> {
  const trace = traceContextOf(event);
  return trace ? { traceContext: traceHeaders(trace) } : {};
}

/** Takes deliveries into their endpoints' queues (idempotently: a redelivered event adds nothing). */
@Injectable()
export class DeliveryIntake {
  private readonly maxAgeMs: number;

  constructor(
    private readonly deliveries: DeliveryRepository,
    private readonly dispatcher: DeliveryDispatcher,
    private readonly metrics: DeliveryMetrics,
    @Inject(SERVICE_CONFIG) config: IntegrationConfig,
  ) {
    this.maxAgeMs = config.delivery.retry.maxAgeSeconds * 1000;
  }

  expiresAt(from = new Date()): Date {
    return new Date(from.getTime() + this.maxAgeMs);
  }

  async enqueue(items: readonly NewDelivery[]): Promise<number> {
    if (items.length === 0) return 0;
    const added = await this.deliveries.transaction((tx) => this.deliveries.enqueue(tx, items));
    for (const kind of ['notification', 'webhook'] as const) {
      this.metrics.enqueued(kind, items.filter((item) => item.kind === kind).length);
    }
    this.dispatcher.nudge();
    return added;
  }

  /** NGSI-LD notifications from the data service, in the order of their partition. */
  async notifications(events: readonly NotificationRequested[]): Promise<void> {
    await this.enqueue(events.map((event) => this.notificationDelivery(event)));
  }

  private notificationDelivery(event: NotificationRequested): NewDelivery {
    const { notificationId, subscriptionId, endpoint, contentType, body } = event.payload;
    const info = endpoint.receiverInfo ?? [];
    const mqtt = endpoint.uri.startsWith('mqtt');
    const headers: Record<string, string> = {};
    let payload: string;
    if (mqtt) {
      // NGSI-LD's MQTT binding: the message carries its headers as `metadata` next to the body.
      const metadata: Record<string, string> = { 'Content-Type': contentType };
      for (const { key, value } of info) {
        if (MQTT_SETTINGS.has(key.toLowerCase())) headers[key.toLowerCase()] = value;
        else metadata[key] = value;
      }
      payload = JSON.stringify({ metadata, body });
    } else {
      for (const { key, value } of info) headers[key] = value;
      payload = JSON.stringify(body);
    }
    return {
      id: randomUUID(),
      tenant: event.tenant,
      target: targetOf(endpoint.uri),
      kind: 'notification',
      correlationId: notificationId,
      subscriptionId,
      dedupeKey: `n:${event.tenant}:${notificationId}`,
      uri: endpoint.uri,
      contentType,
      headers,
      body: payload,
      expiresAt: this.expiresAt(new Date(event.occurredAt)),
      ...causedBy(event),
    };
  }
}
