import { Inject, Injectable } from '@nestjs/common';
import { createEvent } from '@urbis/contracts';
import { enqueueEvent, type SqlExecutor } from '@urbis/messaging';
import { PrismaClient } from '../prisma-client/client';

export type Status = 'online' | 'offline';
/** Why a device's status is what it is. `keepalive-timeout` travels as `disconnected` in the v1 event. */
export type StatusReason = 'connected' | 'disconnected' | 'keepalive-timeout' | 'silent' | 'uplink' | 'blocked';
export type StatusTransport = 'mqtt' | 'http' | 'lorawan';

export interface Sighting {
  tenant: string;
  deviceId: string;
  transport: StatusTransport;
  at: Date;
}

interface TransitionRow {
  tenant: string;
  device_id: string;
  status: Status;
  reason: StatusReason;
  previous_status: Status | null;
  last_seen_at: Date | null;
  changed_at: Date;
}

export interface DeviceStatusView {
  tenant: string;
  deviceId: string;
  status: Status;
  reason: StatusReason;
  transport: StatusTransport;
  lastSeenAt: Date | null;
  changedAt: Date;
  sessionReplica: string | null;
  sessionConnectedAt: Date | null;
  sessionAddress: string | null;
}

export interface LinkSampleView {
  at: Date;
  transport: string;
  fCnt: number | null;
  gatewayId: string | null;
  rssi: number | null;
  snr: number | null;
  gateways: unknown;
}

const V1_REASON: Record<StatusReason, 'connected' | 'disconnected' | 'silent' | 'uplink' | 'blocked'> = {
  connected: 'connected',
  disconnected: 'disconnected',
  'keepalive-timeout': 'disconnected',
  silent: 'silent',
  uplink: 'uplink',
  blocked: 'blocked',
};

const RETURNING = 'tenant, device_id, status, reason, last_seen_at, changed_at';

/**
 * Device status and sessions, and the link-quality samples. Every status change is written
 * together with its `connectivity.device-status.changed.v1` event in the outbox (one transaction),
 * so a crash can lose neither.
 */
@Injectable()
export class DeviceStatusRepository {
  constructor(@Inject(PrismaClient) private readonly prisma: PrismaClient) {}

  async sessionOpened(tenant: string, deviceId: string, replica: string, connectedAt: Date, address: string | null): Promise<void> {
    await this.transition(
      `WITH prev AS (SELECT status FROM device_status WHERE tenant = $1 AND device_id = $2)
       , up AS (
         INSERT INTO device_status (tenant, device_id, status, reason, transport, last_seen_at, changed_at, session_replica, session_connected_at, session_address)
         VALUES ($1, $2, 'online', 'connected', 'mqtt', $4, $4, $3, $4, $5)
         ON CONFLICT (tenant, device_id) DO UPDATE SET
           status = 'online', transport = 'mqtt', last_seen_at = GREATEST(device_status.last_seen_at, EXCLUDED.last_seen_at),
           reason = CASE WHEN device_status.status = 'online' THEN device_status.reason ELSE 'connected' END,
           changed_at = CASE WHEN device_status.status = 'online' THEN device_status.changed_at ELSE EXCLUDED.changed_at END,
           session_replica = EXCLUDED.session_replica, session_connected_at = EXCLUDED.session_connected_at,
           session_address = EXCLUDED.session_address
         RETURNING ${RETURNING})
       SELECT up.*, (SELECT status FROM prev) AS previous_status FROM up`,
      [tenant, deviceId, replica, connectedAt, address],
    );
  }

  /** Closes the session only if it is still the one that was opened (a newer one may live on another replica). */
  async sessionClosed(tenant: string, deviceId: string, replica: string, connectedAt: Date, reason: StatusReason): Promise<void> {
    await this.transition(
      `UPDATE device_status SET status = 'offline', reason = $5, changed_at = now(),
              session_replica = NULL, session_connected_at = NULL, session_address = NULL
       WHERE tenant = $1 AND device_id = $2 AND session_replica = $3 AND session_connected_at = $4
       RETURNING ${RETURNING}, 'online'::text AS previous_status`,
      [tenant, deviceId, replica, connectedAt, reason],
    );
  }

  /** Sessions a replica held when it died or stopped: those devices are not connected any more. */
  async releaseReplica(replica: string): Promise<number> {
    return this.transition(
      `UPDATE device_status SET status = 'offline', reason = 'disconnected', changed_at = now(),
              session_replica = NULL, session_connected_at = NULL, session_address = NULL
       WHERE session_replica = $1
       RETURNING ${RETURNING}, 'online'::text AS previous_status`,
      [replica],
    );
  }

  /** Records when devices were last heard; a device heard while offline (or for the first time) comes online. */
  async seen(sightings: readonly Sighting[]): Promise<number> {
    if (sightings.length === 0) return 0;
    return this.transition(
      `WITH v AS (
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[]) AS v(tenant, device_id, transport, at)
       ), prev AS (
         SELECT s.tenant, s.device_id, s.status FROM device_status s JOIN v USING (tenant, device_id)
       ), up AS (
         INSERT INTO device_status (tenant, device_id, status, reason, transport, last_seen_at, changed_at)
         SELECT tenant, device_id, 'online', 'uplink', transport, at, at FROM v
         ON CONFLICT (tenant, device_id) DO UPDATE SET
           last_seen_at = GREATEST(device_status.last_seen_at, EXCLUDED.last_seen_at),
           transport = CASE WHEN device_status.session_replica IS NULL THEN EXCLUDED.transport ELSE device_status.transport END,
           status = 'online',
           reason = CASE WHEN device_status.status = 'online' THEN device_status.reason ELSE 'uplink' END,
           changed_at = CASE WHEN device_status.status = 'online' THEN device_status.changed_at ELSE EXCLUDED.changed_at END
         RETURNING ${RETURNING})
       -- Only the rows whose status changed: a busy replica sees every device every second.
       SELECT up.*, prev.status AS previous_status FROM up LEFT JOIN prev USING (tenant, device_id)
        WHERE prev.status IS DISTINCT FROM up.status`,
      [
        sightings.map((s) => s.tenant),
        sightings.map((s) => s.deviceId),
        sightings.map((s) => s.transport),
        sightings.map((s) => s.at.toISOString()),
      ],
    );
  }

