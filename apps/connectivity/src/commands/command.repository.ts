import { Inject, Injectable } from '@nestjs/common';
import { createEvent, type EventOf, type PayloadOf } from '@urbis/contracts';
import { enqueueEvent, type SqlExecutor } from '@urbis/messaging';
import { PrismaClient } from '../prisma-client/client';

export const COMMANDS_CHANNEL = 'connectivity_commands';

export interface PendingCommand {
  commandId: string;
  tenant: string;
  deviceId: string;
  name: string;
  params: unknown;
  expiresAt: Date;
}

type Outcome = PayloadOf<'connectivity.command.responded.v1'>['outcome'];

/**
 * Commands held for devices. The table is also the rendezvous between replicas: the replica that
 * stores a command notifies the channel (at commit), and the replica holding the device's
 * session delivers it. Every outcome is written with its `connectivity.command.responded.v1`
 * event in the outbox.
 */
@Injectable()
export class CommandRepository {
  constructor(@Inject(PrismaClient) private readonly prisma: PrismaClient) {}

  /** Stores a requested command once (redelivery is harmless) and wakes the replica holding the device. */
  async store(event: EventOf<'devices.command.requested.v1'>, replica: string): Promise<void> {
    const command = event.payload;
    await this.prisma.$transaction(async (tx) => {
      const inserted = await tx.$executeRawUnsafe(
        `INSERT INTO device_command (command_id, tenant, device_id, name, params, expires_at, status, received_by, updated_at)
         VALUES ($1::uuid, $2, $3, $4, $5::jsonb, $6::timestamptz, 'pending', $7, now())
         ON CONFLICT (command_id) DO NOTHING`,
        command.commandId,
        event.tenant,
        command.deviceId,
        command.name,
        command.params === undefined ? null : JSON.stringify(command.params),
        command.expiresAt,
        replica,
      );
      if (inserted === 1) await tx.$queryRawUnsafe('SELECT pg_notify($1, $2)::text AS notified', COMMANDS_CHANNEL, `${event.tenant}/${command.deviceId}`);
    });
  }

  async pendingFor(tenant: string, deviceId: string): Promise<PendingCommand[]> {
    return this.prisma.deviceCommand.findMany({
      where: { tenant, deviceId, status: 'pending', expiresAt: { gt: new Date() } },
      orderBy: { createdAt: 'asc' },
      select: { commandId: true, tenant: true, deviceId: true, name: true, params: true, expiresAt: true },
    });
  }

  /** Devices with commands still waiting for delivery. */
  async devicesWithPending(): Promise<{ tenant: string; deviceId: string }[]> {
    return this.prisma.deviceCommand.findMany({
      where: { status: 'pending', expiresAt: { gt: new Date() } },
      distinct: ['tenant', 'deviceId'],
      select: { tenant: true, deviceId: true },
    });
  }

  /** The command was written to the device's live session: delivered, once. */
  async delivered(tenant: string, deviceId: string, commandId: string, replica: string): Promise<boolean> {
    const settled = await this.settle(
      `UPDATE device_command SET status = 'delivered', delivered_by = $4, delivered_at = now(), updated_at = now()
       WHERE command_id = $1::uuid AND tenant = $2 AND device_id = $3 AND status = 'pending'
       RETURNING command_id, tenant, device_id`,
      [commandId, tenant, deviceId, replica],
      'delivered',
    );
    return settled > 0;
  }

  /**
   * The device answered; false when it has no such open command. An answer can overtake the
   * replica's own `delivered` write (the device replies as soon as it reads the command), so a
   * still-pending command is settled as delivered first, by this replica, in the same transaction.
   */
  async responded(
    tenant: string,
    deviceId: string,
    commandId: string,
    answer: { outcome: 'succeeded' | 'failed'; response?: PayloadOf<'connectivity.command.responded.v1'>['response']; reason?: string | undefined },
    replica: string,
  ): Promise<boolean> {
    return this.prisma.$transaction(async (tx) => {
      const rows = await tx.$queryRawUnsafe<{ was: string }[]>(
        `UPDATE device_command d SET status = $4, delivered_by = COALESCE(d.delivered_by, $5),
                delivered_at = COALESCE(d.delivered_at, now()), updated_at = now()
         FROM (SELECT command_id, status FROM device_command
               WHERE command_id = $1::uuid AND tenant = $2 AND device_id = $3 AND status IN ('pending', 'delivered')
               FOR UPDATE) previous
         WHERE d.command_id = previous.command_id
         RETURNING previous.status AS was`,
        commandId,
        tenant,
        deviceId,
        answer.outcome,
        replica,
      );
      const [row] = rows;
      if (!row) return false;
      if (row.was === 'pending') await enqueueOutcome(tx, tenant, deviceId, commandId, 'delivered', {});
      await enqueueOutcome(tx, tenant, deviceId, commandId, answer.outcome, answer);
      return true;
    });
  }

  /** Commands whose TTL passed before the device took them. */
  async expire(): Promise<number> {
    return this.settle(
      `UPDATE device_command SET status = 'expired', updated_at = now()
       WHERE status = 'pending' AND expires_at <= now()
       RETURNING command_id, tenant, device_id`,
      [],
      'expired',
      { reason: 'not delivered before it expired' },
    );
  }

  async statusOf(commandId: string): Promise<{ status: string; receivedBy: string; deliveredBy: string | null } | null> {
    return this.prisma.deviceCommand.findUnique({
      where: { commandId },
      select: { status: true, receivedBy: true, deliveredBy: true },
    });
  }

  private async settle(
    sql: string,
    params: unknown[],
    outcome: Outcome,
    extra: { response?: PayloadOf<'connectivity.command.responded.v1'>['response']; reason?: string } = {},
  ): Promise<number> {
    return this.prisma.$transaction(async (tx) => {
      const rows = await tx.$queryRawUnsafe<{ command_id: string; tenant: string; device_id: string }[]>(sql, ...params);
      for (const row of rows) await enqueueOutcome(tx, row.tenant, row.device_id, row.command_id, outcome, extra);
      return rows.length;
    });
  }
}

async function enqueueOutcome(
  tx: SqlExecutor,
  tenant: string,
  deviceId: string,
  commandId: string,
  outcome: Outcome,
  extra: { response?: PayloadOf<'connectivity.command.responded.v1'>['response']; reason?: string },
): Promise<void> {
  const event = createEvent('connectivity.command.responded.v1', {
    tenant,
    source: 'connectivity',
    payload: {
      commandId,
      deviceId,
      outcome,
      ...(extra.response !== undefined && { response: extra.response }),
      ...(extra.reason !== undefined && { reason: extra.reason }),
      at: new Date().toISOString(),
    },
  });
  await enqueueEvent(tx, 'connectivity.command.responded.v1', event, { key: `${tenant}/${deviceId}` });
}
