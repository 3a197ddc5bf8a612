import { createEvent } from '@urbis/contracts';
import { enqueueEvents, type OutboxItem } from '@urbis/messaging';
import type { AttributeMapping } from '../codecs/profile-definition';
import type { DecodedAttribute } from '../codecs/profile-decoder';
import type { Db } from '../common/database';
import type { JsonValue } from '../common/json';
import type { Device, DeviceProfile } from '../prisma-client/client';

/**
 * Every device also lives in the context broker as a Smart Data Models `Device` entity. Its
 * attributes travel as `devices.observation.decoded.v1` for the entity
 * `urn:ngsi-ld:Device:<tenant>:<deviceId>`, which the data service upserts like any reading.
 */
export const DEVICE_ENTITY_TYPE = 'Device';

export function deviceEntityId(tenant: string, deviceId: string): string {
  return `urn:ngsi-ld:${DEVICE_ENTITY_TYPE}:${tenant}:${deviceId}`;
}

export function deviceModelId(tenant: string, profileId: string): string {
  return `urn:ngsi-ld:DeviceModel:${tenant}:${profileId}`;
}

type Attribute = {
  name: string;
  type: 'Property' | 'GeoProperty' | 'Relationship';
  value: JsonValue;
  unitCode?: string;
};

/** The Device entity's attributes as an observation event, ready for the outbox. */
export function deviceEntityItem(
  tenant: string,
  deviceId: string,
  observedAt: string,
  attributes: Attribute[],
): OutboxItem {
  const entityId = deviceEntityId(tenant, deviceId);
  const event = createEvent('devices.observation.decoded.v1', {
    tenant,
    source: 'devices',
    payload: {
      deviceId,
      entity: { id: entityId, type: DEVICE_ENTITY_TYPE },
      observedAt,
      attributes: attributes.map((attribute) => ({ ...attribute, observedAt })),
    },
  });
  return { topic: 'devices.observation.decoded.v1', event, key: `${tenant}/${entityId}` };
}

function enqueueDeviceEntity(
  tx: Db,
  tenant: string,
  deviceId: string,
  observedAt: string,
  attributes: Attribute[],
): Promise<void> {
  return enqueueEvents(tx, [deviceEntityItem(tenant, deviceId, observedAt, attributes)]);
}

/** The registry's side of the Device entity: state, serial number, what it measures, where, which model. */
export function deviceEntityFromRegistry(device: Device, profile: DeviceProfile): OutboxItem {
  const attributes: Attribute[] = [
    { name: 'deviceState', type: 'Property', value: device.state },
    {
      name: 'controlledProperty',
      type: 'Property',
      value: (profile.attributes as unknown as AttributeMapping[])
        .filter((mapping) => mapping.type === 'Property')
        .map((mapping) => mapping.name),
    },
    { name: 'refDeviceModel', type: 'Relationship', value: deviceModelId(device.tenant, profile.id) },
  ];
  if (device.externalId !== null)
    attributes.push({ name: 'serialNumber', type: 'Property', value: device.externalId });
  if (device.location !== null)
    attributes.push({ name: 'location', type: 'GeoProperty', value: device.location as JsonValue });
  return deviceEntityItem(device.tenant, device.id, device.updatedAt.toISOString(), attributes);
}

/**
 * The readings' side: when the device last reported, and its battery level when a reading
 * carries one (an attribute named `batteryLevel`, a fraction 0–1 as Smart Data Models has it).
 */
export function deviceEntityFromObservation(
  tenant: string,
  deviceId: string,
  observedAt: string,
  attributes: readonly DecodedAttribute[],
): OutboxItem {
  const entity: Attribute[] = [
    { name: 'dateLastValueReported', type: 'Property', value: { '@type': 'DateTime', '@value': observedAt } },
  ];
  const battery = attributes.find((attribute) => attribute.name === 'batteryLevel');
  if (battery && typeof battery.value === 'number') {
    entity.push({
      name: 'batteryLevel',
      type: 'Property',
      value: battery.value,
      ...(battery.unitCode && { unitCode: battery.unitCode }),
    });
  }
  return deviceEntityItem(tenant, deviceId, observedAt, entity);
}

/**
 * Connectivity's side: whether the device is connected. Smart Data Models' `deviceState` keeps
 * the registry's lifecycle state; the link state is its own attribute.
 */
export function enqueueDeviceEntityFromStatus(
  tx: Db,
  tenant: string,
  deviceId: string,
  status: 'online' | 'offline',
  changedAt: string,
): Promise<void> {
  return enqueueDeviceEntity(tx, tenant, deviceId, changedAt, [
    { name: 'connectionStatus', type: 'Property', value: status },
  ]);
}
