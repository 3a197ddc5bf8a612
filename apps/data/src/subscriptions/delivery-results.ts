import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import type { EventOf } from '@urbis/contracts';
import { claimEvents, EventConsumer, pgSqlExecutor } from '@urbis/messaging';
import type { Logger } from '@urbis/observability';
import { KAFKA, messagingLogger, SERVICE_CONFIG, SERVICE_LOGGER, ServiceLifecycle } from '@urbis/runtime';
import type { Kafka } from 'kafkajs';
import { Pool } from 'pg';
import type { DataConfig } from '../config';
import { type DeliveryTally, SubscriptionsRepository } from './subscriptions.repository';

type DeliveryCompleted = EventOf<'integration.delivery.completed.v1'>;

/** The consumer name under which delivery results are recorded as processed. */
export const DELIVERY_RESULTS_CONSUMER = 'data.delivery-results';

const later = (a: string | undefined, b: string | undefined) =>
  !a ? b : !b ? a : Date.parse(a) >= Date.parse(b) ? a : b;

/**
 * The integration service's delivery outcomes into the subscriptions' status (clause 5.2.14):
 * every attempt is a send (timesSent), every failed one a failure (timesFailed); lastNotification
 * is the last attempt, lastSuccess the delivery, lastFailure the last failed attempt. One
 * transaction per consumer batch, claimed by event id, so a redelivered result counts once.
 */
@Injectable()
export class DeliveryResults implements OnModuleInit {
  private readonly consumer: EventConsumer;

  constructor(
    @Inject(KAFKA) kafka: Kafka,
    @Inject(SERVICE_CONFIG) config: DataConfig,
    @Inject(SERVICE_LOGGER) logger: Logger,
    @Inject(Pool) private readonly pool: Pool,
    private readonly lifecycle: ServiceLifecycle,
    private readonly repository: SubscriptionsRepository,
  ) {
    this.consumer = new EventConsumer({
      kafka,
      groupId: config.subscriptions.deliveriesConsumerGroup,
      logger: messagingLogger(logger),
      maxWaitTimeInMs: 100,
      subscriptions: { 'integration.delivery.completed.v1': (events) => this.handle(events) },
    });
  }

  onModuleInit(): void {
    this.lifecycle.addWorker({
      name: 'delivery-results',
      start: () => this.consumer.start(),
      stop: () => this.consumer.stop(),
      isRunning: () => this.consumer.isRunning(),
    });
  }

  async handle(events: readonly DeliveryCompleted[]): Promise<void> {
    const notifications = events.filter(
      (event) =>
        event.payload.subscriptionId !== undefined &&
        (event.payload.kind ?? 'notification') === 'notification',
    );
    if (notifications.length === 0) return;
    await pgSqlExecutor(this.pool).transaction(async (tx) => {
      const claimed = await claimEvents(
        tx,
        DELIVERY_RESULTS_CONSUMER,
        notifications.map((event) => event.id),
      );
      const tallies = new Map<string, DeliveryTally>();
      for (const event of notifications) {
        if (!claimed.has(event.id)) continue;
        const { payload } = event;
        const key = `${event.tenant}\u0000${payload.subscriptionId}`;
        const tally = tallies.get(key) ?? {
          tenant: event.tenant,
          subscriptionId: payload.subscriptionId as string,
          sent: 0,
          failed: 0,
        };
        const delivered = payload.outcome === 'delivered';
        tally.sent += payload.attempts;
        tally.failed += delivered ? payload.attempts - 1 : payload.attempts;
        tally.lastNotification = later(tally.lastNotification, payload.lastAttemptAt ?? payload.completedAt);
        if (delivered) tally.lastSuccess = later(tally.lastSuccess, payload.completedAt);
        const failedAt = payload.lastFailureAt ?? (delivered ? undefined : payload.completedAt);
        if (failedAt) tally.lastFailure = later(tally.lastFailure, failedAt);
        tallies.set(key, tally);
      }
      await this.repository.recordDeliveries(tx, [...tallies.values()]);
    });
  }
}
