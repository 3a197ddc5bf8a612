import { Inject, Injectable } from '@nestjs/common';
import { createEvent } from '@urbis/contracts';
import { EventPublisher, messageKeyOf } from '@urbis/messaging';
import { type Logger } from '@urbis/observability';
import { SERVICE_LOGGER } from '@urbis/runtime';

export interface Violation {
  tenant: string;
  /** `<tenant>/<deviceId>`, or the remote address for connection floods. */
  subject: { kind: 'device' | 'address'; id: string };
  /** e.g. `message-rate`, `payload-size`, `tenant-messages`, `tenant-connections`, `connect-rate`, `bad-token`. */
  violation: string;
  transport: 'mqtt' | 'http' | 'lorawan';
  details?: Record<string, string | number | boolean>;
}

/** One audit record per subject and violation per window; the rest are counted into the next one. */
const WINDOW_MS = 60_000;

/**
 * Reports limit violations and refused devices to security as `security.audit.recorded.v1`, so
 * it can see floods and guessing. A flood must not become a flood of audit records: per subject
 * and violation at most one record per minute, carrying how many were suppressed before it.
 */
@Injectable()
export class AuditReporter {
  private readonly windows = new Map<string, { until: number; suppressed: number }>();

  constructor(
    private readonly publisher: EventPublisher,
    @Inject(SERVICE_LOGGER) private readonly logger: Logger,
  ) {}

  report(violation: Violation): void {
    const key = `${violation.tenant}|${violation.subject.id}|${violation.violation}`;
    const now = Date.now();
    const window = this.windows.get(key);
    if (window && window.until > now) {
      window.suppressed += 1;
      return;
    }
    const suppressed = window?.suppressed ?? 0;
    this.windows.set(key, { until: now + WINDOW_MS, suppressed: 0 });
    if (this.windows.size > 10_000) this.prune(now);
    const event = createEvent('security.audit.recorded.v1', {
      tenant: violation.tenant,
      source: 'connectivity',
      payload: {
        actor: { kind: violation.subject.kind === 'device' ? 'device' : 'client', id: violation.subject.id },
        action: `connectivity.${violation.transport}.${violation.violation}`,
        resource: { type: 'device', ...(violation.subject.kind === 'device' && { id: violation.subject.id }) },
        outcome: 'denied',
        reason: violation.violation,
        at: new Date(now).toISOString(),
        details: { transport: violation.transport, suppressedBefore: suppressed, ...violation.details },
      },
    });
    this.publisher
      .publish('security.audit.recorded.v1', [event], { key: messageKeyOf('security.audit.recorded.v1', event) })
      .catch((error: unknown) => this.logger.error({ err: error, violation: violation.violation }, 'audit record not published'));
  }

  private prune(now: number): void {
    for (const [key, window] of this.windows) if (window.until <= now) this.windows.delete(key);
  }
}
