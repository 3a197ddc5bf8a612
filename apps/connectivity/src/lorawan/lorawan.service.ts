import { Inject, Injectable } from '@nestjs/common';
import { type Logger } from '@urbis/observability';
import { SERVICE_CONFIG, SERVICE_LOGGER } from '@urbis/runtime';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { ConnectivityConfig } from '../config';
import { LimitsService } from '../limits/limits.service';
import { ConnectivityMetrics, type RejectionReason } from '../metrics/connectivity-metrics';
import { ConnectivityException, ConnectivityProblem } from '../problems';
import { isAccepting } from '../registry/device-authenticator';
import { RegistryRepository, type RegisteredDevice } from '../registry/registry.repository';
import { DeviceStatusRepository } from '../status/device-status.repository';
import { DeviceStatusService } from '../status/device-status.service';
import { UplinkService } from '../uplinks/uplink.service';
import { FrameMerger } from './frame-merger';
import { LorawanRepository } from './lorawan.repository';
import type { GatewayReception, NetworkServer, NetworkServerMessage } from './network-server-messages';

export interface WebhookAccepted {
  deviceId: string;
  kind: NetworkServerMessage['kind'];
  /** The uplink event (for uplinks). */
  eventId?: string;
  /** True when this frame had already been accepted (a late copy from another gateway, a retried call). */
  duplicate?: boolean;
}

type UplinkMessage = Extract<NetworkServerMessage, { kind: 'uplink' }>;

const digest = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();

/**
 * LoRaWAN network-server webhooks: authenticate the network server per tenant, find the device
 * by DevEUI in the local registry, merge one frame's copies from several gateways, refuse
 * replayed frame counters, and publish one uplink per frame.
 */
@Injectable()
export class LorawanService {
  private readonly merger: FrameMerger<{ eventId: string; duplicate: boolean }>;
  private readonly secrets: Map<string, Buffer>;
  private readonly linkSamplesKept: number;

  constructor(
    @Inject(SERVICE_CONFIG) config: ConnectivityConfig,
    @Inject(SERVICE_LOGGER) private readonly logger: Logger,
    private readonly registry: RegistryRepository,
    private readonly lorawan: LorawanRepository,
    private readonly uplinks: UplinkService,
    private readonly metrics: ConnectivityMetrics,
    private readonly status: DeviceStatusService,
    private readonly statusRepository: DeviceStatusRepository,
    private readonly limits: LimitsService,
  ) {
    this.linkSamplesKept = config.status.linkSamplesKept;
    this.merger = new FrameMerger(config.lorawan.dedupWindowMs);
    this.secrets = new Map([...config.lorawan.webhookSecrets].map(([tenant, secret]) => [tenant, digest(secret)]));
  }

