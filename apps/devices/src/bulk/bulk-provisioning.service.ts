import { Injectable } from '@nestjs/common';
import { enqueueEvents, OutboxRelay } from '@urbis/messaging';
import { randomUUID } from 'node:crypto';
import type { z } from 'zod';
import { DevicesProblem } from '../common/problems';
import { deviceChangedItems, lifecycleChangedItem } from '../devices/device-events';
import { DevicesRepository } from '../devices/devices.repository';
import { DevicesService } from '../devices/devices.service';
import { type Device, type DeviceProfile, Prisma } from '../prisma-client/client';
import { type BulkRow, bulkRow, type RawRow } from './bulk-input';

export interface BulkRowResult {
  row: number;
  status: 'created' | 'unchanged' | 'error';
  externalId?: string;
  deviceId?: string;
  reason?: string;
}

export interface BulkOutcome {
  summary: { rows: number; created: number; unchanged: number; failed: number };
  results: BulkRowResult[];
}

/** Rows written per transaction: each chunk commits its devices and their events together. */
const CHUNK = 500;
const CONCURRENT_CHUNKS = 4;

interface Planned {
  index: number;
  row: BulkRow;
  id: string;
  profile: DeviceProfile;
}

const issuesOf = (error: z.ZodError) =>
  error.issues
    .map((issue) => `${issue.path.length ? issue.path.join('.') : '(row)'}: ${issue.message}`)
    .join('; ');

function sameRecord(device: Device, row: BulkRow, profile: DeviceProfile): boolean {
  return (
    device.profileId === profile.id &&
    (row.id === undefined || row.id === device.id) &&
    (row.name ?? null) === device.name &&
    JSON.stringify([...row.tags].sort()) === JSON.stringify([...device.tags].sort()) &&
    JSON.stringify(row.location ?? null) === JSON.stringify(device.location) &&
    (row.lorawan?.devEui ?? null) === device.devEui
  );
}

/**
 * Provisions up to 10,000 devices in one request, idempotent by external id: each row is
 * created, unchanged (the same external id with the same record), or an error with its reason.
 * One bad row never rejects the good ones; a created device and its events commit together.
 */
@Injectable()
export class BulkProvisioningService {
  constructor(
    private readonly devices: DevicesRepository,
    private readonly single: DevicesService,
    private readonly relay: OutboxRelay,
  ) {}

