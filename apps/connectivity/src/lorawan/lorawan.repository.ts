import { Inject, Injectable } from '@nestjs/common';
import { type LorawanDevice, PrismaClient } from '../prisma-client/client';

export interface FrameCounterState {
  lastFCnt: number;
  lastEventId: string | null;
}

/** LoRaWAN state per device: last accepted frame counter, join, latest status. */
@Injectable()
export class LorawanRepository {
  constructor(@Inject(PrismaClient) private readonly prisma: PrismaClient) {}

  async frameCounter(tenant: string, devEui: string): Promise<FrameCounterState | null> {
    return this.prisma.lorawanDevice.findUnique({
      where: { tenant_devEui: { tenant, devEui } },
      select: { lastFCnt: true, lastEventId: true },
    });
  }

  /** Records an accepted frame; the counter only moves forward (two replicas may race). */
  async recordUplink(tenant: string, devEui: string, deviceId: string, fCnt: number, eventId: string): Promise<void> {
    await this.prisma.$executeRawUnsafe(
      `INSERT INTO lorawan_device (tenant, dev_eui, device_id, last_f_cnt, last_event_id, updated_at)
       VALUES ($1, $2, $3, $4, $5::uuid, now())
       ON CONFLICT (tenant, dev_eui) DO UPDATE SET
         device_id = EXCLUDED.device_id, last_f_cnt = EXCLUDED.last_f_cnt, last_event_id = EXCLUDED.last_event_id, updated_at = now()
       WHERE lorawan_device.last_f_cnt < EXCLUDED.last_f_cnt`,
      tenant,
      devEui,
      deviceId,
      fCnt,
      eventId,
    );
  }

  /** A (re)join starts a new session: its frame counters start again from 0. */
  async recordJoin(tenant: string, devEui: string, deviceId: string, devAddr: string | undefined, at: Date): Promise<void> {
    await this.prisma.lorawanDevice.upsert({
      where: { tenant_devEui: { tenant, devEui } },
      create: { tenant, devEui, deviceId, lastFCnt: -1, devAddr: devAddr ?? null, joinedAt: at },
      update: { deviceId, lastFCnt: -1, lastEventId: null, devAddr: devAddr ?? null, joinedAt: at },
    });
  }

  /** The device's LoRaWAN state (its latest DevEUI if it had several). */
  async findByDevice(tenant: string, deviceId: string): Promise<LorawanDevice | null> {
    return this.prisma.lorawanDevice.findFirst({ where: { tenant, deviceId }, orderBy: { updatedAt: 'desc' } });
  }

  async recordStatus(
    tenant: string,
    devEui: string,
    deviceId: string,
    status: { batteryLevel?: number; margin?: number; externalPower?: boolean; at: Date },
  ): Promise<void> {
    const fields = {
      deviceId,
      batteryLevel: status.batteryLevel ?? null,
      margin: status.margin ?? null,
      externalPower: status.externalPower ?? null,
      statusAt: status.at,
    };
    await this.prisma.lorawanDevice.upsert({
      where: { tenant_devEui: { tenant, devEui } },
      create: { tenant, devEui, ...fields },
      update: fields,
    });
  }
}
