import { Inject, Injectable } from '@nestjs/common';
import type { SqlExecutor } from '@urbis/messaging';
import { DATABASE, type Database } from '@urbis/runtime';
import type { CodecSettings } from '../codecs/profile-definition';
import type { Device, DeviceProfile } from '../prisma-client/client';

/** What decoding needs of a device: its state and its profile's codec (named as stored: `cayenne-lpp`). */
export type DecodingDevice = Pick<Device, 'tenant' | 'id' | 'state'> & {
  profile: Pick<DeviceProfile, 'id' | 'version' | 'name' | 'entityType' | 'codecConfig' | 'attributes'> & {
    codec: CodecSettings['type'];
  };
};

/**
 * What decoding reads and writes of the registry, in raw SQL on the service's pool: it runs for
 * every uplink, and Prisma's query engine cost more CPU than the decoding itself.
 */
@Injectable()
export class DecodingRepository {
  constructor(@Inject(DATABASE) private readonly db: Database) {}

  /** Runs `fn` in one transaction. */
  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    return this.db.transaction(fn);
  }

  /** The devices of a batch, with their profiles, by `<tenant>/<deviceId>`. */
  async devicesOf(keys: { tenant: string; id: string }[]): Promise<Map<string, DecodingDevice>> {
    const rows = await this.db.$queryRawUnsafe<
      (Pick<Device, 'tenant' | 'id' | 'state'> & {
        profile_id: string;
        version: number;
        name: string;
        entity_type: string;
        codec: CodecSettings['type'];
        codec_config: DeviceProfile['codecConfig'];
        attributes: DeviceProfile['attributes'];
      })[]
    >(
      `SELECT d.tenant, d.id, d.state, p.id AS profile_id, p.version, p.name, p.entity_type, p.codec, p.codec_config, p.attributes
         FROM (SELECT DISTINCT * FROM unnest($1::text[], $2::text[])) AS k(tenant, id)
         JOIN device d ON d.tenant = k.tenant AND d.id = k.id
         JOIN device_profile p ON p.tenant = d.tenant AND p.id = d.profile_id`,
      keys.map((key) => key.tenant),
      keys.map((key) => key.id),
    );
    return new Map(
      rows.map((row) => [
        `${row.tenant}/${row.id}`,
        {
          tenant: row.tenant,
          id: row.id,
          state: row.state,
          profile: {
            id: row.profile_id,
            version: row.version,
            name: row.name,
            entityType: row.entity_type,
            codec: row.codec,
            codecConfig: row.codec_config,
            attributes: row.attributes,
          },
        },
      ]),
    );
  }

  /** Records when each device last reported, in one statement. */
  async markObserved(tx: SqlExecutor, seen: readonly { tenant: string; id: string; at: Date }[]): Promise<void> {
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
    tx: SqlExecutor,
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
