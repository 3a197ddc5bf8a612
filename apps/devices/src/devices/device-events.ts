import { createEvent, type EventOf } from '@urbis/contracts';
import { enqueueEvent, enqueueEvents, messageKeyOf, type OutboxItem } from '@urbis/messaging';
import type { Db } from '../common/database';
import type { Device, DeviceCredential, DeviceProfile, LifecycleState } from '../prisma-client/client';
import { deviceEntityFromRegistry } from './device-entity';

type ProfileFacts = Pick<DeviceProfile, 'expectedIntervalSeconds' | 'limits'>;

/** The registry snapshot connectivity caches: the latest per device is the truth. */
export function deviceChangedEvent(
  device: Device,
  profile: ProfileFacts,
  deleted = false,
): EventOf<'devices.device.changed.v1'> {
  const limits = profile.limits as { messagesPerMinute?: number; maxPayloadBytes?: number } | null;
  return createEvent('devices.device.changed.v1', {
    tenant: device.tenant,
    source: 'devices',
    payload: {
      deviceId: device.id,
      ...(device.externalId !== null && { externalId: device.externalId }),
      profileId: device.profileId,
      state: device.state,
      tags: device.tags,
      ...(device.devEui !== null && { lorawan: { devEui: device.devEui } }),
      ...(profile.expectedIntervalSeconds !== null && {
        expectedIntervalSeconds: profile.expectedIntervalSeconds,
      }),
      ...(limits !== null && { limits }),
      deleted,
      changedAt: device.updatedAt.toISOString(),
    },
  });
}

/**
 * A device's registry snapshot for connectivity and, unless it was deleted, its NGSI-LD Device
 * entity for the context broker: every registry change publishes these.
 */
export function deviceChangedItems(device: Device, profile: DeviceProfile, deleted = false): OutboxItem[] {
  const event = deviceChangedEvent(device, profile, deleted);
  const items: OutboxItem[] = [
    { topic: 'devices.device.changed.v1', event, key: messageKeyOf('devices.device.changed.v1', event) },
  ];
  if (!deleted) items.push(deviceEntityFromRegistry(device, profile));
  return items;
}

export function enqueueDeviceChanged(tx: Db, device: Device, profile: DeviceProfile, deleted = false) {
  return enqueueEvents(tx, deviceChangedItems(device, profile, deleted));
}

export function lifecycleChangedItem(
  device: Device,
  from: LifecycleState | null,
  reason?: string,
): OutboxItem {
  const event = createEvent('devices.lifecycle.changed.v1', {
    tenant: device.tenant,
    source: 'devices',
    payload: {
      deviceId: device.id,
      ...(device.externalId !== null && { externalId: device.externalId }),
      profileId: device.profileId,
      from,
      to: device.state,
      ...(reason !== undefined && { reason }),
      changedAt: device.updatedAt.toISOString(),
    },
  });
  return {
    topic: 'devices.lifecycle.changed.v1',
    event,
    key: messageKeyOf('devices.lifecycle.changed.v1', event),
  };
}

export function enqueueLifecycleChanged(
  tx: Db,
  device: Device,
  from: LifecycleState | null,
  reason?: string,
): Promise<void> {
  return enqueueEvents(tx, [lifecycleChangedItem(device, from, reason)]);
}

export async function enqueueCredentialsChanged(
  tx: Db,
  credential: DeviceCredential,
  change: 'issued' | 'rotated' | 'revoked',
): Promise<void> {
  const event = createEvent('devices.credentials.changed.v1', {
    tenant: credential.tenant,
    source: 'devices',
    payload: {
      deviceId: credential.deviceId,
      credentialId: credential.id,
      change,
      tokenHash: credential.tokenHash,
      hashAlgorithm: 'scrypt',
      validFrom: credential.validFrom.toISOString(),
      validUntil: credential.validUntil?.toISOString() ?? null,
    },
  });
  await enqueueEvent(tx, 'devices.credentials.changed.v1', event, {
    key: messageKeyOf('devices.credentials.changed.v1', event),
  });
}
