import { Injectable } from '@nestjs/common';
import { OutboxRelay } from '@urbis/messaging';
import { randomUUID } from 'node:crypto';
import { ProfileDefinitionError } from '../codecs/decode-error';
import { ProfileDecoder } from '../codecs/profile-decoder';
import { uniqueViolation } from '../common/database';
import { DevicesErrorCode, DevicesProblem } from '../common/problems';
import { enqueueDeviceChanged } from '../devices/device-events';
import type { ProfileInput, ProfileView } from './profile.dto';
import { profileViewOf, ProfilesRepository } from './profiles.repository';

/** Device profiles: validated by compiling them, so that a profile that cannot decode is never stored. */
@Injectable()
export class ProfilesService {
  constructor(
    private readonly profiles: ProfilesRepository,
    private readonly relay: OutboxRelay,
  ) {}

  async create(tenant: string, input: ProfileInput): Promise<ProfileView> {
    const id = randomUUID();
    this.validate(id, input);
    try {
      const row = await this.profiles.transaction((tx) => this.profiles.create(tx, tenant, id, input));
      return profileViewOf(row);
    } catch (error) {
      throw this.conflictOf(error, input.name);
    }
  }

  async get(tenant: string, id: string): Promise<ProfileView> {
    const row = await this.profiles.find(tenant, id);
    if (!row) throw notFound(id);
    return profileViewOf(row);
  }

  async list(tenant: string, limit: number, offset: number) {
    const { rows, total } = await this.profiles.list(tenant, limit, offset);
    return { items: rows.map(profileViewOf), total };
  }

  /**
   * Replaces a profile. Its devices' registry snapshots carry the profile's reporting interval
   * and limits, so each device gets a new `devices.device.changed.v1` in the same transaction.
   */
  async replace(tenant: string, id: string, input: ProfileInput): Promise<ProfileView> {
    this.validate(id, input);
    try {
      const row = await this.profiles.transaction(async (tx) => {
        const updated = await this.profiles.replace(tx, tenant, id, input);
        if (!updated) throw notFound(id);
        for (const device of await tx.device.findMany({ where: { tenant, profileId: id } })) {
          await enqueueDeviceChanged(tx, device, updated);
        }
        return updated;
      });
      this.relay.nudge();
      return profileViewOf(row);
    } catch (error) {
      throw this.conflictOf(error, input.name);
    }
  }

  async delete(tenant: string, id: string): Promise<void> {
    await this.profiles.transaction(async (tx) => {
      const devices = await this.profiles.countDevices(tx, tenant, id);
      if (devices > 0) {
        throw new DevicesProblem(
          DevicesErrorCode.ProfileInUse,
          `Profile ${id} is used by ${devices} device(s); move or delete them first.`,
          { devices },
        );
      }
      if (!(await this.profiles.delete(tx, tenant, id))) throw notFound(id);
    });
  }

  private validate(id: string, input: ProfileInput): void {
    try {
      new ProfileDecoder({
        id,
        version: 1,
        entityType: input.entityType,
        codec: input.codec,
        attributes: input.attributes,
      });
    } catch (error) {
      if (!(error instanceof ProfileDefinitionError)) throw error;
      throw new DevicesProblem(
        DevicesErrorCode.ProfileInvalid,
        `The profile cannot decode anything: ${error.message}`,
        {
          errors: error.issues,
        },
      );
    }
  }

  private conflictOf(error: unknown, name: string): unknown {
    if (uniqueViolation(error)) {
      return new DevicesProblem(DevicesErrorCode.ProfileNameTaken, `A profile named ${name} already exists.`);
    }
    return error;
  }
}

const notFound = (id: string) =>
  new DevicesProblem(DevicesErrorCode.ProfileNotFound, `No device profile ${id} in this tenant.`);