  /** Online devices not heard for `tolerance` times their profile's expected interval go offline as silent. */
  async markSilent(tolerance: number): Promise<number> {
    return this.transition(
      `UPDATE device_status s SET status = 'offline', reason = 'silent', changed_at = now()
       FROM device d
       WHERE d.tenant = s.tenant AND d.device_id = s.device_id AND s.status = 'online'
         AND d.expected_interval_seconds IS NOT NULL
         AND s.last_seen_at < now() - make_interval(secs => d.expected_interval_seconds * $1::double precision)
       RETURNING s.tenant, s.device_id, s.status, s.reason, s.last_seen_at, s.changed_at, 'online'::text AS previous_status`,
      [tolerance],
    );
  }

  /** Devices of the registry by status, all tenants (a device never heard from counts as offline). */
  async countByStatus(): Promise<Record<Status, number>> {
    const rows = await this.prisma.$queryRawUnsafe<{ status: Status; devices: number }[]>(
      `SELECT coalesce(s.status, 'offline') AS status, count(*)::int AS devices
         FROM device d LEFT JOIN device_status s USING (tenant, device_id)
        WHERE NOT d.deleted AND d.state <> 'decommissioned'
        GROUP BY 1`,
    );
    const counts: Record<Status, number> = { online: 0, offline: 0 };
    for (const row of rows) counts[row.status] = row.devices;
    return counts;
  }

  async find(tenant: string, deviceId: string): Promise<DeviceStatusView | null> {
    const row = await this.prisma.deviceStatus.findUnique({ where: { tenant_deviceId: { tenant, deviceId } } });
    return row ? { ...row, status: row.status as Status, reason: row.reason as StatusReason, transport: row.transport as StatusTransport } : null;
  }

  /** Connected MQTT sessions of a tenant, ordered by device id, after `after`. */
  async sessions(tenant: string, limit: number, after: string | undefined): Promise<DeviceStatusView[]> {
    const rows = await this.prisma.deviceStatus.findMany({
      where: { tenant, sessionReplica: { not: null }, ...(after !== undefined && { deviceId: { gt: after } }) },
      orderBy: { deviceId: 'asc' },
      take: limit,
    });
    return rows.map((row) => ({ ...row, status: row.status as Status, reason: row.reason as StatusReason, transport: row.transport as StatusTransport }));
  }

  async addLinkSample(
    tenant: string,
    deviceId: string,
    sample: { at: Date; transport: string; fCnt?: number; gateways: { gatewayId: string; rssi?: number; snr?: number }[] },
    keep: number,
  ): Promise<void> {
    const best = [...sample.gateways].sort((a, b) => (b.rssi ?? -Infinity) - (a.rssi ?? -Infinity))[0];
    await this.prisma.$transaction([
      this.prisma.linkSample.create({
        data: {
          tenant,
          deviceId,
          at: sample.at,
          transport: sample.transport,
          fCnt: sample.fCnt ?? null,
          gatewayId: best?.gatewayId ?? null,
          rssi: best?.rssi ?? null,
          snr: best?.snr ?? null,
          gateways: sample.gateways,
        },
      }),
      this.prisma.$executeRawUnsafe(
        `DELETE FROM link_sample WHERE tenant = $1 AND device_id = $2 AND id NOT IN (
           SELECT id FROM link_sample WHERE tenant = $1 AND device_id = $2 ORDER BY at DESC, id DESC LIMIT $3)`,
        tenant,
        deviceId,
        keep,
      ),
    ]);
  }

  async linkSamples(tenant: string, deviceId: string, limit: number): Promise<LinkSampleView[]> {
    return this.prisma.linkSample.findMany({
      where: { tenant, deviceId },
      orderBy: [{ at: 'desc' }, { id: 'desc' }],
      take: limit,
      select: { at: true, transport: true, fCnt: true, gatewayId: true, rssi: true, snr: true, gateways: true },
    });
  }

  /** Runs a status change and enqueues one event per row whose status actually changed. */
  private async transition(sql: string, params: unknown[]): Promise<number> {
    return this.prisma.$transaction(async (tx) => {
      const rows = await tx.$queryRawUnsafe<TransitionRow[]>(sql, ...params);
      let changed = 0;
      for (const row of rows) {
        if (row.previous_status === row.status) continue;
        changed += 1;
        await enqueueStatusChange(tx, row);
      }
      return changed;
    });
  }
}

async function enqueueStatusChange(tx: SqlExecutor, row: TransitionRow): Promise<void> {
  const event = createEvent('connectivity.device-status.changed.v1', {
    tenant: row.tenant,
    source: 'connectivity',
    payload: {
      deviceId: row.device_id,
      status: row.status,
      ...(row.previous_status && { previousStatus: row.previous_status }),
      reason: V1_REASON[row.reason],
      ...(row.last_seen_at && { lastSeenAt: row.last_seen_at.toISOString() }),
      changedAt: row.changed_at.toISOString(),
    },
  });
  await enqueueEvent(tx, 'connectivity.device-status.changed.v1', event, { key: `${row.tenant}/${row.device_id}` });
}
