import { verifyDeviceToken } from '@urbis/device-credentials';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { RegisteredDevice, StoredCredential } from './registry.repository';

/** The part of the registry cache the authenticator reads. */
export interface DeviceDirectory {
  findDevice(tenant: string, deviceId: string): Promise<RegisteredDevice | null>;
  findValidCredentials(tenant: string, deviceId: string, at: Date): Promise<StoredCredential[]>;
}

/** Why a device was refused; also the `reason` label of the rejection metric and audit records. */
export type AuthFailure =
  | 'unknown-device'
  | 'device-not-active'
  | 'no-valid-credential'
  | 'bad-token'
  | 'too-many-failures';

export type AuthOutcome =
  | { ok: true; device: RegisteredDevice; credentialId: string }
  | { ok: false; reason: AuthFailure; device?: RegisteredDevice };

/** Lifecycle states in which a device may send: provisioned (first contact) and active. */
const ACCEPTING_STATES = new Set(['provisioned', 'active']);

export function isAccepting(device: RegisteredDevice): boolean {
  return !device.deleted && ACCEPTING_STATES.has(device.state);
}

export interface DeviceAuthenticatorOptions {
  /** How long a successful check is remembered (ms); 0 disables the cache. */
  cacheTtlMs: number;
  /** Failed checks of one device within `failureWindowMs` after which further attempts are refused unchecked. */
  maxFailures?: number;
  failureWindowMs?: number;
  now?: () => number;
  /** The token check; default `verifyDeviceToken` (scrypt). */
  verify?: (token: string, hash: string) => Promise<boolean>;
}

interface VerifiedEntry {
  tokenHash: string;
  digest: Buffer;
  expiresAt: number;
}

const sha256 = (token: string): Buffer => createHash('sha256').update(token, 'utf8').digest();

/**
 * Checks device tokens against the hashes of the local registry cache. scrypt is slow on
 * purpose, so a successful check is remembered (as a SHA-256 of the token, per credential and
 * hash) and a reconnect storm costs one scrypt per device; repeated failures of one device stop
 * being checked for a while, so a client guessing in a tight loop cannot burn the CPU either.
 */
export class DeviceAuthenticator {
  private readonly verified = new Map<string, VerifiedEntry>();
  private readonly failures = new Map<string, { count: number; since: number }>();
  private readonly maxFailures: number;
  private readonly failureWindowMs: number;
  private readonly now: () => number;
  private readonly verify: (token: string, hash: string) => Promise<boolean>;

  constructor(
    private readonly directory: DeviceDirectory,
    private readonly options: DeviceAuthenticatorOptions,
  ) {
    this.maxFailures = options.maxFailures ?? 5;
    this.failureWindowMs = options.failureWindowMs ?? 60_000;
    this.now = options.now ?? Date.now;
    this.verify = options.verify ?? verifyDeviceToken;
  }

  async authenticate(tenant: string, deviceId: string, token: string): Promise<AuthOutcome> {
    const device = await this.directory.findDevice(tenant, deviceId);
    if (!device || device.deleted) return { ok: false, reason: 'unknown-device' };
    if (!isAccepting(device)) return { ok: false, reason: 'device-not-active', device };
    const key = `${tenant}/${deviceId}`;
    if (this.isThrottled(key)) return { ok: false, reason: 'too-many-failures', device };
    const credentials = await this.directory.findValidCredentials(tenant, deviceId, new Date(this.now()));
    if (credentials.length === 0) return { ok: false, reason: 'no-valid-credential', device };

    const digest = sha256(token);
    for (const credential of credentials) {
      const entry = this.verified.get(credential.credentialId);
      if (
        entry &&
        entry.tokenHash === credential.tokenHash &&
        entry.expiresAt > this.now() &&
        timingSafeEqual(entry.digest, digest)
      ) {
        return { ok: true, device, credentialId: credential.credentialId };
      }
    }
    for (const credential of credentials) {
      if (await this.verify(token, credential.tokenHash)) {
        if (this.options.cacheTtlMs > 0) {
          this.verified.set(credential.credentialId, {
            tokenHash: credential.tokenHash,
            digest,
            expiresAt: this.now() + this.options.cacheTtlMs,
          });
        }
        this.failures.delete(key);
        return { ok: true, device, credentialId: credential.credentialId };
      }
    }
    this.recordFailure(key);
    return { ok: false, reason: 'bad-token', device };
  }

  /** Forgets a credential's remembered check (it was rotated or revoked). */
  forget(credentialId: string): void {
    this.verified.delete(credentialId);
  }

  private isThrottled(key: string): boolean {
    const failure = this.failures.get(key);
    if (!failure) return false;
    if (this.now() - failure.since > this.failureWindowMs) {
      this.failures.delete(key);
      return false;
    }
    return failure.count >= this.maxFailures;
  }

  private recordFailure(key: string): void {
    const failure = this.failures.get(key);
    if (!failure || this.now() - failure.since > this.failureWindowMs) {
      this.failures.set(key, { count: 1, since: this.now() });
    } else {
      failure.count += 1;
    }
  }
}
