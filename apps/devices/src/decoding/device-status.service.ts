import { Injectable } from '@nestjs/common';
import type { EventOf } from '@urbis/contracts';
import { claimEvent, OutboxRelay } from '@urbis/messaging';
import { enqueueDeviceEntityFromStatus } from '../devices/device-entity';
import { DevicesRepository } from '../devices/devices.repository';
import { DecodingRepository } from './decoding.repository';

type StatusChanged = EventOf<'connectivity.device-status.changed.v1'>;

export const DEVICE_STATUS_CONSUMER = 'devices.device-status';

/**
 * Carries connectivity's online/offline into the device's NGSI-LD Device entity
 * (`connectionStatus`). A status of a device the registry no longer has changes nothing.
 */
@Injectable()
export class DeviceStatusService {
  constructor(
    private readonly repository: DecodingRepository,
    private readonly devices: DevicesRepository,
    private readonly relay: OutboxRelay,
  ) {}

  async handle(events: readonly StatusChanged[]): Promise<void> {
    const known = await this.repository.devicesOf(
      events.map((e) => ({ tenant: e.tenant, id: e.payload.deviceId })),
    );
    await this.devices.transaction(async (tx) => {
      for (const event of events) {
        if (!(await claimEvent(tx, DEVICE_STATUS_CONSUMER, event.id))) continue;
        if (!known.has(`${event.tenant}/${event.payload.deviceId}`)) continue;
        await enqueueDeviceEntityFromStatus(
          tx,
          event.tenant,
          event.payload.deviceId,
          event.payload.status,
          event.payload.changedAt,
        );
      }
    });
    this.relay.nudge();
  }
}