  /** The network server must present the tenant's shared secret as `Authorization: Bearer <secret>`. */
  authenticate(tenant: string, authorization: string | undefined, address: string): void {
    const expected = this.secrets.get(tenant);
    const presented = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '')?.[1];
    if (!expected || !presented || !timingSafeEqual(expected, digest(presented))) {
      // what security's webhook-signature rule watches, per source address
      this.limits.auditAddressRefusal('lorawan', tenant, address, 'webhook-unauthenticated');
      throw this.refuse('webhook-unauthenticated', ConnectivityProblem.WebhookUnauthenticated, 'Present the tenant’s webhook secret as `Authorization: Bearer <secret>`.');
    }
  }

  refuseBody(detail: string, errors?: unknown): ConnectivityException {
    return this.refuse('invalid-payload', ConnectivityProblem.InvalidWebhook, detail, errors === undefined ? {} : { errors });
  }

  async accept(tenant: string, networkServer: NetworkServer, message: NetworkServerMessage): Promise<WebhookAccepted> {
    const device = await this.registry.findDeviceByDevEui(tenant, message.devEui);
    if (!device) {
      throw this.refuse('unknown-dev-eui', ConnectivityProblem.UnknownDevEui, `No device of tenant ${tenant} has DevEUI ${message.devEui}.`);
    }
    if (!isAccepting(device)) {
      throw this.refuse('device-not-active', ConnectivityProblem.DeviceNotActive, `Device ${device.deviceId} is ${device.state}.`);
    }
    switch (message.kind) {
      case 'join':
        await this.lorawan.recordJoin(tenant, message.devEui, device.deviceId, message.devAddr, at(message.at));
        this.status.seen(tenant, device.deviceId, 'lorawan');
        this.logger.info({ tenant, device: device.deviceId, devEui: message.devEui }, 'LoRaWAN device joined');
        return { deviceId: device.deviceId, kind: 'join' };
      case 'status':
        await this.lorawan.recordStatus(tenant, message.devEui, device.deviceId, { ...message, at: at(message.at) });
        this.status.seen(tenant, device.deviceId, 'lorawan');
        return { deviceId: device.deviceId, kind: 'status' };
      case 'uplink': {
        const receivedAt = new Date();
        const result = await this.merger.merge(`${tenant}/${message.devEui}/${message.fCnt}`, message.gateways, (gateways) =>
          this.emitUplink(tenant, networkServer, device, message, gateways, receivedAt),
        );
        return { deviceId: device.deviceId, kind: 'uplink', ...result };
      }
    }
  }

  private async emitUplink(
    tenant: string,
    networkServer: NetworkServer,
    device: RegisteredDevice,
    message: UplinkMessage,
    gateways: GatewayReception[],
    receivedAt: Date,
  ): Promise<{ eventId: string; duplicate: boolean }> {
    const counter = await this.lorawan.frameCounter(tenant, message.devEui);
    if (counter && message.fCnt === counter.lastFCnt && counter.lastEventId) {
      return { eventId: counter.lastEventId, duplicate: true };
    }
    if (counter && message.fCnt < counter.lastFCnt) {
      this.logger.warn({ tenant, device: device.deviceId, fCnt: message.fCnt, lastFCnt: counter.lastFCnt }, 'replayed LoRaWAN frame refused');
      throw this.refuse('replayed-frame', ConnectivityProblem.ReplayedFrame, `Frame counter ${message.fCnt} is below the last accepted ${counter.lastFCnt}.`, {
        lastFCnt: counter.lastFCnt,
      });
    }
    const exceeded = this.limits.checkMessage('lorawan', device, Buffer.from(message.payload, 'base64').length);
    if (exceeded?.reason === 'payload-too-large') {
      throw new ConnectivityException(ConnectivityProblem.PayloadTooLarge, `The payload has ${exceeded.detail}.`, { maxPayloadBytes: exceeded.limit });
    }
    if (exceeded) {
      throw new ConnectivityException(ConnectivityProblem.RateLimited, `The device or its tenant sends too much: ${exceeded.detail}.`, {
        retryAfterSeconds: exceeded.retryAfterSeconds,
        limit: exceeded.limit,
      });
    }
    let eventId: string;
    try {
      eventId = await this.uplinks.publish(tenant, {
        deviceId: device.deviceId,
        transport: 'lorawan',
        receivedAt: receivedAt.toISOString(),
        payload: message.payload,
        lorawan: {
          devEui: message.devEui,
          fCnt: message.fCnt,
          ...(message.fPort !== undefined && { fPort: message.fPort }),
          networkServer,
          gateways: gateways.map((gateway) => ({
            gatewayId: gateway.gatewayId,
            ...(gateway.rssi !== undefined && { rssi: gateway.rssi }),
            ...(gateway.snr !== undefined && { snr: gateway.snr }),
            ...(gateway.receivedAt !== undefined && { receivedAt: gateway.receivedAt }),
          })),
        },
      });
    } catch (error) {
      this.logger.warn({ err: error }, 'LoRaWAN uplink not accepted by Kafka');
      throw this.refuse('broker-unavailable', ConnectivityProblem.BrokerUnavailable, 'The uplink could not be stored; retry it.', {
        retryAfterSeconds: 1,
      });
    }
    // After Kafka acked: a crash in between means a retried call publishes the frame again (at-least-once), never loses it.
    await this.lorawan.recordUplink(tenant, message.devEui, device.deviceId, message.fCnt, eventId);
    this.status.seen(tenant, device.deviceId, 'lorawan', receivedAt);
    await this.statusRepository.addLinkSample(
      tenant,
      device.deviceId,
      { at: receivedAt, transport: 'lorawan', fCnt: message.fCnt, gateways },
      this.linkSamplesKept,
    );
    return { eventId, duplicate: false };
  }

  private refuse(
    reason: RejectionReason,
    problem: ConnectivityProblem,
    detail: string,
    extensions: Record<string, unknown> = {},
  ): ConnectivityException {
    this.metrics.rejected('lorawan', reason);
    return new ConnectivityException(problem, detail, extensions);
  }
}

function at(value: string | undefined): Date {
  return value ? new Date(value) : new Date();
}
