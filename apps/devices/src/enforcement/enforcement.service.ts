import { Inject, Injectable } from '@nestjs/common';
import { AuditTrail } from '@urbis/audit';
import { createEvent, type EventOf, type PayloadOf } from '@urbis/contracts';
import { EventPublisher, messageKeyOf } from '@urbis/messaging';
import type { Logger } from '@urbis/observability';
import { SERVICE_LOGGER } from '@urbis/runtime';
import { DevicesErrorCode, DevicesProblem } from '../common/problems';
import { CredentialsService } from '../devices/credentials.service';
import { DevicesService } from '../devices/devices.service';

type Request = EventOf<'security.enforcement.requested.v2'>;
type Outcome = PayloadOf<'security.enforcement.applied.v1'>['outcome'];

/** Refusals that mean "nothing to do": the device is already where security wants it. */
const NOTHING_TO_DO = new Set<string>([DevicesErrorCode.IllegalTransition, DevicesErrorCode.DeviceNotFound, DevicesErrorCode.CredentialRevoked, DevicesErrorCode.CredentialNotFound]);

/**
 * Applies security's device enforcements: `suspend-device` moves the device to suspended (its
 * credentials are then refused by connectivity, which follows the registry), `revoke-credential`
 * revokes one credential. Each is confirmed on `security.enforcement.applied.v1`. Address blocks
 * are connectivity's.
 */
@Injectable()
export class EnforcementService {
  constructor(
    private readonly devices: DevicesService,
    private readonly credentials: CredentialsService,
    private readonly publisher: EventPublisher,
    private readonly audit: AuditTrail,
    @Inject(SERVICE_LOGGER) private readonly logger: Logger,
  ) {}

  async handle(events: readonly Request[]): Promise<void> {
    for (const event of events) {
      const request = event.payload;
      if (request.action !== 'suspend-device' && request.action !== 'revoke-credential') continue;
      let outcome: Outcome = 'applied';
      let detail: string;
      try {
        if (request.action === 'suspend-device') {
          await this.devices.transition(event.tenant, request.target, { to: 'suspended', reason: `security: ${request.reason}`.slice(0, 512) });
          detail = 'suspended';
        } else {
          await this.credentials.revoke(event.tenant, request.target, request.credentialId);
          detail = `credential ${request.credentialId} revoked`;
        }
      } catch (error) {
        if (!(error instanceof DevicesProblem) || !NOTHING_TO_DO.has(error.code)) throw error; // retried, then dead-lettered
        outcome = 'skipped';
        detail = String(error.problem.detail ?? error.code);
      }
      this.logger.warn({ tenant: event.tenant, device: request.target, action: request.action, outcome }, 'enforcement from security');
      this.audit.record({
        tenant: event.tenant,
        actor: { kind: 'service', id: 'security' },
        action: `devices.enforcement.${request.action}`,
        resource: { type: 'device', id: request.target },
        outcome: outcome === 'applied' ? 'succeeded' : 'failed',
        reason: request.reason,
        details: { enforcementId: request.enforcementId, outcome, detail },
      });
      const applied = createEvent('security.enforcement.applied.v1', {
        tenant: event.tenant,
        source: 'devices',
        payload: { enforcementId: request.enforcementId, action: request.action, target: request.target, outcome, appliedBy: 'devices', detail, at: new Date().toISOString() },
      });
      await this.publisher.publish('security.enforcement.applied.v1', [applied], { key: messageKeyOf('security.enforcement.applied.v1', applied) });
    }
  }
}
