import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { SERVICE_CONFIG } from '@urbis/runtime';
import type { ConnectivityConfig } from '../config';
import { AddressBlocklist } from '../enforcement/address-blocklist';
import { ConnectivityMetrics, type RejectionReason, type Transport } from '../metrics/connectivity-metrics';
import type { RegisteredDevice } from '../registry/registry.repository';
import { AuditReporter } from './audit-reporter';
import { TokenBuckets } from './token-buckets';

export interface LimitExceeded {
  reason: Extract<RejectionReason, 'rate-limited' | 'tenant-quota' | 'payload-too-large' | 'connection-quota' | 'connect-rate' | 'address-blocked'>;
  detail: string;
  /** When the caller may try again (rate limits). */
  retryAfterSeconds?: number;
  /** The limit that applied (payload size). */
  limit?: number;
}

const VIOLATION: Record<LimitExceeded['reason'], string> = {
  'rate-limited': 'message-rate',
  'tenant-quota': 'tenant-messages',
  'payload-too-large': 'payload-size',
  'connection-quota': 'tenant-connections',
  'connect-rate': 'connect-rate',
  'address-blocked': 'address-blocked',
};

/**
 * The limits every transport applies: per-device message rate and payload size (registry
 * overrides, else the defaults), per-tenant message and connection quotas, and connection
 * attempts per address. Quotas are per replica. Each violation is counted and audited here.
 */
@Injectable()
export class LimitsService implements OnModuleDestroy {
  private readonly deviceRates: TokenBuckets;
  private readonly tenantRates: TokenBuckets;
  private readonly connectRates: TokenBuckets;
  private readonly connections = new Map<string, number>();
  private readonly pruner: NodeJS.Timeout;

  constructor(
    @Inject(SERVICE_CONFIG) private readonly config: ConnectivityConfig,
    private readonly metrics: ConnectivityMetrics,
    private readonly audit: AuditReporter,
    private readonly blocklist: AddressBlocklist,
  ) {
    this.deviceRates = new TokenBuckets();
    this.tenantRates = new TokenBuckets();
    this.connectRates = new TokenBuckets();
    this.pruner = setInterval(() => [this.deviceRates, this.tenantRates, this.connectRates].forEach((b) => b.prune()), 60_000);
    this.pruner.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.pruner);
  }

  /** Checks one message of `bytes` from `device`; null when it may pass. */
  checkMessage(transport: Transport, device: RegisteredDevice, bytes: number): LimitExceeded | null {
    const limits = this.config.limits;
    const maxBytes = device.maxPayloadBytes ?? limits.maxPayloadBytes;
    if (bytes > maxBytes) {
      return this.violated(transport, device, { reason: 'payload-too-large', detail: `${bytes} bytes; the limit is ${maxBytes}`, limit: maxBytes });
    }
    const perMinute = device.messagesPerMinute ?? limits.deviceMessagesPerMinute;
    const deviceWait = this.deviceRates.take(`${device.tenant}/${device.deviceId}`, perMinute / 60, burst(perMinute, limits.burstSeconds));
    if (deviceWait > 0) {
      return this.violated(transport, device, {
        reason: 'rate-limited',
        detail: `more than ${perMinute} messages per minute`,
        retryAfterSeconds: deviceWait,
        limit: perMinute,
      });
    }
    const tenantPerMinute = limits.tenantMessagesPerMinute;
    const tenantWait = this.tenantRates.take(device.tenant, tenantPerMinute / 60, burst(tenantPerMinute, limits.burstSeconds));
    if (tenantWait > 0) {
      return this.violated(transport, device, {
        reason: 'tenant-quota',
        detail: `tenant ${device.tenant} sends more than ${tenantPerMinute} messages per minute`,
        retryAfterSeconds: tenantWait,
        limit: tenantPerMinute,
      });
    }
    return null;
  }

  /** Connection attempts from one address; null when it may try. */
  checkConnectAttempt(address: string): LimitExceeded | null {
    const blockedUntil = this.blocklist.blockedUntil(address);
    if (blockedUntil !== undefined) {
      this.metrics.rejected('mqtt', 'address-blocked');
      return { reason: 'address-blocked', detail: `${address} is blocked until ${new Date(blockedUntil).toISOString()}` };
    }
    const perMinute = this.config.limits.connectsPerAddressPerMinute;
    const wait = this.connectRates.take(address, perMinute / 60, burst(perMinute, this.config.limits.burstSeconds));
    if (wait === 0) return null;
    this.metrics.rejected('mqtt', 'connect-rate');
    return { reason: 'connect-rate', detail: `more than ${perMinute} connection attempts per minute from ${address}`, retryAfterSeconds: wait };
  }

  /** Takes a session slot of the device's tenant; null when it got one (give it back with releaseSession). */
  acquireSession(device: RegisteredDevice): LimitExceeded | null {
    const open = this.connections.get(device.tenant) ?? 0;
    if (open >= this.config.limits.tenantConnections) {
      return this.violated('mqtt', device, {
        reason: 'connection-quota',
        detail: `tenant ${device.tenant} has ${open} sessions on this replica, the limit`,
        limit: this.config.limits.tenantConnections,
      });
    }
    this.connections.set(device.tenant, open + 1);
    return null;
  }

  releaseSession(tenant: string): void {
    const open = (this.connections.get(tenant) ?? 1) - 1;
    if (open <= 0) this.connections.delete(tenant);
    else this.connections.set(tenant, open);
  }

  /** A refused device (bad token, suspended...) for the audit trail. */
  auditRefusal(transport: Transport, tenant: string, deviceId: string, reason: string, address?: string): void {
    this.audit.report({ tenant, subject: { kind: 'device', id: `${tenant}/${deviceId}` }, violation: reason, transport, ...(address && { details: { address } }) });
  }

  /** A refused caller known only by its address (a network server without the right secret). */
  auditAddressRefusal(transport: Transport, tenant: string, address: string, reason: string): void {
    this.audit.report({ tenant, subject: { kind: 'address', id: address }, violation: reason, transport, details: { address } });
  }

  private violated(transport: Transport, device: RegisteredDevice, exceeded: LimitExceeded): LimitExceeded {
    this.metrics.rejected(transport, exceeded.reason);
    this.audit.report({
      tenant: device.tenant,
      subject: { kind: 'device', id: `${device.tenant}/${device.deviceId}` },
      violation: VIOLATION[exceeded.reason],
      transport,
      details: { detail: exceeded.detail, ...(exceeded.limit !== undefined && { limit: exceeded.limit }) },
    });
    return exceeded;
  }
}

function burst(perMinute: number, seconds: number): number {
  return Math.max(1, Math.ceil((perMinute / 60) * seconds));
}
