import { Injectable } from '@nestjs/common';
import type { Principal } from '@urbis/auth';
import { createEvent, type EventOf } from '@urbis/contracts';
import { claimEvent, enqueueEvent, messageKeyOf, OutboxRelay, PermanentEventError } from '@urbis/messaging';
import { randomUUID } from 'node:crypto';
import type { JsonValue } from '../common/json';
import { DevicesErrorCode, DevicesProblem } from '../common/problems';
import { DevicesRepository } from '../devices/devices.repository';
import { type Command, Prisma } from '../prisma-client/client';
import type { CommandHistoryQuery, CommandRequest, CommandView } from './command.dto';
import { canAdvance, statusOfOutcome } from './command-status';
import { CommandsRepository } from './commands.repository';

type CommandResponse = EventOf<'connectivity.command.responded.v1'>;

export const COMMAND_RESPONSES_CONSUMER = 'devices.command-responses';

export function commandViewOf(row: Command): CommandView {
  return {
    id: row.id,
    deviceId: row.deviceId,
    name: row.name,
    ...(row.params !== null && { params: row.params as JsonValue }),
    status: row.status,
    ttlSeconds: row.ttlSeconds,
    expiresAt: row.expiresAt.toISOString(),
    ...(row.requestedBy !== null && { requestedBy: row.requestedBy }),
    ...(row.response !== null && { response: row.response as JsonValue }),
    ...(row.reason !== null && { reason: row.reason }),
    createdAt: row.createdAt.toISOString(),
    ...(row.sentAt !== null && { sentAt: row.sentAt.toISOString() }),
    ...(row.deliveredAt !== null && { deliveredAt: row.deliveredAt.toISOString() }),
    ...(row.completedAt !== null && { completedAt: row.completedAt.toISOString() }),
  };
}

/**
 * Commands: requested through the API, handed to connectivity as `devices.command.requested.v1`
 * (status `sent` once the outbox published it), then advanced by connectivity's responses:
 * `delivered`, `succeeded`, `failed`, or `expired` when nobody delivered it within its TTL.
 */
@Injectable()
export class CommandsService {
  constructor(
    private readonly commands: CommandsRepository,
    private readonly devices: DevicesRepository,
    private readonly relay: OutboxRelay,
  ) {}

  async request(
    tenant: string,
    deviceId: string,
    body: CommandRequest,
    caller: Principal,
  ): Promise<CommandView> {
    const command = await this.commands.transaction(async (tx) => {
      const device = await this.devices.find(tenant, deviceId, tx);
      if (!device)
        throw new DevicesProblem(DevicesErrorCode.DeviceNotFound, `No device ${deviceId} in this tenant.`);
      if (device.state !== 'active') {
        throw new DevicesProblem(
          DevicesErrorCode.DeviceNotActive,
          `Device ${deviceId} is ${device.state}; only active devices take commands.`,
          { state: device.state },
        );
      }
      return this.enqueue(tx, tenant, deviceId, body, caller.subject);
    });
    this.relay.nudge();
    return commandViewOf(command);
  }

  /** Records a command and its request event in the caller's transaction (the twin uses it too). */
  async enqueue(
    tx: Prisma.TransactionClient,
    tenant: string,
    deviceId: string,
    body: CommandRequest,
    requestedBy?: string,
  ): Promise<Command> {
    const now = new Date();
    const expiresAt = new Date(now.getTime() + body.ttlSeconds * 1000);
    const id = randomUUID();
    const event = createEvent('devices.command.requested.v1', {
      tenant,
      source: 'devices',
      payload: {
        commandId: id,
        deviceId,
        name: body.name,
        ...(body.params !== undefined && { params: body.params }),
        expiresAt: expiresAt.toISOString(),
        ...(requestedBy !== undefined && { requestedBy }),
      },
    });
    const command = await this.commands.create(tx, {
      id,
      tenant,
      deviceId,
      name: body.name,
      params: body.params === undefined || body.params === null ? Prisma.DbNull : body.params,
      ttlSeconds: body.ttlSeconds,
      expiresAt,
      requestedBy: requestedBy ?? null,
      requestEventId: event.id,
      createdAt: now,
    });
    await enqueueEvent(tx, 'devices.command.requested.v1', event, {
      key: messageKeyOf('devices.command.requested.v1', event),
    });
    return command;
  }

  async get(tenant: string, deviceId: string, id: string): Promise<CommandView> {
    const row = await this.commands.find(tenant, deviceId, id);
    if (!row) {
      throw new DevicesProblem(DevicesErrorCode.CommandNotFound, `Device ${deviceId} has no command ${id}.`);
    }
    return commandViewOf(row);
  }

  async history(tenant: string, deviceId: string, query: CommandHistoryQuery) {
    if (!(await this.devices.find(tenant, deviceId))) {
      throw new DevicesProblem(DevicesErrorCode.DeviceNotFound, `No device ${deviceId} in this tenant.`);
    }
    const { rows, total } = await this.commands.history(tenant, deviceId, query);
    return { items: rows.map(commandViewOf), total };
  }

  /** Applies connectivity's answers; each event once, statuses only forward. */
  async handleResponses(events: readonly CommandResponse[]): Promise<void> {
    for (const event of events) {
      await this.commands.transaction(async (tx) => {
        if (!(await claimEvent(tx, COMMAND_RESPONSES_CONSUMER, event.id))) return;
        const { commandId, deviceId, outcome } = event.payload;
        const command = await this.commands.findForUpdate(tx, event.tenant, commandId);
        if (!command || command.deviceId !== deviceId) {
          throw new PermanentEventError(
            `no command ${commandId} for device ${deviceId} in tenant ${event.tenant}`,
          );
        }
        const to = statusOfOutcome(outcome);
        if (!canAdvance(command.status, to)) return;
        const at = new Date(event.payload.at);
        const reason =
          event.payload.reason ?? (outcome === 'rejected' ? 'rejected by connectivity' : undefined);
        await this.commands.advance(tx, event.tenant, commandId, [command.status], {
          status: to,
          ...(to === 'delivered' ? { deliveredAt: at } : { completedAt: at }),
          ...(command.sentAt === null && { sentAt: at }),
          ...(event.payload.response !== undefined && {
            response: event.payload.response === null ? Prisma.DbNull : event.payload.response,
          }),
          ...(reason !== undefined && { reason }),
        });
      });
    }
  }
}
