import { Injectable } from '@nestjs/common';
import { IntegrationErrorCode, IntegrationProblem } from '../common/problems';
import type { Delivery, DeliveryAttempt, Endpoint, Prisma } from '../prisma-client/client';
import { DeliveryDispatcher } from './delivery-dispatcher';
import { DeliveryIntake } from './delivery-intake';
import { DeliveryRepository } from './delivery.repository';
import type {
  AttemptQuery,
  AttemptView,
  DeadLetterQuery,
  DeliveryQuery,
  DeliveryView,
  EndpointView,
  ReplayRequest,
} from './delivery.dto';

const STATUS_OUT = { pending: 'pending', delivered: 'delivered', dead_lettered: 'dead-lettered' } as const;
const STATUS_IN = { pending: 'pending', delivered: 'delivered', 'dead-lettered': 'dead_lettered' } as const;

export function attemptViewOf(row: DeliveryAttempt): AttemptView {
  return {
    attempt: row.attempt,
    startedAt: row.startedAt.toISOString(),
    durationMs: row.durationMs,
    succeeded: row.succeeded,
    ...(row.statusCode !== null && { statusCode: row.statusCode }),
    ...(row.error !== null && { error: row.error }),
    ...(row.retryAt !== null && { retryAt: row.retryAt.toISOString() }),
    deliveryId: row.deliveryId,
    endpointId: row.endpointId,
  };
}

export function deliveryViewOf(row: Delivery & { endpoint: Endpoint }): DeliveryView {
  return {
    id: row.id,
    kind: row.kind,
    status: STATUS_OUT[row.status],
    endpointId: row.endpointId,
    endpoint: row.endpoint.target,
    correlationId: row.correlationId,
    ...(row.subscriptionId !== null && { subscriptionId: row.subscriptionId }),
    ...(row.webhookId !== null && { webhookId: row.webhookId }),
    contentType: row.contentType,
    attempts: row.attempts,
    replays: row.replays,
    ...(row.lastStatusCode !== null && { lastStatusCode: row.lastStatusCode }),
    ...(row.lastError !== null && { lastError: row.lastError }),
    createdAt: row.createdAt.toISOString(),
    ...(row.firstAttemptAt && { firstAttemptAt: row.firstAttemptAt.toISOString() }),
    ...(row.lastAttemptAt && { lastAttemptAt: row.lastAttemptAt.toISOString() }),
    ...(row.lastFailureAt && { lastFailureAt: row.lastFailureAt.toISOString() }),
    ...(row.completedAt && { completedAt: row.completedAt.toISOString() }),
    expiresAt: row.expiresAt.toISOString(),
  };
}

function endpointViewOf(row: Endpoint, pending: number): EndpointView {
  return {
    id: row.id,
    target: row.target,
    circuit: row.circuitState === 'half_open' ? 'half-open' : row.circuitState,
    consecutiveFailures: row.consecutiveFailures,
    nextAttemptAt: row.nextAttemptAt.toISOString(),
    ...(row.circuitOpenedAt && { circuitOpenedAt: row.circuitOpenedAt.toISOString() }),
    ...(row.lastSuccessAt && { lastSuccessAt: row.lastSuccessAt.toISOString() }),
    ...(row.lastFailureAt && { lastFailureAt: row.lastFailureAt.toISOString() }),
    ...(row.lastError !== null && { lastError: row.lastError }),
    pending,
  };
}

/** The delivery log, the dead letters and the endpoints, as the API shows them. */
@Injectable()
export class DeliveriesService {
  constructor(
    private readonly deliveries: DeliveryRepository,
    private readonly intake: DeliveryIntake,
    private readonly dispatcher: DeliveryDispatcher,
  ) {}

  async list(tenant: string, query: DeliveryQuery) {
    const where: Prisma.DeliveryWhereInput = {
      tenant,
      ...(query.status && { status: STATUS_IN[query.status] }),
      ...(query.kind && { kind: query.kind }),
      ...(query.endpointId && { endpointId: query.endpointId }),
      ...(query.subscriptionId && { subscriptionId: query.subscriptionId }),
      ...(query.correlationId && { correlationId: query.correlationId }),
      ...(query.webhookId && { webhookId: query.webhookId }),
    };
    const { rows, total } = await this.deliveries.listDeliveries(where, query);
    return { items: rows.map(deliveryViewOf), total };
  }

