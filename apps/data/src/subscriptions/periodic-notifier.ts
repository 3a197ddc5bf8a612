import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import type { Role } from '@urbis/auth';
import { enqueueEvents, OutboxRelay, pgSqlExecutor, type SqlExecutor } from '@urbis/messaging';
import type { Logger } from '@urbis/observability';
import { SERVICE_CONFIG, SERVICE_LOGGER, ServiceLifecycle } from '@urbis/runtime';
import { Pool } from 'pg';
import { DataAccess } from '../access/data-access';
import type { DataConfig } from '../config';
import type { StoredEntity } from '../ngsi-ld/stored';
import { chunked, notificationEvent, renderCurrent } from './notification-render';
import { SubscriptionIndex } from './subscription-index';
import type { CompiledSubscription } from './subscription-matcher';
import { type DueSubscription, SubscriptionsRepository } from './subscriptions.repository';

/** Due subscriptions taken per transaction. */
const PER_TRANSACTION = 20;
const MAX_NOTIFICATION_BYTES = 512 * 1024;

/**
 * Periodic subscriptions (timeInterval, clause 5.8.6): every NGSILD_PERIODIC_TICK_MS each
 * replica takes the subscriptions whose next_notification_at has passed (FOR UPDATE SKIP LOCKED:
 * one replica per subscription per tick), notifies the entities they select now, and moves
 * next_notification_at on, in one transaction with the outbox events: a crash loses no tick, it
 * is taken again.
 */
@Injectable()
export class PeriodicNotifier implements OnModuleInit {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private started = false;

  constructor(
    @Inject(Pool) private readonly pool: Pool,
    @Inject(SERVICE_CONFIG) private readonly config: DataConfig,
    @Inject(SERVICE_LOGGER) private readonly logger: Logger,
    private readonly lifecycle: ServiceLifecycle,
    private readonly repository: SubscriptionsRepository,
    private readonly index: SubscriptionIndex,
    private readonly access: DataAccess,
    private readonly relay: OutboxRelay,
  ) {}

  onModuleInit(): void {
    this.lifecycle.addWorker({
      name: 'periodic-notifications',
      start: () => {
        this.started = true;
        this.timer = setInterval(() => this.tick(), this.config.subscriptions.periodicTickMs);
      },
      stop: async () => {
        this.started = false;
        clearInterval(this.timer);
        await this.running;
      },
      isRunning: () => this.started,
    });
  }

  /** Runs the due subscriptions now (the timer's work; tests call it to avoid waiting). */
  tick(): Promise<void> {
    if (this.running) return this.running;
    this.running = this.drain()
      .catch((error: unknown) => this.logger.error({ err: error }, 'periodic notifications failed'))
      .finally(() => (this.running = undefined));
    return this.running;
  }

  private async drain(): Promise<void> {
    for (;;) {
      const taken = await pgSqlExecutor(this.pool).transaction((tx) => this.notifyDue(tx));
      if (taken > 0) this.relay.nudge();
      if (taken < PER_TRANSACTION || !this.started) return;
    }
  }

  private async notifyDue(tx: SqlExecutor): Promise<number> {
    const due = await this.repository.due(tx, PER_TRANSACTION);
    const notifiedAt = new Date().toISOString();
    for (const subscription of due) {
      const compiled = await this.compiled(subscription);
      if (compiled) {
        const entities = (await this.repository.selectedEntities(tx, compiled, this.config.ngsiLd.maxLimit))
          .map((entity) => this.visible(compiled, entity))
          .filter((entity): entity is StoredEntity => entity !== null)
          .map((state) => ({ rendered: renderCurrent(state, compiled.rendering), state }));
        const limits = {
          maxEntities: this.config.subscriptions.maxEntitiesPerNotification,
          maxBytes: MAX_NOTIFICATION_BYTES,
        };
        await enqueueEvents(
          tx,
          chunked(entities, limits).map((chunk) => notificationEvent(compiled, chunk, notifiedAt)),
        );
      }
      await this.repository.reschedule(tx, subscription);
    }
    return due.length;
  }

  private async compiled(due: DueSubscription): Promise<CompiledSubscription | undefined> {
    const known = this.index.get(due.tenant, due.id);
    if (known) return known;
    // Created on another replica a moment ago: this one's view has not caught up yet.
    await this.index.refresh(due.tenant, due.id);
    return this.index.get(due.tenant, due.id);
  }

  private visible(subscription: CompiledSubscription, entity: StoredEntity): StoredEntity | null {
    const { owner } = subscription;
    const scope = this.access.scope(
      subscription.tenant,
      { ...owner, tenant: subscription.tenant, roles: owner.roles as Role[] },
      'read',
    );
    return this.access.visible(entity, scope);
  }
}
