import { Inject, Injectable } from '@nestjs/common';
import { AuditTrail } from '@urbis/audit';
import { createEvent, type EventOf, type PayloadOf } from '@urbis/contracts';
import { EventPublisher, messageKeyOf } from '@urbis/messaging';
import type { Logger } from '@urbis/observability';
import { SERVICE_CONFIG, SERVICE_LOGGER } from '@urbis/runtime';
import type { ConnectivityConfig } from '../config';
import { AddressBlocklist } from './address-blocklist';

type Request = EventOf<'security.enforcement.requested.v2'>;
type Outcome = PayloadOf<'security.enforcement.applied.v1'>['outcome'];

/**
 * Applies security's address blocks and unblocks on this replica and confirms each on
 * `security.enforcement.applied.v1` (applied, then lifted when the block's time is up). Device
 * suspensions and credential revocations are the devices service's; they reach this replica
 * as registry changes.
 */
@Injectable()
export class EnforcementService {
  private readonly appliedBy: string;

  constructor(
    private readonly blocklist: AddressBlocklist,
    private readonly publisher: EventPublisher,
    private readonly audit: AuditTrail,
    @Inject(SERVICE_CONFIG) config: ConnectivityConfig,
    @Inject(SERVICE_LOGGER) private readonly logger: Logger,
  ) {
    this.appliedBy = `connectivity/${config.replicaId}`;
  }

  async handle(events: readonly Request[]): Promise<void> {
    for (const event of events) {
      const request = event.payload;
      if (request.action === 'block-address') {
        const until = Date.parse(request.until);
        // Replayed at start: a block whose time is over is history, not an order.
        if (until <= Date.now()) continue;
        this.blocklist.block(request.target, until, request.enforcementId, () => void this.confirm(event, 'lifted', 'the block’s time is up'));
        this.logger.warn({ address: request.target, until: request.until, enforcementId: request.enforcementId }, 'address blocked on security’s request');
        this.record(event, `blocked until ${request.until}`);
        await this.confirm(event, 'applied', `blocked until ${request.until}`);
      } else if (request.action === 'unblock-address') {
        const lifted = this.blocklist.unblock(request.target);
        await this.confirm(event, lifted ? 'applied' : 'skipped', lifted ? 'unblocked' : 'was not blocked here');
      }
    }
  }

  private record(event: Request, detail: string): void {
    this.audit.record({
      tenant: event.tenant,
      actor: { kind: 'service', id: 'security' },
      action: `connectivity.enforcement.${event.payload.action}`,
      resource: { type: 'address', id: event.payload.target },
      outcome: 'succeeded',
      reason: event.payload.reason,
      details: { enforcementId: event.payload.enforcementId, appliedBy: this.appliedBy, detail },
    });
  }

  private async confirm(request: Request, outcome: Outcome, detail: string): Promise<void> {
    const event = createEvent('security.enforcement.applied.v1', {
      tenant: request.tenant,
      source: 'connectivity',
      payload: {
        enforcementId: request.payload.enforcementId,
        action: request.payload.action,
        target: request.payload.target,
        outcome,
        appliedBy: this.appliedBy,
        detail,
        at: new Date().toISOString(),
      },
    });
    try {
      await this.publisher.publish('security.enforcement.applied.v1', [event], { key: messageKeyOf('security.enforcement.applied.v1', event) });
    } catch (error) {
      // The block itself holds; only security's view of it lags.
      this.logger.error({ err: error, enforcementId: request.payload.enforcementId }, 'enforcement confirmation not published');
    }
  }
}
