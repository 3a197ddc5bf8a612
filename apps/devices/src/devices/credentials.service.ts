import { Inject, Injectable } from '@nestjs/common';
import { generateDeviceToken, hashDeviceToken } from '@urbis/device-credentials';
import { OutboxRelay } from '@urbis/messaging';
import { SERVICE_CONFIG } from '@urbis/runtime';
import { randomUUID } from 'node:crypto';
import type { DevicesConfig } from '../config';
import { DevicesErrorCode, DevicesProblem } from '../common/problems';
import type { DeviceCredential } from '../prisma-client/client';
import type { CredentialRequest, CredentialView, IssuedCredential } from './credential.dto';
import { enqueueCredentialsChanged } from './device-events';
import { DevicesRepository } from './devices.repository';

export function credentialViewOf(row: DeviceCredential, now = new Date()): CredentialView {
  const status = row.revokedAt
    ? 'revoked'
    : row.validUntil === null
      ? 'active'
      : row.validUntil > now
        ? 'expiring'
        : 'expired';
  return {
    id: row.id,
    status,
    validFrom: row.validFrom.toISOString(),
    ...(row.validUntil !== null && { validUntil: row.validUntil.toISOString() }),
    ...(row.revokedAt !== null && { revokedAt: row.revokedAt.toISOString() }),
  };
}

/**
 * Device tokens: issued once (only the scrypt hash is stored), rotated with an overlap during
 * which the old token keeps working, revoked at once. Connectivity learns every change from
 * `devices.credentials.changed.v1` (hashes only).
 */
@Injectable()
export class CredentialsService {
  constructor(
    private readonly devices: DevicesRepository,
    private readonly relay: OutboxRelay,
    @Inject(SERVICE_CONFIG) private readonly config: DevicesConfig,
  ) {}

  async issue(tenant: string, deviceId: string, request: CredentialRequest): Promise<IssuedCredential> {
    const token = generateDeviceToken();
    // The slow hash runs before the transaction, so that no row lock waits for it.
    const tokenHash = await hashDeviceToken(token);
    const overlapSeconds = request.overlapSeconds ?? this.config.credentials.rotationOverlapSeconds;
    const { credential, rotated } = await this.devices.transaction(async (tx) => {
      const device = await this.devices.find(tenant, deviceId, tx);
      if (!device) throw deviceNotFound(deviceId);
      if (device.state === 'decommissioned') {
        throw new DevicesProblem(
          DevicesErrorCode.DeviceDecommissioned,
          `Device ${deviceId} is decommissioned; it gets no credentials.`,
        );
      }
      const now = new Date();
      const overlapEnd = new Date(now.getTime() + overlapSeconds * 1000);
      const rotated: DeviceCredential[] = [];
      for (const current of await this.devices.validCredentials(tx, tenant, deviceId, now)) {
        // Already ending sooner (an earlier rotation): leave its end where it is.
        if (current.validUntil !== null && current.validUntil <= overlapEnd) continue;
        const ended = await this.devices.endCredential(tx, current.id, overlapEnd);
        await enqueueCredentialsChanged(tx, ended, 'rotated');
        rotated.push(ended);
      }
      const credential = await this.devices.createCredential(tx, {
        id: randomUUID(),
        tenant,
        deviceId,
        tokenHash,
        validFrom: now,
      });
      await enqueueCredentialsChanged(tx, credential, 'issued');
      return { credential, rotated };
    });
    this.relay.nudge();
    return {
      credential: credentialViewOf(credential),
      token,
      rotated: rotated.map((row) => credentialViewOf(row)),
    };
  }

  async list(tenant: string, deviceId: string): Promise<{ items: CredentialView[] }> {
    if (!(await this.devices.find(tenant, deviceId))) throw deviceNotFound(deviceId);
    const now = new Date();
    return {
      items: (await this.devices.credentials(tenant, deviceId)).map((row) => credentialViewOf(row, now)),
    };
  }

  async revoke(tenant: string, deviceId: string, credentialId: string): Promise<CredentialView> {
    const revoked = await this.devices.transaction(async (tx) => {
      const credential = await this.devices.findCredential(tx, tenant, deviceId, credentialId);
      if (!credential) {
        throw new DevicesProblem(
          DevicesErrorCode.CredentialNotFound,
          `Device ${deviceId} has no credential ${credentialId}.`,
        );
      }
      if (credential.revokedAt) {
        throw new DevicesProblem(
          DevicesErrorCode.CredentialRevoked,
          `Credential ${credentialId} was revoked at ${credential.revokedAt.toISOString()}.`,
        );
      }
      const now = new Date();
      // Revoking a credential that already ended must not extend it.
      const end = credential.validUntil !== null && credential.validUntil < now ? credential.validUntil : now;
      const ended = await this.devices.endCredential(tx, credential.id, end, now);
      await enqueueCredentialsChanged(tx, ended, 'revoked');
      return ended;
    });
    this.relay.nudge();
    return credentialViewOf(revoked);
  }
}

const deviceNotFound = (id: string) =>
  new DevicesProblem(DevicesErrorCode.DeviceNotFound, `No device ${id} in this tenant.`);
