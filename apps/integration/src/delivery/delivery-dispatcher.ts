import { Inject, Injectable } from '@nestjs/common';
import { propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { createEvent } from '@urbis/contracts';
import { messageKeyOf, type OutboxItem, OutboxRelay } from '@urbis/messaging';
import type { Logger } from '@urbis/observability';
import { SERVICE_CONFIG, SERVICE_LOGGER } from '@urbis/runtime';
import type { IntegrationConfig } from '../config';
import { DeliveryMetrics } from './delivery-metrics';
import { DeliverySender } from './delivery-sender';
import {
  type AttemptRecord,
  DeliveryRepository,
  type QueuedDelivery,
  type SettledDelivery,
} from './delivery.repository';
import {
  type AttemptResult,
  circuitAfterFailure,
  type CircuitView,
  decideAfterFailure,
} from './retry-policy';

type Failure = Extract<AttemptResult, { ok: false }>;

const tracer = trace.getTracer('urbis-integration');

/**
 * The delivery engine's worker. Each poll leases due endpoints (several replicas share the work
 * through PostgreSQL: FOR UPDATE SKIP LOCKED plus a lease), then works each leased queue in
 * order: the head is tried, and only once it is settled (delivered or dead-lettered) does the
 * next one go, which is what keeps one subscription's notifications in order. A failure
 * schedules the queue's next attempt (backoff, Retry-After, open circuit) and gives the lease
 * back. Successes are settled in batches, each with its completion event in the outbox.
 */
@Injectable()
export class DeliveryDispatcher {
  readonly name = 'delivery-dispatcher';
  private running = false;
  private stopping = false;
  private loop?: Promise<void>;
  private wake?: () => void;
  private readonly active = new Set<Promise<void>>();
  private readonly settings: IntegrationConfig['delivery'];
  private readonly owner: string;
  private lastPurge = 0;

  constructor(
    private readonly deliveries: DeliveryRepository,
    private readonly sender: DeliverySender,
    private readonly relay: OutboxRelay,
    private readonly metrics: DeliveryMetrics,
    @Inject(SERVICE_CONFIG) config: IntegrationConfig,
    @Inject(SERVICE_LOGGER) private readonly logger: Logger,
  ) {
    this.settings = config.delivery;
    this.owner = config.instanceId;
  }

  start(): Promise<void> {
    this.running = true;
    this.stopping = false;
    this.loop = this.run();
    return Promise.resolve();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    await this.loop;
    await Promise.allSettled([...this.active]);
    this.running = false;
  }

  isRunning(): boolean {
    return this.running && !this.stopping;
  }

  /** Look for due work now instead of at the next poll (new deliveries, replays). */
  nudge(): void {
    this.wake?.();
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      let claimed = 0;
      const free = this.settings.concurrency - this.active.size;
      if (free > 0) {
        try {
          const endpoints = await this.deliveries.claimEndpoints(this.owner, free, this.settings.leaseMs);
          claimed = endpoints.length;
          for (const endpoint of endpoints) {
            const work: Promise<void> = this.drain(endpoint)
              .catch((error: unknown) => {
                this.logger.error(
                  { err: error, endpointId: endpoint.id },
                  'delivery queue failed; its lease will expire',
                );
              })
              .finally(() => {
                this.active.delete(work);
                this.wake?.();
              });
            this.active.add(work);
          }
          await this.purgeIfDue();
        } catch (error) {
          this.logger.error({ err: error }, 'claiming delivery endpoints failed');
        }
      }
      if (claimed === 0 || this.active.size >= this.settings.concurrency) await this.sleep();
    }
  }

  private sleep(): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, this.settings.pollIntervalMs);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }

  private async drain(endpoint: {
    id: string;
    circuitState: CircuitView['circuitState'];
    consecutiveFailures: number;
    circuitReopens: number;
  }): Promise<void> {
    let circuit: CircuitView = {
      circuitState: endpoint.circuitState,
      consecutiveFailures: endpoint.consecutiveFailures,
      circuitReopens: endpoint.circuitReopens,
    };
    let renewAt = Date.now() + this.settings.leaseMs / 3;
    const delivered: AttemptRecord[] = [];
    const flush = async () => {
      if (delivered.length === 0) return;
      const batch = delivered.splice(0);
      await this.settleDelivered(endpoint.id, batch);
      circuit = { circuitState: 'closed', consecutiveFailures: 0, circuitReopens: 0 };
    };
    for (;;) {
      const queue = await this.deliveries.head(endpoint.id, this.settings.batchSize);
      if (queue.length === 0 || this.stopping) break;
      for (const delivery of queue) {
        if (this.stopping) break;
        if (Date.now() > renewAt) {
          await flush();
          if (!(await this.deliveries.renewLease(endpoint.id, this.owner, this.settings.leaseMs))) return;
          renewAt = Date.now() + this.settings.leaseMs / 3;
        }
        const startedAt = new Date();
        // Past its maximum age a delivery that was already tried gets no more attempts.
        if (delivery.attempts > 0 && delivery.expiresAt <= startedAt) {
          await flush();
          await this.expire(endpoint.id, delivery, startedAt, circuit);
          continue;
        }
        const attempt = delivery.attempts + 1;
        const result = await this.attempt(delivery, attempt, startedAt);
        const record: AttemptRecord = {
          deliveryId: delivery.id,
          tenant: delivery.tenant,
          endpointId: endpoint.id,
          attempt,
          startedAt,
          durationMs: Date.now() - startedAt.getTime(),
          succeeded: result.ok,
          ...(result.statusCode !== undefined && { statusCode: result.statusCode }),
        };
        this.metrics.attempt(result.ok, record.durationMs);
        if (result.ok) {
          delivered.push(record);
          if (delivered.length >= this.settings.batchSize) await flush();
          continue;
        }
        await flush();
        const outcome = await this.settleFailure(endpoint.id, delivery, record, result, circuit);
        if (!outcome.keepGoing) return;
        circuit = outcome.circuit;
      }
      await flush();
    }
    await flush();
    await this.deliveries.release(endpoint.id, this.owner);
  }

  /**
   * One attempt, as a span in the trace of what caused the delivery (the reading behind a
   * notification), so the request to the endpoint and its `traceparent` continue that trace.
   */
  private attempt(delivery: QueuedDelivery, attempt: number, startedAt: Date): Promise<AttemptResult> {
    const cause = propagation.extract(ROOT_CONTEXT, (delivery.traceContext ?? {}) as Record<string, string>);
    return tracer.startActiveSpan(
      `deliver ${delivery.kind}`,
      {
        kind: SpanKind.PRODUCER,
        attributes: {
          'urbis.tenant': delivery.tenant,
          'urbis.delivery.id': delivery.id,
          'urbis.delivery.attempt': attempt,
          'urbis.delivery.correlation_id': delivery.correlationId,
        },
      },
      cause,
      async (span) => {
        try {
          const result = await this.sender.send(delivery, attempt, startedAt);
          if (!result.ok) span.setStatus({ code: SpanStatusCode.ERROR, message: result.error });
          return result;
        } finally {
          span.end();
        }
      },
    );
  }

  private async settleDelivered(endpointId: string, batch: AttemptRecord[]): Promise<void> {
    const now = new Date();
    await this.deliveries.transaction(async (tx) => {
      await this.deliveries.markDelivered(tx, batch);
      await this.deliveries.updateEndpoint(
        tx,
        endpointId,
        {
          circuitState: 'closed',
          consecutiveFailures: 0,
          circuitReopens: 0,
          circuitOpenedAt: null,
          nextAttemptAt: now,
          lastSuccessAt: now,
        },
        false,
      );
      const settled = await this.deliveries.settled(
        tx,
        batch.map((record) => record.deliveryId),
      );
      await this.deliveries.enqueueEvents(tx, settled.map(completionEvent));
    });
    this.metrics.settled('delivered', batch.length);
    this.relay.nudge();
  }

  /** Records a failed attempt; `keepGoing` when the queue may go on with its next delivery now. */
  private async settleFailure(
    endpointId: string,
    delivery: QueuedDelivery,
    record: AttemptRecord,
    result: Failure,
    circuit: CircuitView,
  ): Promise<{ keepGoing: boolean; circuit: CircuitView }> {
    const now = new Date();
    const decision = decideAfterFailure(
      { attempts: record.attempt, expiresAt: delivery.expiresAt },
      result,
      this.settings.retry,
      now,
    );
    const change = circuitAfterFailure(circuit, result.countsForCircuit, this.settings.circuit, now);
    const error = decision.deadLetter ? decision.reason : result.error;
    const retryAt = decision.deadLetter ? undefined : decision.retryAt;
    const openUntil = change.circuitState === 'open' ? change.openUntil : undefined;
    // While the circuit is open its probes decide when the endpoint is tried again: the head's
    // own backoff (minutes after many attempts) would otherwise keep a recovered receiver waiting.
    // A receiver's Retry-After is honoured either way.
    const asked = result.retryAfterMs !== undefined ? (retryAt?.getTime() ?? 0) : 0;
    const next = new Date(
      openUntil ? Math.max(openUntil.getTime(), asked) : Math.max(now.getTime(), retryAt?.getTime() ?? 0),
    );
    // A dead letter does not hold up the queue unless the endpoint itself looks broken.
    const keepGoing = decision.deadLetter && openUntil === undefined && !this.stopping;
    await this.deliveries.transaction(async (tx) => {
      await this.deliveries.markFailed(
        tx,
        { ...record, error: result.error, ...(retryAt && { retryAt: next }) },
        decision.deadLetter,
        error,
      );
      await this.deliveries.updateEndpoint(
        tx,
        endpointId,
        {
          circuitState: change.circuitState,
          consecutiveFailures: change.consecutiveFailures,
          circuitReopens: change.circuitReopens,
          ...(change.opened && { circuitOpenedAt: now }),
          nextAttemptAt: next,
          lastFailureAt: now,
          lastError: result.error,
        },
        !keepGoing,
      );
      if (decision.deadLetter) {
        await this.deliveries.enqueueEvents(
          tx,
          (await this.deliveries.settled(tx, [delivery.id])).map(completionEvent),
        );
      }
    });
    if (decision.deadLetter) {
      this.metrics.settled('dead-lettered', 1);
      this.relay.nudge();
    }
    if (change.opened) this.logger.warn({ endpointId, until: openUntil }, 'delivery circuit opened');
    const { circuitState, consecutiveFailures, circuitReopens } = change;
    return { keepGoing, circuit: { circuitState, consecutiveFailures, circuitReopens } };
  }

  private async expire(
    endpointId: string,
    delivery: QueuedDelivery,
    now: Date,
    circuit: CircuitView,
  ): Promise<void> {
    await this.deliveries.transaction(async (tx) => {
      await this.deliveries.expire(
        tx,
        delivery.id,
        `exceeded its maximum age of ${this.settings.retry.maxAgeSeconds} s after ${delivery.attempts} attempts`,
        now,
      );
      await this.deliveries.updateEndpoint(tx, endpointId, { ...circuit, nextAttemptAt: now }, false);
      await this.deliveries.enqueueEvents(
        tx,
        (await this.deliveries.settled(tx, [delivery.id])).map(completionEvent),
      );
    });
    this.metrics.settled('dead-lettered', 1);
    this.relay.nudge();
  }

  private async purgeIfDue(): Promise<void> {
    if (Date.now() - this.lastPurge < 3_600_000) return;
    this.lastPurge = Date.now();
    const before = new Date(Date.now() - this.settings.retentionHours * 3_600_000);
    const purged = await this.deliveries.purgeDelivered(before);
    if (purged > 0) this.logger.info({ purged }, 'purged delivered deliveries past their retention');
  }
}

