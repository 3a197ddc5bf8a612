import { Inject, Injectable } from '@nestjs/common';
import type { Db } from '../common/database';
import {
  type Device,
  type DeviceCredential,
  type DeviceProfile,
  type LifecycleState,
  Prisma,
  PrismaClient,
} from '../prisma-client/client';
import type { DeviceQuery } from './device.dto';

export type DeviceWithProfile = Device & { profile: DeviceProfile };

/** Devices of a tenant and their credentials (one aggregate). Every query names the tenant. */
@Injectable()
export class DevicesRepository {
  constructor(@Inject(PrismaClient) private readonly prisma: PrismaClient) {}

  transaction<T>(fn: (tx: Db) => Promise<T>, timeoutMs = 60_000): Promise<T> {
    return this.prisma.$transaction(fn, { timeout: timeoutMs, maxWait: 10_000 });
  }

  find(tenant: string, id: string, db: Db = this.prisma): Promise<DeviceWithProfile | null> {
    return db.device.findFirst({ where: { tenant, id }, include: { profile: true } });
  }

  findByExternalIds(tx: Db, tenant: string, externalIds: string[]): Promise<Device[]> {
    return tx.device.findMany({ where: { tenant, externalId: { in: externalIds } } });
  }

  /** Which of id, externalId, devEui another device of the tenant already has. */
  async clashes(
    tx: Db,
    tenant: string,
    candidate: { id?: string; externalId?: string | null; devEui?: string | null },
    exceptId?: string,
  ): Promise<Device[]> {
    const or: Prisma.DeviceWhereInput[] = [];
    if (candidate.id) or.push({ id: candidate.id });
    if (candidate.externalId) or.push({ externalId: candidate.externalId });
    if (candidate.devEui) or.push({ devEui: candidate.devEui });
    if (or.length === 0) return [];
    return tx.device.findMany({
      where: { tenant, OR: or, ...(exceptId !== undefined && { NOT: { id: exceptId } }) },
    });
  }

  profile(tx: Db, tenant: string, profileId: string): Promise<DeviceProfile | null> {
    return tx.deviceProfile.findFirst({ where: { tenant, id: profileId } });
  }

  create(tx: Db, data: Prisma.DeviceUncheckedCreateInput): Promise<DeviceWithProfile> {
    return tx.device.create({ data, include: { profile: true } });
  }

  /** Applies `data` if the device still has `version`; undefined when someone else changed it first. */
  async update(
    tx: Db,
    tenant: string,
    id: string,
    version: number,
    data: Prisma.DeviceUncheckedUpdateManyInput,
  ): Promise<DeviceWithProfile | undefined> {
    const { count } = await tx.device.updateMany({
      where: { tenant, id, version },
      data: { ...data, version: { increment: 1 } },
    });
    if (count === 0) return undefined;
    return (await this.find(tenant, id, tx)) ?? undefined;
  }

  async delete(tx: Db, tenant: string, id: string): Promise<boolean> {
    const { count } = await tx.device.deleteMany({ where: { tenant, id } });
    return count > 0;
  }

  async list(tenant: string, query: DeviceQuery): Promise<{ rows: Device[]; total: number }> {
    const where: Prisma.DeviceWhereInput = {
      tenant,
      ...(query.state && { state: query.state as LifecycleState }),
      ...(query.profileId && { profileId: query.profileId }),
      ...(query.tag && { tags: { has: query.tag } }),
      ...(query.externalId && { externalId: query.externalId }),
    };
    const [rows, total] = await Promise.all([
      this.prisma.device.findMany({ where, orderBy: { id: 'asc' }, take: query.limit, skip: query.offset }),
      this.prisma.device.count({ where }),
    ]);
    return { rows, total };
  }

  /** Credentials still valid at `now` (not revoked, not past their end). */
  validCredentials(tx: Db, tenant: string, deviceId: string, now: Date): Promise<DeviceCredential[]> {
    return tx.deviceCredential.findMany({
      where: { tenant, deviceId, revokedAt: null, OR: [{ validUntil: null }, { validUntil: { gt: now } }] },
      orderBy: { validFrom: 'asc' },
    });
  }

  credentials(tenant: string, deviceId: string): Promise<DeviceCredential[]> {
    return this.prisma.deviceCredential.findMany({
      where: { tenant, deviceId },
      orderBy: { validFrom: 'asc' },
    });
  }

  createCredential(tx: Db, data: Prisma.DeviceCredentialUncheckedCreateInput): Promise<DeviceCredential> {
    return tx.deviceCredential.create({ data });
  }

  /** Ends a credential at `validUntil`; `revokedAt` marks a revocation (as opposed to a rotation). */
  endCredential(tx: Db, id: string, validUntil: Date, revokedAt?: Date): Promise<DeviceCredential> {
    return tx.deviceCredential.update({
      where: { id },
      data: { validUntil, ...(revokedAt && { revokedAt }) },
    });
  }

  findCredential(tx: Db, tenant: string, deviceId: string, id: string): Promise<DeviceCredential | null> {
    return tx.deviceCredential.findFirst({ where: { tenant, deviceId, id } });
  }

  createMany(tx: Db, data: Prisma.DeviceCreateManyInput[]): Promise<Device[]> {
    return tx.device.createManyAndReturn({ data });
  }

  async profilesByIdOrName(
    tenant: string,
    ids: string[],
    names: string[],
  ): Promise<{ byId: Map<string, DeviceProfile>; byName: Map<string, DeviceProfile> }> {
    const rows =
      ids.length + names.length === 0
        ? []
        : await this.prisma.deviceProfile.findMany({
            where: { tenant, OR: [{ id: { in: [...new Set(ids)] } }, { name: { in: [...new Set(names)] } }] },
          });
    return { byId: new Map(rows.map((r) => [r.id, r])), byName: new Map(rows.map((r) => [r.name, r])) };
  }

  /** Devices of the tenant that already hold any of these external ids, ids or DevEUIs. */
  async existing(
    tenant: string,
    keys: { externalIds: string[]; ids: string[]; devEuis: string[] },
  ): Promise<{
    byExternalId: Map<string, Device>;
    byId: Map<string, Device>;
    byDevEui: Map<string, Device>;
  }> {
    const rows: Device[] = [];
    const lookups: [keyof Device & ('externalId' | 'id' | 'devEui'), string[]][] = [
      ['externalId', keys.externalIds],
      ['id', keys.ids],
      ['devEui', keys.devEuis],
    ];
    for (const [field, values] of lookups) {
      for (let start = 0; start < values.length; start += 1000) {
        rows.push(
          ...(await this.prisma.device.findMany({
            where: { tenant, [field]: { in: values.slice(start, start + 1000) } },
          })),
        );
      }
    }
    const index = (field: 'externalId' | 'id' | 'devEui') =>
      new Map(rows.flatMap((row) => (row[field] === null ? [] : [[row[field] as string, row] as const])));
    return { byExternalId: index('externalId'), byId: index('id'), byDevEui: index('devEui') };
  }
}
