import { Inject, Injectable } from '@nestjs/common';
import { SERVICE_CONFIG } from '@urbis/runtime';
import type { IntegrationConfig, RequestLimits } from '../config';
import { OutboundHttp } from '../outbound/outbound-http';
import { OutboundMqtt } from '../outbound/outbound-mqtt';
import { type AttemptResult, classifyError, classifyResponse } from './retry-policy';
import type { QueuedDelivery } from './delivery.repository';

/** Headers a feature adds to each attempt of its deliveries (platform webhooks sign them). */
export type AttemptHeaders = (delivery: QueuedDelivery, at: Date) => Promise<Record<string, string>>;

export const USER_AGENT = 'Urbis-Integration/1';

/** receiverInfo keys that configure the MQTT publication instead of travelling as metadata. */
export const MQTT_SETTINGS = new Set(['mqtt-qos', 'mqtt-version']);

/**
 * Makes one attempt of a delivery over its URI's protocol and says how it went. HTTP(S): a POST
 * with the Idempotency-Key (the delivery id, stable across retries and replays). MQTT: a
 * publication on the URI's topic with the QoS and protocol version from receiverInfo.
 */
@Injectable()
export class DeliverySender {
  private readonly limits: RequestLimits;
  private readonly extraHeaders = new Map<string, AttemptHeaders>();

  constructor(
    private readonly http: OutboundHttp,
    private readonly mqtt: OutboundMqtt,
    @Inject(SERVICE_CONFIG) config: IntegrationConfig,
  ) {
    this.limits = config.delivery.request;
  }

  /** Lets a feature add headers to every attempt of deliveries of one kind. */
  addHeaders(kind: QueuedDelivery['kind'], headers: AttemptHeaders): void {
    this.extraHeaders.set(kind, headers);
  }

  async send(delivery: QueuedDelivery, attempt: number, at: Date): Promise<AttemptResult> {
    try {
      if (delivery.uri.startsWith('mqtt')) return await this.publish(delivery);
      const extra = (await this.extraHeaders.get(delivery.kind)?.(delivery, at)) ?? {};
      const response = await this.http.request({
        tenant: delivery.tenant,
        url: delivery.uri,
        method: 'POST',
        headers: {
          ...(delivery.headers as Record<string, string>),
          ...extra,
          'content-type': delivery.contentType,
          'user-agent': USER_AGENT,
          'idempotency-key': delivery.id,
          'urbis-delivery-id': delivery.id,
          'urbis-attempt': String(attempt),
        },
        body: delivery.body,
        limits: this.limits,
      });
      return classifyResponse(response);
    } catch (error) {
      return classifyError(error);
    }
  }

  private async publish(delivery: QueuedDelivery): Promise<AttemptResult> {
    const settings = delivery.headers as Record<string, string>;
    const qos = Number(settings['mqtt-qos'] ?? '1');
    await this.mqtt.publish({
      tenant: delivery.tenant,
      uri: delivery.uri,
      payload: delivery.body,
      qos: qos === 0 || qos === 2 ? qos : 1,
      protocolVersion: settings['mqtt-version'] === 'mqtt5.0' ? 5 : 4,
      timeoutMs: this.limits.timeoutMs,
    });
    return { ok: true };
  }
}