export function completionEvent(row: SettledDelivery): OutboxItem {
  const iso = (date: Date | null) => (date ? new Date(date).toISOString() : undefined);
  const firstAttemptAt = iso(row.first_attempt_at) ?? iso(row.created_at) ?? new Date().toISOString();
  const event = createEvent('integration.delivery.completed.v1', {
    tenant: row.tenant,
    source: 'integration',
    payload: {
      deliveryId: row.id,
      correlationId: row.correlation_id,
      ...(row.subscription_id !== null && { subscriptionId: row.subscription_id }),
      endpoint: row.target,
      outcome: row.status === 'delivered' ? 'delivered' : 'dead-lettered',
      attempts: Math.max(row.attempts, 1),
      ...(row.last_status_code !== null && { lastStatusCode: row.last_status_code }),
      ...(row.last_error !== null && { lastError: row.last_error }),
      firstAttemptAt,
      completedAt: iso(row.completed_at) ?? new Date().toISOString(),
      kind: row.kind,
      ...(row.webhook_id !== null && { webhookId: row.webhook_id }),
      ...(row.last_attempt_at !== null && { lastAttemptAt: iso(row.last_attempt_at) }),
      ...(row.last_failure_at !== null && { lastFailureAt: iso(row.last_failure_at) }),
      replays: row.replays,
    },
  });
  return {
    topic: 'integration.delivery.completed.v1',
    event,
    key: messageKeyOf('integration.delivery.completed.v1', event),
  };
}
