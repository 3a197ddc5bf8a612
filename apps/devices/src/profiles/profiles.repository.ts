import { Inject, Injectable } from '@nestjs/common';
import type { AttributeMapping, CodecSettings } from '../codecs/profile-definition';
import type { Db } from '../common/database';
import type { JsonValue } from '../common/json';
import { type DeviceProfile, Prisma, PrismaClient } from '../prisma-client/client';
import type { ProfileInput, ProfileView } from './profile.dto';

const toCodecColumn = (codec: CodecSettings) => (codec.type === 'cayenne-lpp' ? 'cayenne_lpp' : codec.type);

export function profileViewOf(row: DeviceProfile): ProfileView {
  const codecConfig = row.codecConfig as Record<string, JsonValue>;
  const codec = (
    row.codec === 'jsonata'
      ? { type: 'jsonata', expression: String(codecConfig['expression']) }
      : { type: row.codec === 'cayenne_lpp' ? 'cayenne-lpp' : 'json' }
  ) as CodecSettings;
  const view: ProfileView = {
    id: row.id,
    name: row.name,
    entityType: row.entityType,
    codec,
    attributes: row.attributes as unknown as AttributeMapping[],
    version: row.version,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
  if (row.description !== null) view.description = row.description;
  if (row.expectedIntervalSeconds !== null) view.expectedIntervalSeconds = row.expectedIntervalSeconds;
  if (row.limits !== null) view.limits = row.limits as ProfileView['limits'];
  return view;
}

function columnsOf(input: ProfileInput) {
  return {
    name: input.name,
    description: input.description ?? null,
    entityType: input.entityType,
    codec: toCodecColumn(input.codec),
    codecConfig: input.codec.type === 'jsonata' ? { expression: input.codec.expression } : {},
    attributes: input.attributes,
    expectedIntervalSeconds: input.expectedIntervalSeconds ?? null,
    limits: input.limits ?? Prisma.DbNull,
  } as const;
}

/** Device profiles of a tenant. Every query names the tenant. */
@Injectable()
export class ProfilesRepository {
  constructor(@Inject(PrismaClient) private readonly prisma: PrismaClient) {}

  transaction<T>(fn: (tx: Db) => Promise<T>): Promise<T> {
    return this.prisma.$transaction(fn, { timeout: 60_000 });
  }

  create(tx: Db, tenant: string, id: string, input: ProfileInput): Promise<DeviceProfile> {
    return tx.deviceProfile.create({ data: { id, tenant, ...columnsOf(input) } });
  }

  /** Replaces the definition if `version` (when given) still matches; undefined when there is no such profile. */
  async replace(tx: Db, tenant: string, id: string, input: ProfileInput): Promise<DeviceProfile | undefined> {
    const { count } = await tx.deviceProfile.updateMany({
      where: { tenant, id },
      data: { ...columnsOf(input), version: { increment: 1 } },
    });
    return count === 0
      ? undefined
      : ((await tx.deviceProfile.findFirst({ where: { tenant, id } })) ?? undefined);
  }

  find(tenant: string, id: string, db: Db = this.prisma): Promise<DeviceProfile | null> {
    return db.deviceProfile.findFirst({ where: { tenant, id } });
  }

  async list(
    tenant: string,
    limit: number,
    offset: number,
  ): Promise<{ rows: DeviceProfile[]; total: number }> {
    const [rows, total] = await Promise.all([
      this.prisma.deviceProfile.findMany({
        where: { tenant },
        orderBy: { name: 'asc' },
        take: limit,
        skip: offset,
      }),
      this.prisma.deviceProfile.count({ where: { tenant } }),
    ]);
    return { rows, total };
  }

  countDevices(tx: Db, tenant: string, id: string): Promise<number> {
    return tx.device.count({ where: { tenant, profileId: id } });
  }

  async delete(tx: Db, tenant: string, id: string): Promise<boolean> {
    const { count } = await tx.deviceProfile.deleteMany({ where: { tenant, id } });
    return count > 0;
  }
}
