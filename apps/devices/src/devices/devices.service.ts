import { Injectable } from '@nestjs/common';
import { OutboxRelay } from '@urbis/messaging';
import { randomUUID } from 'node:crypto';
import { type Db, uniqueViolation } from '../common/database';
import { DevicesErrorCode, DevicesProblem } from '../common/problems';
import { type Device, Prisma } from '../prisma-client/client';
import type { DeviceInput, DevicePatch, DeviceQuery, DeviceView, LifecycleChange } from './device.dto';
import { enqueueCredentialsChanged, enqueueDeviceChanged, enqueueLifecycleChanged } from './device-events';
import { DevicesRepository, type DeviceWithProfile } from './devices.repository';
import { allowedTransitions, canTransition } from './lifecycle';

export function deviceViewOf(row: Device): DeviceView {
  return {
    id: row.id,
    ...(row.externalId !== null && { externalId: row.externalId }),
    ...(row.name !== null && { name: row.name }),
    profileId: row.profileId,
    state: row.state,
    tags: row.tags,
    ...(row.location !== null && { location: row.location as DeviceView['location'] }),
    ...(row.devEui !== null && { lorawan: { devEui: row.devEui } }),
    decodeErrors: {
      count: row.decodeErrorCount,
      ...(row.lastDecodeError !== null && { last: row.lastDecodeError }),
      ...(row.lastDecodeErrorAt !== null && { lastAt: row.lastDecodeErrorAt.toISOString() }),
    },
    ...(row.lastObservedAt !== null && { lastObservedAt: row.lastObservedAt.toISOString() }),
    version: row.version,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

const notFound = (id: string) =>
  new DevicesProblem(DevicesErrorCode.DeviceNotFound, `No device ${id} in this tenant.`);

/** The registry's devices: CRUD and the lifecycle, each change published through the outbox. */
@Injectable()
export class DevicesService {
  constructor(
    private readonly devices: DevicesRepository,
    private readonly relay: OutboxRelay,
  ) {}

  async create(tenant: string, input: DeviceInput): Promise<DeviceView> {
    const device = await this.run((tx) => this.createIn(tx, tenant, input));
    return deviceViewOf(device);
  }

  /** Creates a device inside the caller's transaction (also used by bulk provisioning). */
  async createIn(tx: Db, tenant: string, input: DeviceInput): Promise<DeviceWithProfile> {
    const id = input.id ?? randomUUID();
    await this.assertNoClash(tx, tenant, { id, externalId: input.externalId, devEui: input.lorawan?.devEui });
    await this.assertProfile(tx, tenant, input.profileId);
    const device = await this.devices.create(tx, {
      tenant,
      id,
      externalId: input.externalId ?? null,
      name: input.name ?? null,
      profileId: input.profileId,
      tags: input.tags,
      location: input.location ?? Prisma.DbNull,
      devEui: input.lorawan?.devEui ?? null,
    });
    await enqueueLifecycleChanged(tx, device, null, 'provisioned');
    await enqueueDeviceChanged(tx, device, device.profile);
    return device;
  }

  async get(tenant: string, id: string): Promise<DeviceView> {
    const device = await this.devices.find(tenant, id);
    if (!device) throw notFound(id);
    return deviceViewOf(device);
  }

  async list(tenant: string, query: DeviceQuery) {
    const { rows, total } = await this.devices.list(tenant, query);
    return { items: rows.map(deviceViewOf), total };
  }

  async update(tenant: string, id: string, patch: DevicePatch): Promise<DeviceView> {
    const device = await this.run(async (tx) => {
      const current = await this.devices.find(tenant, id, tx);
      if (!current) throw notFound(id);
      if (current.state === 'decommissioned') {
        throw new DevicesProblem(
          DevicesErrorCode.DeviceDecommissioned,
          `Device ${id} is decommissioned; it cannot change.`,
        );
      }
      await this.assertNoClash(
        tx,
        tenant,
        {
          externalId: patch.externalId,
          devEui: patch.lorawan === undefined ? undefined : patch.lorawan?.devEui,
        },
        id,
      );
      if (patch.profileId !== undefined) await this.assertProfile(tx, tenant, patch.profileId);
      const data: Prisma.DeviceUncheckedUpdateManyInput = {
        ...(patch.externalId !== undefined && { externalId: patch.externalId }),
        ...(patch.name !== undefined && { name: patch.name }),
        ...(patch.profileId !== undefined && { profileId: patch.profileId }),
        ...(patch.tags !== undefined && { tags: patch.tags }),
        ...(patch.location !== undefined && { location: patch.location ?? Prisma.DbNull }),
        ...(patch.lorawan !== undefined && { devEui: patch.lorawan?.devEui ?? null }),
      };
      const updated = await this.devices.update(tx, tenant, id, current.version, data);
      if (!updated) throw conflict(id);
      await enqueueDeviceChanged(tx, updated, updated.profile);
      return updated;
    });
    return deviceViewOf(device);
  }

  /** Moves a device along its lifecycle; an illegal move is a 409 listing the legal ones. */
  async transition(tenant: string, id: string, change: LifecycleChange): Promise<DeviceView> {
    const device = await this.run(async (tx) => {
      const current = await this.devices.find(tenant, id, tx);
      if (!current) throw notFound(id);
      if (!canTransition(current.state, change.to)) {
        throw new DevicesProblem(
          DevicesErrorCode.IllegalTransition,
          `Device ${id} is ${current.state}; it cannot become ${change.to}.`,
          { state: current.state, allowed: allowedTransitions(current.state) },
        );
      }
      const updated = await this.devices.update(tx, tenant, id, current.version, { state: change.to });
      if (!updated) throw conflict(id);
      await enqueueLifecycleChanged(tx, updated, current.state, change.reason);
      await enqueueDeviceChanged(tx, updated, updated.profile);
      // A decommissioned device never connects again: its credentials end now.
      if (change.to === 'decommissioned') await this.revokeAll(tx, tenant, id);
      return updated;
    });
    return deviceViewOf(device);
  }

  async delete(tenant: string, id: string): Promise<void> {
    await this.run(async (tx) => {
      const current = await this.devices.find(tenant, id, tx);
      if (!current) throw notFound(id);
      await this.revokeAll(tx, tenant, id);
      await this.devices.delete(tx, tenant, id);
      await enqueueDeviceChanged(tx, { ...current, updatedAt: new Date() }, current.profile, true);
    });
  }

  private async revokeAll(tx: Db, tenant: string, deviceId: string): Promise<void> {
    const now = new Date();
    for (const credential of await this.devices.validCredentials(tx, tenant, deviceId, now)) {
      await enqueueCredentialsChanged(
        tx,
        await this.devices.endCredential(tx, credential.id, now, now),
        'revoked',
      );
    }
  }

  private async assertProfile(tx: Db, tenant: string, profileId: string): Promise<void> {
    if (!(await this.devices.profile(tx, tenant, profileId))) {
      throw new DevicesProblem(
        DevicesErrorCode.UnknownProfile,
        `profileId ${profileId} names no profile of this tenant.`,
        {
          errors: [{ path: 'profileId', message: 'no such profile' }],
        },
      );
    }
  }

  private async assertNoClash(
    tx: Db,
    tenant: string,
    candidate: { id?: string; externalId?: string | null; devEui?: string | null },
    exceptId?: string,
  ): Promise<void> {
    const [clash] = await this.devices.clashes(tx, tenant, candidate, exceptId);
    if (!clash) return;
    if (candidate.id !== undefined && clash.id === candidate.id) {
      throw new DevicesProblem(DevicesErrorCode.DeviceExists, `Device ${candidate.id} already exists.`);
    }
    if (candidate.externalId && clash.externalId === candidate.externalId) {
      throw new DevicesProblem(
        DevicesErrorCode.ExternalIdTaken,
        `External id ${candidate.externalId} belongs to device ${clash.id}.`,
        { deviceId: clash.id },
      );
    }
    throw new DevicesProblem(
      DevicesErrorCode.DevEuiTaken,
      `DevEUI ${candidate.devEui} belongs to device ${clash.id}.`,
      {
        deviceId: clash.id,
      },
    );
  }

  /** One transaction; a unique violation that slipped past the checks (a concurrent writer) is a 409. */
  private async run<T>(fn: (tx: Db) => Promise<T>): Promise<T> {
    try {
      const result = await this.devices.transaction(fn);
      this.relay.nudge();
      return result;
    } catch (error) {
      if (uniqueViolation(error)) {
        throw new DevicesProblem(
          DevicesErrorCode.DeviceExists,
          'A device with this id, external id or DevEUI was created concurrently.',
        );
      }
      throw error;
    }
  }
}

const conflict = (id: string) =>
  new DevicesProblem(
    DevicesErrorCode.VersionConflict,
    `Device ${id} was changed concurrently; read it again and retry.`,
  );
