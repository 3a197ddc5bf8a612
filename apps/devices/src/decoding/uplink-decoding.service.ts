import { Inject, Injectable } from '@nestjs/common';
import { auditEvent } from '@urbis/audit';
import { createEvent, type EventOf } from '@urbis/contracts';
import {
  claimEvents,
  enqueueEvents,
  messageKeyOf,
  type OutboxItem,
  OutboxRelay,
  PermanentEventError,
  type SqlExecutor,
  traceContextOf,
} from '@urbis/messaging';
import { SERVICE_CONFIG } from '@urbis/runtime';
import { DecodeError } from '../codecs/decode-error';
import type { DecodedObservation } from '../codecs/profile-decoder';
import type { DevicesConfig } from '../config';
import { deviceEntityFromObservation } from '../devices/device-entity';
import { DecoderCache } from './decoder-cache';
import { type DecodingDevice, DecodingRepository } from './decoding.repository';

type Uplink = EventOf<'connectivity.uplink.received.v1'>;

type Outcome =
  | { event: Uplink; ok: true; device: DecodingDevice; observation: DecodedObservation }
  | { event: Uplink; ok: false; device?: DecodingDevice; reason: string; decodeFailure: boolean };

/** The consumer name under which decoded uplinks are recorded as processed. */
export const DECODING_CONSUMER = 'devices.uplink-decoder';

/**
 * Turns uplinks into observations with each device's profile. One transaction per batch claims
 * the events (redeliveries have no second effect), enqueues the observations and records the
 * failures (the device's decode-error counter, an audit record). Failed events then go to the
 * DLQ with their reason: the batch call fails, and the consumer's one-by-one retry rejects them.
 */
@Injectable()
export class UplinkDecodingService {
  private readonly decoders: DecoderCache;

  constructor(
    private readonly repository: DecodingRepository,
    private readonly relay: OutboxRelay,
    @Inject(SERVICE_CONFIG) config: DevicesConfig,
  ) {
    this.decoders = new DecoderCache({
      maxPayloadBytes: config.decoding.maxPayloadBytes,
      jsonata: config.decoding.jsonata,
    });
  }

  async handle(events: readonly Uplink[]): Promise<void> {
    const devices = await this.repository.devicesOf(
      events.map((event) => ({ tenant: event.tenant, id: event.payload.deviceId })),
    );
    const outcomes: Outcome[] = [];
    for (const event of events)
      outcomes.push(await this.decode(event, devices.get(`${event.tenant}/${event.payload.deviceId}`)));

    await this.repository.transaction((tx) => this.record(tx, outcomes));
    this.relay.nudge();

    const failed = outcomes.filter((outcome) => !outcome.ok);
    if (failed.length === 0) return;
    if (events.length === 1) throw new PermanentEventError(failed[0].ok ? '' : failed[0].reason);
    // The good events are durable; the consumer retries one by one and dead-letters the bad ones.
    throw new Error(`${failed.length} of ${events.length} uplinks could not be decoded`);
  }

  private async decode(event: Uplink, device: DecodingDevice | undefined): Promise<Outcome> {
    const { deviceId } = event.payload;
    if (!device)
      return {
        event,
        ok: false,
        reason: `unknown device ${deviceId} in tenant ${event.tenant}`,
        decodeFailure: false,
      };
    if (device.state === 'suspended' || device.state === 'decommissioned') {
      return {
        event,
        ok: false,
        device,
        reason: `device ${deviceId} is ${device.state}`,
        decodeFailure: false,
      };
    }
    try {
      const observation = await this.decoders.decoderOf(device.profile).decode({
        tenant: event.tenant,
        deviceId,
        payload: Buffer.from(event.payload.payload, 'base64'),
        receivedAt: event.payload.receivedAt,
        contentType: event.payload.contentType,
        fPort: event.payload.lorawan?.fPort,
      });
      return { event, ok: true, device, observation };
    } catch (error) {
      if (!(error instanceof DecodeError)) throw error;
      return {
        event,
        ok: false,
        device,
        reason: `profile ${device.profile.name} (${device.profile.codec}) cannot decode the payload: ${error.message}`,
        decodeFailure: true,
      };
    }
  }

  private async record(tx: SqlExecutor, outcomes: Outcome[]): Promise<void> {
    const observed = new Map<
      string,
      { tenant: string; id: string; at: Date; observation: DecodedObservation }
    >();
    const failures = new Map<
      string,
      { tenant: string; id: string; count: number; reason: string; at: Date }
    >();
    const claimed = await claimEvents(
      tx,
      DECODING_CONSUMER,
      outcomes.map((outcome) => outcome.event.id),
    );
    const items: OutboxItem[] = [];
    for (const outcome of outcomes) {
      const { event } = outcome;
      // Claimed now, and once: a batch may hold the same event twice (a redelivery).
      if (!claimed.delete(event.id)) continue;
      const key = `${event.tenant}/${event.payload.deviceId}`;
      if (outcome.ok) {
        const observation = createEvent('devices.observation.decoded.v1', {
          tenant: event.tenant,
          source: 'devices',
          payload: { deviceId: event.payload.deviceId, ...outcome.observation },
        });
        items.push({
          topic: 'devices.observation.decoded.v1',
          event: observation,
          key: `${event.tenant}/${outcome.observation.entity.id}`,
          // The observation continues the uplink's trace (the batch runs in a trace of its own).
          trace: traceContextOf(event),
        });
        const at = new Date(event.payload.receivedAt);
        const seen = observed.get(key);
        if (!seen || seen.at < at) {
          observed.set(key, {
            tenant: event.tenant,
            id: event.payload.deviceId,
            at,
            observation: outcome.observation,
          });
        }
        continue;
      }
      if (outcome.decodeFailure && outcome.device) {
        const failure = failures.get(key);
        failures.set(key, {
          tenant: event.tenant,
          id: event.payload.deviceId,
          count: (failure?.count ?? 0) + 1,
          reason: outcome.reason,
          at: new Date(),
        });
      }
      const audit = auditEvent('devices', {
        tenant: event.tenant,
        actor: { kind: 'device', id: event.payload.deviceId },
        action: 'device.uplink.decode',
        resource: { type: 'device', id: event.payload.deviceId },
        outcome: 'failed',
        reason: outcome.reason,
        details: { uplinkEventId: event.id, transport: event.payload.transport },
      });
      items.push({
        topic: 'security.audit.recorded.v1',
        event: audit,
        key: messageKeyOf('security.audit.recorded.v1', audit),
        trace: traceContextOf(event),
      });
    }
    // The device's own entity learns when it last reported (once per device and batch).
    for (const seen of observed.values()) {
      items.push(
        deviceEntityFromObservation(
          seen.tenant,
          seen.id,
          seen.observation.observedAt,
          seen.observation.attributes,
        ),
      );
    }
    await enqueueEvents(tx, items);
    await this.repository.markObserved(tx, [...observed.values()]);
    for (const failure of failures.values()) {
      await this.repository.countDecodeFailures(
        tx,
        failure.tenant,
        failure.id,
        failure.count,
        failure.reason,
        failure.at,
      );
    }
  }
}
