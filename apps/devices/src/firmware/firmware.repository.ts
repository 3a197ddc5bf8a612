import { Inject, Injectable } from '@nestjs/common';
import type { Db } from '../common/database';
import {
  type CampaignDevice,
  type CampaignDeviceStatus,
  type FirmwareArtifact,
  type FirmwareCampaign,
  Prisma,
  PrismaClient,
} from '../prisma-client/client';

/** A campaign device with what the engine reads about it: the device's state, twin report and command. */
export interface TrackedDevice extends CampaignDevice {
  deviceState: string | null;
  reported: Prisma.JsonValue | null;
  reportedUpdatedAt: Date | null;
  commandStatus: string | null;
  commandReason: string | null;
}

/** Firmware artifacts and campaigns; every query names the tenant (the engine's by campaign id). */
@Injectable()
export class FirmwareRepository {
  constructor(@Inject(PrismaClient) private readonly prisma: PrismaClient) {}

  transaction<T>(fn: (tx: Db) => Promise<T>): Promise<T> {
    return this.prisma.$transaction(fn, { timeout: 60_000 });
  }

  createArtifact(data: Prisma.FirmwareArtifactUncheckedCreateInput): Promise<FirmwareArtifact> {
    return this.prisma.firmwareArtifact.create({ data });
  }

  artifact(tenant: string, id: string, db: Db = this.prisma): Promise<FirmwareArtifact | null> {
    return db.firmwareArtifact.findFirst({ where: { tenant, id } });
  }

  artifacts(tenant: string): Promise<FirmwareArtifact[]> {
    return this.prisma.firmwareArtifact.findMany({ where: { tenant }, orderBy: { createdAt: 'desc' } });
  }

  /** Active devices of the tenant matching the target. */
  async targets(tx: Db, tenant: string, target: { profileId?: string; tags?: string[] }): Promise<string[]> {
    const rows = await tx.device.findMany({
      where: {
        tenant,
        state: 'active',
        ...(target.profileId && { profileId: target.profileId }),
        ...(target.tags?.length && { tags: { hasEvery: target.tags } }),
      },
      select: { id: true },
    });
    return rows.map((row) => row.id);
  }

  createCampaign(tx: Db, data: Prisma.FirmwareCampaignUncheckedCreateInput): Promise<FirmwareCampaign> {
    return tx.firmwareCampaign.create({ data });
  }

  addDevices(tx: Db, rows: Prisma.CampaignDeviceCreateManyInput[]): Promise<Prisma.BatchPayload> {
    return tx.campaignDevice.createMany({ data: rows });
  }

  campaign(tenant: string, id: string, db: Db = this.prisma): Promise<FirmwareCampaign | null> {
    return db.firmwareCampaign.findFirst({ where: { tenant, id } });
  }

  campaigns(tenant: string): Promise<FirmwareCampaign[]> {
    return this.prisma.firmwareCampaign.findMany({ where: { tenant }, orderBy: { createdAt: 'desc' } });
  }

  /** Locks a campaign for this transaction; undefined if another instance holds it. */
  async lockCampaign(tx: Db, id: string): Promise<FirmwareCampaign | undefined> {
    const rows = await tx.$queryRawUnsafe<{ id: string }[]>(
      'SELECT id FROM firmware_campaign WHERE id = $1::uuid FOR UPDATE SKIP LOCKED',
      id,
    );
    if (rows.length === 0) return undefined;
    return (await tx.firmwareCampaign.findUnique({ where: { id } })) ?? undefined;
  }

  activeCampaignIds(): Promise<{ id: string }[]> {
    return this.prisma.firmwareCampaign.findMany({
      where: { status: { in: ['running', 'rolling_back'] } },
      select: { id: true },
    });
  }

  updateCampaign(
    tx: Db,
    id: string,
    data: Prisma.FirmwareCampaignUncheckedUpdateInput,
  ): Promise<FirmwareCampaign> {
    return tx.firmwareCampaign.update({ where: { id }, data });
  }

  statusCounts(
    campaignId: string,
    db: Db = this.prisma,
  ): Promise<{ wave: number; status: CampaignDeviceStatus; count: number }[]> {
    return db.$queryRawUnsafe(
      `SELECT wave, status::text AS status, count(*)::int AS count FROM campaign_device
        WHERE campaign_id = $1::uuid GROUP BY wave, status`,
      campaignId,
    );
  }

  devices(tenant: string, campaignId: string, limit: number, offset: number): Promise<CampaignDevice[]> {
    return this.prisma.campaignDevice.findMany({
      where: { tenant, campaignId },
      orderBy: [{ wave: 'asc' }, { deviceId: 'asc' }],
      take: limit,
      skip: offset,
    });
  }

  /** The campaign's devices in the given statuses, with their device state, twin report and command status. */
  tracked(
    tx: Db,
    campaignId: string,
    statuses: CampaignDeviceStatus[],
    maxWave?: number,
  ): Promise<TrackedDevice[]> {
    return tx.$queryRawUnsafe<TrackedDevice[]>(
      `SELECT cd.campaign_id AS "campaignId", cd.tenant, cd.device_id AS "deviceId", cd.wave, cd.status,
              cd.command_id AS "commandId", cd.attempts, cd.notified_at AS "notifiedAt", cd.last_error AS "lastError",
              cd.updated_at AS "updatedAt", d.state::text AS "deviceState", t.reported,
              t.reported_updated_at AS "reportedUpdatedAt", c.status::text AS "commandStatus", c.reason AS "commandReason"
         FROM campaign_device cd
         LEFT JOIN device d ON d.tenant = cd.tenant AND d.id = cd.device_id
         LEFT JOIN device_twin t ON t.tenant = cd.tenant AND t.device_id = cd.device_id
         LEFT JOIN command c ON c.id = cd.command_id
        WHERE cd.campaign_id = $1::uuid AND cd.status::text = ANY($2::text[]) AND ($3::int IS NULL OR cd.wave <= $3::int)`,
      campaignId,
      statuses,
      maxWave ?? null,
    );
  }

  updateDevice(
    tx: Db,
    campaignId: string,
    deviceId: string,
    data: Prisma.CampaignDeviceUncheckedUpdateInput,
  ): Promise<CampaignDevice> {
    return tx.campaignDevice.update({ where: { campaignId_deviceId: { campaignId, deviceId } }, data });
  }
}
