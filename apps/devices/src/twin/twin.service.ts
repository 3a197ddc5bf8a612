import { Injectable } from '@nestjs/common';
import type { Principal } from '@urbis/auth';
import type { EventOf } from '@urbis/contracts';
import { claimEvents, OutboxRelay, PermanentEventError } from '@urbis/messaging';
import type { Db } from '../common/database';
import { DevicesErrorCode, DevicesProblem } from '../common/problems';
import { CommandsService } from '../commands/commands.service';
import { DevicesRepository } from '../devices/devices.repository';
import type { DeviceTwin } from '../prisma-client/client';
import type { DesiredPatch, TwinView } from './twin.dto';
import { delta, mergeState, sameJson, type TwinState } from './twin-state';
import { TwinRepository } from './twin.repository';

/** The consumer name under which twin reports are recorded as processed. */
export const TWIN_REPORT_CONSUMER = 'devices.twin-reports';

type TwinReported = EventOf<'connectivity.twin.reported.v1'>;

/** The command a desired change becomes; its params are `{ version, state }` (the whole desired state). */
export const TWIN_DESIRED_COMMAND = 'twin.desired';

export function twinViewOf(deviceId: string, twin: DeviceTwin | null, commandId?: string): TwinView {
  const desired = (twin?.desired ?? {}) as TwinState;
  const reported = (twin?.reported ?? {}) as TwinState;
  return {
    deviceId,
    desired: {
      state: desired,
      version: twin?.desiredVersion ?? 0,
      ...(twin?.desiredUpdatedAt && { updatedAt: twin.desiredUpdatedAt.toISOString() }),
    },
    reported: {
      state: reported,
      version: twin?.reportedVersion ?? 0,
      ...(twin?.reportedUpdatedAt && { updatedAt: twin.reportedUpdatedAt.toISOString() }),
    },
    delta: delta(desired, reported),
    ...(commandId !== undefined && { commandId }),
  };
}

/**
 * Desired and reported state per device, each versioned. A desired change is carried to an
 * active device as a `twin.desired` command; reports come from the device over MQTT
 * (`connectivity.twin.reported.v1`) or from a gateway over HTTP. The delta is what the device has
 * yet to apply.
 */
@Injectable()
export class TwinService {
  constructor(
    private readonly twins: TwinRepository,
    private readonly devices: DevicesRepository,
    private readonly commands: CommandsService,
    private readonly relay: OutboxRelay,
  ) {}

  async get(tenant: string, deviceId: string): Promise<TwinView> {
    await this.device(tenant, deviceId);
    return twinViewOf(deviceId, await this.twins.find(tenant, deviceId));
  }

  async setDesired(
    tenant: string,
    deviceId: string,
    patch: DesiredPatch,
    caller: Principal,
  ): Promise<TwinView> {
    const view = await this.twins.transaction(async (tx) => {
      const device = await this.device(tenant, deviceId, tx);
      if (device.state === 'decommissioned') {
        throw new DevicesProblem(
          DevicesErrorCode.DeviceDecommissioned,
          `Device ${deviceId} is decommissioned.`,
        );
      }
      const twin = await this.twins.lock(tx, tenant, deviceId);
      if (patch.version !== undefined && patch.version !== twin.desiredVersion) {
        throw new DevicesProblem(
          DevicesErrorCode.VersionConflict,
          `The desired state is at version ${twin.desiredVersion}, not ${patch.version}; read the twin again.`,
          { version: twin.desiredVersion },
        );
      }
      const desired = mergeState(twin.desired as TwinState, patch.state);
      if (sameJson(desired, twin.desired as TwinState)) return twinViewOf(deviceId, twin);
      const version = twin.desiredVersion + 1;
      const updated = await this.twins.update(tx, tenant, deviceId, {
        desired,
        desiredVersion: version,
        desiredUpdatedAt: new Date(),
      });
      if (device.state !== 'active') return twinViewOf(deviceId, updated);
      const command = await this.commands.enqueue(
        tx,
        tenant,
        deviceId,
        { name: TWIN_DESIRED_COMMAND, params: { version, state: desired }, ttlSeconds: patch.ttlSeconds },
        caller.subject,
      );
      return twinViewOf(deviceId, updated, command.id);
    });
    this.relay.nudge();
    return view;
  }

  async report(tenant: string, deviceId: string, state: TwinState): Promise<TwinView> {
    return this.twins.transaction(async (tx) => {
      await this.device(tenant, deviceId, tx);
      return twinViewOf(deviceId, await this.reportIn(tx, tenant, deviceId, state));
    });
  }

  /**
   * Merges the reports connectivity received from devices, in order, once each (a redelivered
   * event has no second effect). A report of a device the registry does not know, or that is
   * suspended or decommissioned, goes to the dead-letter topic with the reason; the others of the
   * batch are applied.
   */
  async applyReports(events: readonly TwinReported[]): Promise<void> {
    const refused: string[] = [];
    await this.twins.transaction(async (tx) => {
      const claimed = await claimEvents(
        tx,
        TWIN_REPORT_CONSUMER,
        events.map((event) => event.id),
      );
      for (const event of events) {
        const { deviceId, state } = event.payload;
        const device = await this.devices.find(event.tenant, deviceId, tx);
        if (!device || device.state === 'suspended' || device.state === 'decommissioned') {
          refused.push(
            device
              ? `device ${deviceId} is ${device.state}`
              : `unknown device ${deviceId} in tenant ${event.tenant}`,
          );
          continue;
        }
        // Claimed now, and once: a batch may hold the same event twice (a redelivery).
        if (claimed.delete(event.id)) await this.reportIn(tx, event.tenant, deviceId, state);
      }
    });
    if (refused.length === 0) return;
    if (events.length === 1) throw new PermanentEventError(`twin report refused: ${refused[0]}`);
    // The good reports are durable; the consumer retries one by one and dead-letters the others.
    throw new Error(`${refused.length} of ${events.length} twin reports refused`);
  }

  /** Merges a report inside the caller's transaction. */
  async reportIn(tx: Db, tenant: string, deviceId: string, state: TwinState): Promise<DeviceTwin> {
    const twin = await this.twins.lock(tx, tenant, deviceId);
    return this.twins.update(tx, tenant, deviceId, {
      reported: mergeState(twin.reported as TwinState, state),
      reportedVersion: twin.reportedVersion + 1,
      reportedUpdatedAt: new Date(),
    });
  }

  private async device(tenant: string, deviceId: string, db?: Db) {
    const device = await this.devices.find(tenant, deviceId, db);
    if (!device)
      throw new DevicesProblem(DevicesErrorCode.DeviceNotFound, `No device ${deviceId} in this tenant.`);
    return device;
  }
}
