import { Inject, Injectable } from '@nestjs/common';
import type { Db } from '../common/database';
import { type DeviceTwin, Prisma, PrismaClient } from '../prisma-client/client';

/** Device twins; every query names the tenant. */
@Injectable()
export class TwinRepository {
  constructor(@Inject(PrismaClient) private readonly prisma: PrismaClient) {}

  transaction<T>(fn: (tx: Db) => Promise<T>): Promise<T> {
    return this.prisma.$transaction(fn, { timeout: 30_000 });
  }

  find(tenant: string, deviceId: string, db: Db = this.prisma): Promise<DeviceTwin | null> {
    return db.deviceTwin.findFirst({ where: { tenant, deviceId } });
  }

  /** The twin, created empty on first use, locked for the rest of the transaction. */
  async lock(tx: Db, tenant: string, deviceId: string): Promise<DeviceTwin> {
    await tx.$executeRawUnsafe(
      'INSERT INTO device_twin (tenant, device_id) VALUES ($1, $2) ON CONFLICT DO NOTHING',
      tenant,
      deviceId,
    );
    await tx.$queryRawUnsafe(
      'SELECT 1 FROM device_twin WHERE tenant = $1 AND device_id = $2 FOR UPDATE',
      tenant,
      deviceId,
    );
    const twin = await this.find(tenant, deviceId, tx);
    if (!twin) throw new Error(`device_twin row of ${tenant}/${deviceId} vanished inside its transaction`);
    return twin;
  }

  update(
    tx: Db,
    tenant: string,
    deviceId: string,
    data: Prisma.DeviceTwinUncheckedUpdateInput,
  ): Promise<DeviceTwin> {
    return tx.deviceTwin.update({ where: { tenant_deviceId: { tenant, deviceId } }, data });
  }
}