  async provision(tenant: string, rows: RawRow[]): Promise<BulkOutcome> {
    const results: BulkRowResult[] = rows.map((raw) => ({ row: raw.row, status: 'error' }));
    const fail = (index: number, reason: string) => {
      results[index] = { ...results[index], status: 'error', reason };
    };

    const valid: { index: number; row: BulkRow }[] = [];
    const seen = {
      externalId: new Map<string, number>(),
      id: new Map<string, number>(),
      devEui: new Map<string, number>(),
    };
    rows.forEach((raw, index) => {
      if (raw.error !== undefined) return fail(index, raw.error);
      const parsed = bulkRow.safeParse(raw.value);
      if (!parsed.success) {
        if (typeof raw.value?.['externalId'] === 'string')
          results[index].externalId = raw.value['externalId'];
        return fail(index, issuesOf(parsed.error));
      }
      const row = parsed.data;
      results[index].externalId = row.externalId;
      const keys: [keyof typeof seen, string | undefined][] = [
        ['externalId', row.externalId],
        ['id', row.id],
        ['devEui', row.lorawan?.devEui],
      ];
      for (const [field, value] of keys) {
        const first = value === undefined ? undefined : seen[field].get(value);
        if (first !== undefined) return fail(index, `${field} ${value} repeats row ${rows[first].row}`);
      }
      seen.externalId.set(row.externalId, index);
      if (row.id !== undefined) seen.id.set(row.id, index);
      if (row.lorawan) seen.devEui.set(row.lorawan.devEui, index);
      valid.push({ index, row });
    });

    const profiles = await this.devices.profilesByIdOrName(
      tenant,
      valid.flatMap(({ row }) => (row.profileId ? [row.profileId] : [])),
      valid.flatMap(({ row }) => (row.profile ? [row.profile] : [])),
    );
    const existing = await this.devices.existing(tenant, {
      externalIds: valid.map(({ row }) => row.externalId),
      ids: valid.flatMap(({ row }) => (row.id ? [row.id] : [])),
      devEuis: valid.flatMap(({ row }) => (row.lorawan ? [row.lorawan.devEui] : [])),
    });

    const planned: Planned[] = [];
    for (const { index, row } of valid) {
      const profile = row.profileId
        ? profiles.byId.get(row.profileId)
        : profiles.byName.get(row.profile ?? '');
      if (!profile) {
        fail(index, `profile ${row.profileId ?? row.profile} does not exist in this tenant`);
        continue;
      }
      const same = existing.byExternalId.get(row.externalId);
      if (same) {
        if (sameRecord(same, row, profile))
          results[index] = { ...results[index], status: 'unchanged', deviceId: same.id };
        else fail(index, `external id ${row.externalId} belongs to device ${same.id}, whose record differs`);
        continue;
      }
      if (row.id !== undefined && existing.byId.has(row.id)) {
        fail(index, `device ${row.id} already exists`);
        continue;
      }
      const holder = row.lorawan ? existing.byDevEui.get(row.lorawan.devEui) : undefined;
      if (holder) {
        fail(index, `DevEUI ${row.lorawan?.devEui} belongs to device ${holder.id}`);
        continue;
      }
      planned.push({ index, row, id: row.id ?? randomUUID(), profile });
    }

    const chunks: Planned[][] = [];
    for (let start = 0; start < planned.length; start += CHUNK)
      chunks.push(planned.slice(start, start + CHUNK));
    // A few chunks at a time: each is its own transaction, and the database has cores to spare.
    const queue = [...chunks];
    const worker = async () => {
      for (let chunk = queue.shift(); chunk; chunk = queue.shift()) {
        try {
          await this.createChunk(tenant, chunk);
          for (const p of chunk)
            results[p.index] = { ...results[p.index], status: 'created', deviceId: p.id };
        } catch (error) {
          if (!(error instanceof Prisma.PrismaClientKnownRequestError)) throw error;
          // A concurrent writer took an id: settle this chunk row by row.
          for (const p of chunk) await this.createOne(tenant, p, results, fail);
        }
        this.relay.nudge();
      }
    };
    await Promise.all(Array.from({ length: Math.min(CONCURRENT_CHUNKS, chunks.length) }, worker));

    const count = (status: BulkRowResult['status']) => results.filter((r) => r.status === status).length;
    return {
      summary: {
        rows: rows.length,
        created: count('created'),
        unchanged: count('unchanged'),
        failed: count('error'),
      },
      results,
    };
  }

  private async createChunk(tenant: string, chunk: Planned[]): Promise<void> {
    await this.devices.transaction(async (tx) => {
      const created = await this.devices.createMany(
        tx,
        chunk.map(({ row, id, profile }) => ({
          tenant,
          id,
          externalId: row.externalId,
          name: row.name ?? null,
          profileId: profile.id,
          tags: row.tags,
          location: row.location ?? Prisma.DbNull,
          devEui: row.lorawan?.devEui ?? null,
        })),
      );
      const profileOf = new Map(chunk.map((p) => [p.id, p.profile]));
      await enqueueEvents(
        tx,
        created.flatMap((device) => [
          lifecycleChangedItem(device, null, 'provisioned'),
          ...deviceChangedItems(device, profileOf.get(device.id) as DeviceProfile),
        ]),
      );
    });
  }

  private async createOne(
    tenant: string,
    p: Planned,
    results: BulkRowResult[],
    fail: (index: number, reason: string) => void,
  ): Promise<void> {
    try {
      await this.single.create(tenant, {
        id: p.id,
        externalId: p.row.externalId,
        name: p.row.name,
        profileId: p.profile.id,
        tags: p.row.tags,
        location: p.row.location,
        lorawan: p.row.lorawan,
      });
      results[p.index] = { ...results[p.index], status: 'created', deviceId: p.id };
    } catch (error) {
      if (!(error instanceof DevicesProblem)) throw error;
      fail(p.index, error.problem.detail ?? error.problem.title);
    }
  }
}
