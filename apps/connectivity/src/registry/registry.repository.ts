import { Inject, Injectable } from '@nestjs/common';
import type { PayloadOf } from '@urbis/contracts';
import { PrismaClient } from '../prisma-client/client';

/** What ingest needs to know of a device; a copy of the registry's latest snapshot. */
export interface RegisteredDevice {
  tenant: string;
  deviceId: string;
  profileId: string;
  state: string;
  devEui: string | null;
  expectedIntervalSeconds: number | null;
  messagesPerMinute: number | null;
  maxPayloadBytes: number | null;
  deleted: boolean;
}

export interface StoredCredential {
  credentialId: string;
  tokenHash: string;
}

/** The local device registry cache: devices and their token hashes, as the devices service announced them. */
@Injectable()
export class RegistryRepository {
  constructor(@Inject(PrismaClient) private readonly prisma: PrismaClient) {}

  /** Applies a snapshot unless a newer one is already stored (redelivery and reordering are harmless). */
  async applyDeviceSnapshot(tenant: string, snapshot: PayloadOf<'devices.device.changed.v1'>): Promise<void> {
    await this.prisma.$executeRawUnsafe(
      `INSERT INTO device (tenant, device_id, profile_id, state, dev_eui, expected_interval_seconds,
                           messages_per_minute, max_payload_bytes, deleted, changed_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::timestamptz, now())
       ON CONFLICT (tenant, device_id) DO UPDATE SET
         profile_id = EXCLUDED.profile_id, state = EXCLUDED.state, dev_eui = EXCLUDED.dev_eui,
         expected_interval_seconds = EXCLUDED.expected_interval_seconds,
         messages_per_minute = EXCLUDED.messages_per_minute, max_payload_bytes = EXCLUDED.max_payload_bytes,
         deleted = EXCLUDED.deleted, changed_at = EXCLUDED.changed_at, updated_at = now()
       WHERE device.changed_at <= EXCLUDED.changed_at`,
      tenant,
      snapshot.deviceId,
      snapshot.profileId,
      snapshot.state,
      snapshot.lorawan?.devEui.toLowerCase() ?? null,
      snapshot.expectedIntervalSeconds ?? null,
      snapshot.limits?.messagesPerMinute ?? null,
      snapshot.limits?.maxPayloadBytes ?? null,
      snapshot.deleted,
      snapshot.changedAt,
    );
  }

  /** Stores a credential's current state; a revocation is permanent. */
  async applyCredential(tenant: string, change: PayloadOf<'devices.credentials.changed.v1'>): Promise<void> {
    await this.prisma.$executeRawUnsafe(
      `INSERT INTO device_credential (credential_id, tenant, device_id, token_hash, valid_from, valid_until, revoked, updated_at)
       VALUES ($1::uuid, $2, $3, $4, $5::timestamptz, $6::timestamptz, $7, now())
       ON CONFLICT (credential_id) DO UPDATE SET
         token_hash = EXCLUDED.token_hash, valid_from = EXCLUDED.valid_from, valid_until = EXCLUDED.valid_until,
         revoked = device_credential.revoked OR EXCLUDED.revoked, updated_at = now()`,
      change.credentialId,
      tenant,
      change.deviceId,
      change.tokenHash,
      change.validFrom,
      change.validUntil,
      change.change === 'revoked',
    );
  }

  async findDevice(tenant: string, deviceId: string): Promise<RegisteredDevice | null> {
    return this.prisma.device.findUnique({
      where: { tenant_deviceId: { tenant, deviceId } },
      select: DEVICE_FIELDS,
    });
  }

  async findDeviceByDevEui(tenant: string, devEui: string): Promise<RegisteredDevice | null> {
    return this.prisma.device.findFirst({
      where: { tenant, devEui: devEui.toLowerCase(), deleted: false },
      orderBy: { changedAt: 'desc' },
      select: DEVICE_FIELDS,
    });
  }

  /** The device's credentials valid at `at`: not revoked, inside their validity window. */
  async findValidCredentials(tenant: string, deviceId: string, at: Date): Promise<StoredCredential[]> {
    return this.prisma.deviceCredential.findMany({
      where: {
        tenant,
        deviceId,
        revoked: false,
        validFrom: { lte: at },
        OR: [{ validUntil: null }, { validUntil: { gt: at } }],
      },
      select: { credentialId: true, tokenHash: true },
      orderBy: { validFrom: 'desc' },
    });
  }
}

const DEVICE_FIELDS = {
  tenant: true,
  deviceId: true,
  profileId: true,
  state: true,
  devEui: true,
  expectedIntervalSeconds: true,
  messagesPerMinute: true,
  maxPayloadBytes: true,
  deleted: true,
} as const;