  deadLetters(tenant: string, query: DeadLetterQuery) {
    return this.list(tenant, { ...query, status: 'dead-lettered' });
  }

  async get(tenant: string, id: string, onlyDeadLetter = false) {
    const row = await this.deliveries.findDelivery(tenant, id);
    if (!row || (onlyDeadLetter && row.status !== 'dead_lettered')) {
      throw new IntegrationProblem(
        IntegrationErrorCode.DeliveryNotFound,
        onlyDeadLetter ? `No dead letter ${id} in this tenant.` : `No delivery ${id} in this tenant.`,
      );
    }
    const attempts = await this.deliveries.attemptsOf(id);
    return {
      ...deliveryViewOf(row),
      headers: redactedHeaders(row.headers as Record<string, string>),
      body: row.body,
      attemptLog: attempts.map(attemptViewOf),
    };
  }

  async attempts(tenant: string, query: AttemptQuery) {
    const where: Prisma.DeliveryAttemptWhereInput = {
      tenant,
      ...(query.deliveryId && { deliveryId: query.deliveryId }),
      ...(query.endpointId && { endpointId: query.endpointId }),
      ...(query.succeeded !== undefined && { succeeded: query.succeeded }),
      ...((query.since || query.until) && {
        startedAt: {
          ...(query.since && { gte: new Date(query.since) }),
          ...(query.until && { lt: new Date(query.until) }),
        },
      }),
    };
    const { rows, total } = await this.deliveries.listAttempts(where, query);
    return { items: rows.map(attemptViewOf), total };
  }

  async replayOne(tenant: string, id: string) {
    const row = await this.deliveries.findDelivery(tenant, id);
    if (!row)
      throw new IntegrationProblem(
        IntegrationErrorCode.DeliveryNotFound,
        `No delivery ${id} in this tenant.`,
      );
    if (row.status !== 'dead_lettered') {
      throw new IntegrationProblem(
        IntegrationErrorCode.NotDeadLettered,
        `Delivery ${id} is ${STATUS_OUT[row.status]}; only dead letters can be replayed.`,
        { status: STATUS_OUT[row.status] },
      );
    }
    await this.replayIds(tenant, [id]);
    return this.get(tenant, id);
  }

  async replay(tenant: string, request: ReplayRequest) {
    if (request.endpointId && !(await this.deliveries.findEndpoint(tenant, request.endpointId))) {
      throw new IntegrationProblem(
        IntegrationErrorCode.EndpointNotFound,
        `No endpoint ${request.endpointId} in this tenant.`,
      );
    }
    const ids =
      request.ids ?? (await this.deliveries.deadLetterIds(tenant, request.endpointId, request.limit));
    const replayed = await this.replayIds(tenant, ids);
    return { replayed: replayed.length, ids: replayed };
  }

  async endpoints(tenant: string, page: { limit: number; offset: number }) {
    const { rows, total } = await this.deliveries.listEndpoints(tenant, page);
    const pending = await this.deliveries.pendingCounts(rows.map((row) => row.id));
    return { items: rows.map((row) => endpointViewOf(row, pending.get(row.id) ?? 0)), total };
  }

  async endpoint(tenant: string, id: string) {
    const row = await this.deliveries.findEndpoint(tenant, id);
    if (!row)
      throw new IntegrationProblem(
        IntegrationErrorCode.EndpointNotFound,
        `No endpoint ${id} in this tenant.`,
      );
    const pending = await this.deliveries.pendingCounts([id]);
    return endpointViewOf(row, pending.get(id) ?? 0);
  }

  private async replayIds(tenant: string, ids: readonly string[]): Promise<string[]> {
    const replayed = await this.deliveries.replay(tenant, ids, this.intake.expiresAt());
    this.dispatcher.nudge();
    return replayed;
  }
}

/** Credentials a receiverInfo may carry are not shown back. */
function redactedHeaders(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    out[name] = /authorization|token|secret|key|password/i.test(name) ? '<redacted>' : value;
  }
  return out;
}
