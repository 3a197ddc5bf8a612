import { Inject, Injectable } from '@nestjs/common';
import type { EventOf } from '@urbis/contracts';
import type { Logger } from '@urbis/observability';
import { SERVICE_CONFIG, SERVICE_LOGGER } from '@urbis/runtime';
import type { SecurityConfig } from '../config';
import { signalOf } from './detection-rules';
import { IncidentsService } from './incidents.service';
import { MessageRates } from './message-rates';
import { SignalWindows } from './signal-windows';
import { ThresholdsService } from './thresholds.service';

/**
 * Watches platform signals: every service's audit records (failed device logins, rejected
 * payloads, cross-tenant tokens, webhook signature failures) against each tenant's thresholds,
 * and each device's uplink rate against its own baseline. A crossed threshold raises an incident.
 *
 * The windows are in memory, per replica: audit records are keyed by tenant and uplinks by
 * device, so one tenant's (one device's) signals reach one replica. A restart forgets the
 * current windows; a burst in progress is then counted from the restart on.
 */
@Injectable()
export class DetectionService {
  private readonly windows = new SignalWindows();
  private readonly rates: MessageRates;

  constructor(
    private readonly thresholds: ThresholdsService,
    private readonly incidents: IncidentsService,
    @Inject(SERVICE_CONFIG) private readonly config: SecurityConfig,
    @Inject(SERVICE_LOGGER) private readonly logger: Logger,
  ) {
    this.rates = new MessageRates(config.detection.messageRate);
  }

  async onAuditRecords(events: readonly EventOf<'security.audit.recorded.v1'>[]): Promise<void> {
    for (const event of events) {
      // the security service's own records are results, not signals
      if (event.source === 'security') continue;
      const signal = signalOf(event);
      if (!signal) continue;
      const threshold = (await this.thresholds.of(event.tenant)).get(signal.rule);
      if (!threshold) continue;
      const burst = this.windows.add(`${event.tenant}|${signal.rule}|${signal.subject.kind}|${signal.subject.id}`, signal, threshold);
      if (!burst) continue;
      const raised = await this.incidents.raise({
        tenant: event.tenant,
        rule: signal.rule,
        subject: signal.subject,
        burst,
        windowSeconds: threshold.windowSeconds,
        threshold: { count: threshold.count, windowSeconds: threshold.windowSeconds, origin: threshold.origin },
        enforce: threshold.enforce,
      });
      this.logger.warn({ tenant: event.tenant, rule: signal.rule, subject: signal.subject, incidentId: raised.incidentId, enforcement: raised.enforcement?.action }, 'security incident');
    }
  }

  async onUplinks(events: readonly EventOf<'connectivity.uplink.received.v1'>[]): Promise<void> {
    const { bucketSeconds, factor, minMessages } = this.config.detection.messageRate;
    for (const event of events) {
      const spike = this.rates.add(`${event.tenant}/${event.payload.deviceId}`, Date.parse(event.payload.receivedAt));
      if (!spike) continue;
      const at = Date.parse(event.payload.receivedAt);
      const raised = await this.incidents.raise({
        tenant: event.tenant,
        rule: 'message-rate',
        subject: { kind: 'device', id: event.payload.deviceId },
        burst: {
          occurrences: spike.count,
          firstAt: spike.bucketStart,
          lastAt: at,
          actors: [`device:${event.payload.deviceId}`],
          samples: [{ eventId: event.id, source: event.source, action: 'connectivity.uplink.received', actor: `device:${event.payload.deviceId}`, at: event.payload.receivedAt }],
        },
        windowSeconds: bucketSeconds,
        threshold: { factor, minMessages, bucketSeconds, baseline: spike.baseline },
        enforce: false,
      });
      this.logger.warn({ tenant: event.tenant, device: event.payload.deviceId, count: spike.count, baseline: spike.baseline, incidentId: raised.incidentId }, 'device message rate far above its baseline');
    }
  }
}
