import { Inject, Injectable } from '@nestjs/common';
import type { Db } from '../common/database';
import type { DeviceWithProfile } from '../devices/devices.repository';
import { PrismaClient } from '../prisma-client/client';

/** What decoding reads and writes of the registry. */
@Injectable()
export class DecodingRepository {
  constructor(@Inject(PrismaClient) private readonly prisma: PrismaClient) {}

  /** The devices of a batch, with their profiles, by `<tenant>/<deviceId>`. */
  async devicesOf(keys: { tenant: string; id: string }[]): Promise<Map<string, DeviceWithProfile>> {
    const byTenant = new Map<string, Set<string>>();
    for (const { tenant, id } of keys) byTenant.set(tenant, (byTenant.get(tenant) ?? new Set()).add(id));
    const rows = await this.prisma.device.findMany({
      where: { OR: [...byTenant].map(([tenant, ids]) => ({ tenant, id: { in: [...ids] } })) },
      include: { profile: true },
    });
    return new Map(rows.map((row) => [`${row.tenant}/${row.id}`, row]));
  }

  /** Records when each device last reported, in one statement. */
  async markObserved(tx: Db, seen: readonly { tenant: string; id: string; at: Date }[]): Promise<void> {
    if (seen.length === 0) return;
    await tx.$executeRawUnsafe(
      `UPDATE device d SET last_observed_at = GREATEST(d.last_observed_at, v.at)
         FROM unnest($1::text[], $2::text[], $3::timestamptz[]) AS v(tenant, id, at)
        WHERE d.tenant = v.tenant AND d.id = v.id`,
      seen.map((s) => s.tenant),
      seen.map((s) => s.id),
      seen.map((s) => s.at.toISOString()),
    );
  }

  async countDecodeFailures(
    tx: Db,
    tenant: string,
    id: string,
    count: number,
    reason: string,
    at: Date,
  ): Promise<void> {
    await tx.$executeRawUnsafe(
      `UPDATE device SET decode_error_count = decode_error_count + $3, last_decode_error = $4, last_decode_error_at = $5
        WHERE tenant = $1 AND id = $2`,
      tenant,
      id,
      count,
      reason.slice(0, 1000),
      at,
    );
  }
}
