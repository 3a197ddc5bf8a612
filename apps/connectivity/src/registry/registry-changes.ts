import { Injectable } from '@nestjs/common';

/** What changed in the local registry that a live session must hear about. */
export type RegistryChange =
  | { kind: 'device'; tenant: string; deviceId: string }
  | { kind: 'credential-revoked'; tenant: string; deviceId: string; credentialId: string };

/**
 * Tells the transports about registry changes as the registry consumer applies them, so that a
 * suspended device or a revoked token loses its live session at once, not at its next connect.
 */
@Injectable()
export class RegistryChanges {
  private readonly listeners: ((change: RegistryChange) => void)[] = [];

  subscribe(listener: (change: RegistryChange) => void): void {
    this.listeners.push(listener);
  }

  publish(change: RegistryChange): void {
    for (const listener of this.listeners) listener(change);
  }
}
