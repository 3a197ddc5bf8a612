import { Injectable } from '@nestjs/common';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { type DestinationRules, refusalOf, STRICT_RULES } from './address-policy';
import { DestinationPolicyRepository } from './destination-policy.repository';
import { OutboundError } from './outbound-error';

/** A destination checked against its tenant's rules: connect to `address`, never re-resolve `host`. */
export interface CheckedDestination {
  host: string;
  address: string;
  family: 4 | 6;
}

const RULES_TTL_MS = 5000;

/**
 * Outbound safety for every connection the service opens on a tenant's behalf (deliveries,
 * polls, OPC UA, Modbus): the host is resolved once, every address it resolves to must pass
 * the tenant's rules, and the caller connects to the checked address, so a DNS answer that
 * changes between the check and the connection (rebinding) cannot reach a refused network.
 */
@Injectable()
export class DestinationGuard {
  private readonly cache = new Map<string, { rules: DestinationRules; at: number }>();

  constructor(private readonly policies: DestinationPolicyRepository) {}

  async rulesOf(tenant: string): Promise<DestinationRules> {
    const cached = this.cache.get(tenant);
    if (cached && Date.now() - cached.at < RULES_TTL_MS) return cached.rules;
    const row = await this.policies.find(tenant);
    const rules: DestinationRules = row
      ? {
          allowLoopback: row.allowLoopback,
          allowPrivate: row.allowPrivate,
          allowLinkLocal: row.allowLinkLocal,
          allowedNetworks: row.allowedNetworks,
        }
      : STRICT_RULES;
    this.cache.set(tenant, { rules, at: Date.now() });
    return rules;
  }

  forget(tenant: string): void {
    this.cache.delete(tenant);
  }

  /** Resolves `host` and checks every address; throws an OutboundError (refused / dns). */
  async check(tenant: string, host: string): Promise<CheckedDestination> {
    const bare = host.replace(/^\[|\]$/g, '');
    const rules = await this.rulesOf(tenant);
    let addresses: { address: string; family: number }[];
    if (isIP(bare) !== 0) {
      addresses = [{ address: bare, family: isIP(bare) }];
    } else {
      try {
        addresses = await lookup(bare, { all: true, verbatim: true });
      } catch (error) {
        throw new OutboundError(
          'dns',
          `cannot resolve ${bare}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
          {
            cause: error,
          },
        );
      }
    }
    for (const { address } of addresses) {
      const refusal = refusalOf(address, rules);
      if (refusal) {
        throw new OutboundError(
          'refused',
          `destination ${bare} refused: ${refusal}, not allowed for tenant ${tenant}`,
        );
      }
    }
    const first = addresses[0];
    if (!first) throw new OutboundError('dns', `${bare} resolves to no address`);
    return { host: bare, address: first.address, family: first.family === 6 ? 6 : 4 };
  }
}
