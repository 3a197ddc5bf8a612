import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { AuditTrail } from '@urbis/audit';
import type { Logger } from '@urbis/observability';
import { SERVICE_CONFIG, SERVICE_LOGGER, ServiceLifecycle } from '@urbis/runtime';
import type { DataConfig } from '../config';
import { ContextService } from '../contexts/context.service';
import { ANY, type RetentionPolicy } from './retention-policy';
import { RetentionRepository } from './retention.repository';

/** One purge at a time across replicas (any constant of our own). */
const PURGE_LOCK = 0x7265_7465;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** The start of the hour `days` before `now`: purges remove whole hours. */
export const cutoff = (now: Date, days: number) => new Date(Math.floor((now.getTime() - days * DAY) / HOUR) * HOUR);

export interface PurgeRun {
  startedAt: string;
  policies: { tenant: string; entityType: string; attribute: string; rawBefore: string; rollupsBefore: string; instances: number; rollups: number }[];
}

/**
 * The scheduled purge: on every replica a timer, but one run at a time (advisory lock); for each
 * policy, raw instances older than its raw retention and rollups older than its rollup retention
 * go. Every run that removed something or failed is audited per tenant
 * (`data.retention.purge`), with what it removed.
 */
@Injectable()
export class RetentionService implements OnModuleInit {
  private timer?: NodeJS.Timeout;
  private running = false;
  private current?: Promise<unknown>;

  constructor(
    @Inject(SERVICE_CONFIG) private readonly config: DataConfig,
    @Inject(SERVICE_LOGGER) private readonly logger: Logger,
    private readonly lifecycle: ServiceLifecycle,
    private readonly repository: RetentionRepository,
    private readonly contexts: ContextService,
    private readonly audit: AuditTrail,
  ) {}

  onModuleInit(): void {
    this.lifecycle.addWorker({
      name: 'retention',
      start: () => {
        this.running = true;
        this.schedule();
      },
      stop: async () => {
        this.running = false;
        clearTimeout(this.timer);
        await this.current?.catch(() => undefined);
      },
      isRunning: () => this.running,
    });
  }

  /** Runs one purge now (also what the admin API's "run" does); undefined when another replica is purging. */
  async purge(now = new Date()): Promise<PurgeRun | undefined> {
    const run = this.repository.exclusively(PURGE_LOCK, async (client) => {
      const policies = await this.repository.list();
      const result: PurgeRun = { startedAt: now.toISOString(), policies: [] };
      for (const policy of policies) {
        const rawBefore = cutoff(now, policy.rawDays);
        const rollupsBefore = cutoff(now, policy.rollupDays ?? policy.rawDays);
        try {
          const removed = await this.repository.purge(client, policy, policies, rawBefore, rollupsBefore);
          const entry = { ...this.names(policy), rawBefore: rawBefore.toISOString(), rollupsBefore: rollupsBefore.toISOString(), ...removed };
          result.policies.push(entry);
          if (removed.instances + removed.rollups > 0) this.audited(policy, 'succeeded', entry);
        } catch (error) {
          this.logger.error({ err: error, tenant: policy.tenant }, 'retention purge failed');
          this.audited(policy, 'failed', { ...this.names(policy), error: error instanceof Error ? error.message : String(error) });
        }
      }
      return result;
    });
    this.current = run;
    return run;
  }

  private names(policy: RetentionPolicy) {
    const core = this.contexts.core;
    return {
      tenant: policy.tenant,
      entityType: policy.entityType === ANY ? ANY : core.compactIri(policy.entityType),
      attribute: policy.attr === ANY ? ANY : core.compactIri(policy.attr),
    };
  }

  private audited(policy: RetentionPolicy, outcome: 'succeeded' | 'failed', details: Record<string, unknown>): void {
    this.audit.record({
      tenant: policy.tenant,
      actor: { kind: 'service', id: 'data' },
      action: 'data.retention.purge',
      resource: { type: 'retention-policy', id: `${details['entityType']}/${details['attribute']}` },
      outcome,
      details: details as never,
    });
  }

  private schedule(): void {
    if (!this.running) return;
    this.timer = setTimeout(() => {
      void this.purge()
        .catch((error: unknown) => this.logger.error({ err: error }, 'retention purge failed'))
        .finally(() => this.schedule());
    }, this.config.retention.intervalMs);
    this.timer.unref();
  }
}
