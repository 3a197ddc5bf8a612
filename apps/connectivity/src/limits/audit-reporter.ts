import { Injectable } from '@nestjs/common';
import { AuditTrail } from '@urbis/audit';

export interface Violation {
  tenant: string;
  /** `<tenant>/<deviceId>`, or the remote address for connection floods. */
  subject: { kind: 'device' | 'address'; id: string };
  /** e.g. `message-rate`, `payload-size`, `tenant-messages`, `tenant-connections`, `connect-rate`, `bad-token`. */
  violation: string;
  transport: 'mqtt' | 'http' | 'lorawan';
  /** `address`: the peer's address, which security's detection groups failed logins by. */
  details?: Record<string, string | number | boolean>;
}

/**
 * Reports limit violations and refused devices to security as `security.audit.recorded.v1`
 * (through @urbis/audit), so it can see floods and guessing. A flood must not become a flood of
 * audit records: per subject and violation, the first is published at once and the rest are
 * counted into one record per window (`details.count`).
 */
@Injectable()
export class AuditReporter {
  constructor(private readonly audit: AuditTrail) {}

  report(violation: Violation): void {
    this.audit.record(
      {
        tenant: violation.tenant,
        actor: { kind: violation.subject.kind === 'device' ? 'device' : 'client', id: violation.subject.id },
        action: `connectivity.${violation.transport}.${violation.violation}`,
        resource: { type: 'device', ...(violation.subject.kind === 'device' && { id: violation.subject.id }) },
        outcome: 'denied',
        reason: violation.violation,
        details: { transport: violation.transport, ...violation.details },
      },
      { aggregate: { key: `${violation.tenant}|${violation.subject.id}|${violation.violation}|${violation.details?.['address'] ?? ''}` } },
    );
  }
}
