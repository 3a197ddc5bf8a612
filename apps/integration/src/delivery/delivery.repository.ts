import { Inject, Injectable } from '@nestjs/common';
import { enqueueEvents, type OutboxItem, type SqlExecutor } from '@urbis/messaging';
import {
  type Delivery,
  type DeliveryAttempt,
  type Endpoint,
  Prisma,
  PrismaClient,
} from '../prisma-client/client';

export type Db = Prisma.TransactionClient;

/** A delivery entering its endpoint's queue. */
export interface NewDelivery {
  id: string;
  tenant: string;
  target: string;
  kind: 'notification' | 'webhook';
  correlationId: string;
  subscriptionId?: string;
  webhookId?: string;
  dedupeKey: string;
  uri: string;
  contentType: string;
  headers: Record<string, string>;
  body: string;
  expiresAt: Date;
  /** Trace context headers of what caused it (`traceHeaders`); its attempts continue that trace. */
  traceContext?: Record<string, string>;
}

/** One attempt as it went, for the log. */
export interface AttemptRecord {
  deliveryId: string;
  tenant: string;
  endpointId: string;
  attempt: number;
  startedAt: Date;
  durationMs: number;
  succeeded: boolean;
  statusCode?: number;
  error?: string;
  retryAt?: Date;
}

/** The head of a queue as the dispatcher reads it. */
export type QueuedDelivery = Pick<
  Delivery,
  | 'id'
  | 'tenant'
  | 'endpointId'
  | 'kind'
  | 'correlationId'
  | 'subscriptionId'
  | 'webhookId'
  | 'uri'
  | 'contentType'
  | 'headers'
  | 'body'
  | 'traceContext'
  | 'attempts'
  | 'replays'
  | 'firstAttemptAt'
  | 'lastFailureAt'
  | 'expiresAt'
>;

export interface EndpointUpdate {
  circuitState: 'closed' | 'open' | 'half_open';
  consecutiveFailures: number;
  circuitReopens: number;
  circuitOpenedAt?: Date | null;
  nextAttemptAt: Date;
  lastSuccessAt?: Date;
  lastFailureAt?: Date;
  lastError?: string;
}

const CIRCUIT_SQL = { closed: 'closed', open: 'open', half_open: 'half-open' } as const;

/** Endpoints, their queues, the delivery log. Hot paths are single SQL statements per batch. */
@Injectable()
export class DeliveryRepository {
  constructor(@Inject(PrismaClient) private readonly prisma: PrismaClient) {}

  transaction<T>(fn: (tx: Db) => Promise<T>): Promise<T> {
    return this.prisma.$transaction(fn, { timeout: 30_000 });
  }

  /** Puts deliveries at the end of their endpoints' queues, in order; known dedupe keys are skipped. */
  async enqueue(tx: SqlExecutor, deliveries: readonly NewDelivery[]): Promise<number> {
    if (deliveries.length === 0) return 0;
    const column = <K extends keyof NewDelivery>(key: K) => deliveries.map((d) => d[key] ?? null);
    await tx.$executeRawUnsafe(
      `INSERT INTO endpoint (id, tenant, target)
       SELECT gen_random_uuid(), tenant, target FROM (SELECT DISTINCT tenant, target FROM unnest($1::text[], $2::text[]) AS x(tenant, target)) AS n
       ON CONFLICT (tenant, target) DO NOTHING`,
      column('tenant'),
      column('target'),
    );
    return tx.$executeRawUnsafe(
      `INSERT INTO delivery (id, tenant, endpoint_id, kind, correlation_id, subscription_id, webhook_id,
                             dedupe_key, uri, content_type, headers, body, expires_at, trace_context)
       SELECT r.id, r.tenant, e.id, r.kind::delivery_kind, r.correlation_id, r.subscription_id, r.webhook_id,
              r.dedupe_key, r.uri, r.content_type, r.headers, r.body, r.expires_at, r.trace_context
         FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::uuid[],
                     $8::text[], $9::text[], $10::text[], $11::jsonb[], $12::text[], $13::timestamptz[], $14::jsonb[])
              WITH ORDINALITY AS r(id, tenant, target, kind, correlation_id, subscription_id, webhook_id,
                                   dedupe_key, uri, content_type, headers, body, expires_at, trace_context, ord)
         JOIN endpoint e ON e.tenant = r.tenant AND e.target = r.target
        ORDER BY r.ord
       ON CONFLICT (dedupe_key) DO NOTHING`,
      column('id'),
      column('tenant'),
      column('target'),
      column('kind'),
      column('correlationId'),
      column('subscriptionId'),
      column('webhookId'),
      column('dedupeKey'),
      column('uri'),
      column('contentType'),
      deliveries.map((d) => JSON.stringify(d.headers)),
      column('body'),
      deliveries.map((d) => d.expiresAt.toISOString()),
      deliveries.map((d) => JSON.stringify(d.traceContext ?? {})),
    );
  }

  /**
   * Leases up to `limit` endpoints whose head is due and that no live replica holds; an open
   * circuit whose cool-down passed becomes half-open (its next attempt is the probe).
   */
  claimEndpoints(owner: string, limit: number, leaseMs: number): Promise<Endpoint[]> {
    return this.prisma
      .$queryRawUnsafe<RawEndpoint[]>(
        `UPDATE endpoint e
          SET lease_owner = $1,
              lease_until = now() + make_interval(secs => $3::double precision / 1000),
              circuit_state = CASE WHEN e.circuit_state = 'open' THEN 'half-open'::circuit_state ELSE e.circuit_state END
        WHERE e.id IN (
              SELECT c.id FROM endpoint c
               WHERE c.next_attempt_at <= now()
                 AND (c.lease_until IS NULL OR c.lease_until < now())
                 AND EXISTS (SELECT 1 FROM delivery d WHERE d.endpoint_id = c.id AND d.status = 'pending')
               ORDER BY c.next_attempt_at
               LIMIT $2
               FOR UPDATE SKIP LOCKED)
       RETURNING ${ENDPOINT_COLUMNS}`,
        owner,
        limit,
        leaseMs,
      )
      .then((rows) => rows.map(endpointOf));
  }

  /** Keeps the lease while the queue is being worked; false when another replica took it. */
  async renewLease(endpointId: string, owner: string, leaseMs: number): Promise<boolean> {
    const count = await this.prisma.$executeRawUnsafe(
      `UPDATE endpoint SET lease_until = now() + make_interval(secs => $3::double precision / 1000)
        WHERE id = $1::uuid AND lease_owner = $2`,
      endpointId,
      owner,
      leaseMs,
    );
    return count > 0;
  }

  head(endpointId: string, limit: number): Promise<QueuedDelivery[]> {
    return this.prisma.delivery.findMany({
      where: { endpointId, status: 'pending' },
      orderBy: { seq: 'asc' },
      take: limit,
      select: {
        id: true,
        tenant: true,
        endpointId: true,
        kind: true,
        correlationId: true,
        subscriptionId: true,
        webhookId: true,
        uri: true,
        contentType: true,
        headers: true,
        body: true,
        traceContext: true,
        attempts: true,
        replays: true,
        firstAttemptAt: true,
        lastFailureAt: true,
        expiresAt: true,
      },
    });
  }

  /** Settles deliveries that succeeded, in one statement per table. */
  async markDelivered(tx: SqlExecutor, attempts: readonly AttemptRecord[]): Promise<void> {
    if (attempts.length === 0) return;
    await tx.$executeRawUnsafe(
      `UPDATE delivery d
          SET status = 'delivered', attempts = x.attempt, last_attempt_at = x.started_at,
              first_attempt_at = COALESCE(d.first_attempt_at, x.started_at),
              last_status_code = x.status_code, last_error = NULL, completed_at = x.completed_at
         FROM unnest($1::uuid[], $2::int[], $3::timestamptz[], $4::int[], $5::timestamptz[])
              AS x(id, attempt, started_at, status_code, completed_at)
        WHERE d.id = x.id AND d.status = 'pending'`,
      attempts.map((a) => a.deliveryId),
      attempts.map((a) => a.attempt),
      attempts.map((a) => a.startedAt.toISOString()),
      attempts.map((a) => a.statusCode ?? null),
      attempts.map((a) => new Date(a.startedAt.getTime() + a.durationMs).toISOString()),
    );
    await this.logAttempts(tx, attempts);
  }

  /** Records a failed attempt: the delivery waits until `retryAt`, or is dead-lettered. */
  async markFailed(
    tx: SqlExecutor,
    attempt: AttemptRecord,
    deadLetter: boolean,
    error: string,
  ): Promise<void> {
    const endedAt = new Date(attempt.startedAt.getTime() + attempt.durationMs);
    await tx.$executeRawUnsafe(
      `UPDATE delivery
          SET attempts = $2, last_attempt_at = $3::timestamptz, first_attempt_at = COALESCE(first_attempt_at, $3::timestamptz),
              last_failure_at = $4::timestamptz, last_status_code = $5, last_error = $6,
              status = CASE WHEN $7 THEN 'dead-lettered'::delivery_status ELSE status END,
              completed_at = CASE WHEN $7 THEN $4::timestamptz ELSE completed_at END
        WHERE id = $1::uuid AND status = 'pending'`,
      attempt.deliveryId,
      attempt.attempt,
      attempt.startedAt.toISOString(),
      endedAt.toISOString(),
      attempt.statusCode ?? null,
      error,
      deadLetter,
    );
    await this.logAttempts(tx, [attempt]);
  }

  /** Dead-letters a delivery that was never tried before its maximum age passed. */
  async expire(tx: SqlExecutor, deliveryId: string, reason: string, at: Date): Promise<void> {
    await tx.$executeRawUnsafe(
      `UPDATE delivery SET status = 'dead-lettered', last_error = $2, completed_at = $3::timestamptz
        WHERE id = $1::uuid AND status = 'pending'`,
      deliveryId,
      reason,
      at.toISOString(),
    );
  }

  /** Writes the endpoint's circuit and schedule; `release` gives up the lease. */
  async updateEndpoint(
    tx: SqlExecutor,
    endpointId: string,
    update: EndpointUpdate,
    release: boolean,
  ): Promise<void> {
    await tx.$executeRawUnsafe(
      `UPDATE endpoint
          SET circuit_state = $2::circuit_state, consecutive_failures = $3, circuit_reopens = $4,
              circuit_opened_at = CASE WHEN $5 THEN $6::timestamptz ELSE circuit_opened_at END,
              next_attempt_at = $7::timestamptz,
              last_success_at = COALESCE($8::timestamptz, last_success_at),
              last_failure_at = COALESCE($9::timestamptz, last_failure_at),
              last_error = COALESCE($10, last_error),
              lease_owner = CASE WHEN $11 THEN NULL ELSE lease_owner END,
              lease_until = CASE WHEN $11 THEN NULL ELSE lease_until END
        WHERE id = $1::uuid`,
      endpointId,
      CIRCUIT_SQL[update.circuitState],
      update.consecutiveFailures,
      update.circuitReopens,
      update.circuitOpenedAt !== undefined,
      update.circuitOpenedAt?.toISOString() ?? null,
      update.nextAttemptAt.toISOString(),
      update.lastSuccessAt?.toISOString() ?? null,
      update.lastFailureAt?.toISOString() ?? null,
      update.lastError ?? null,
      release,
    );
  }

  async release(endpointId: string, owner: string): Promise<void> {
    await this.prisma.$executeRawUnsafe(
      `UPDATE endpoint SET lease_owner = NULL, lease_until = NULL WHERE id = $1::uuid AND lease_owner = $2`,
      endpointId,
      owner,
    );
  }

  enqueueEvents(tx: SqlExecutor, items: readonly OutboxItem[]): Promise<void> {
    return enqueueEvents(tx, items);
  }

  /** Final rows of deliveries, for their completion events. */
  settled(tx: SqlExecutor, ids: readonly string[]): Promise<SettledDelivery[]> {
    return tx.$queryRawUnsafe<SettledDelivery[]>(
      `SELECT d.id, d.tenant, d.kind::text AS kind, d.correlation_id, d.subscription_id, d.webhook_id::text AS webhook_id,
              e.target, d.status::text AS status, d.attempts, d.replays, d.last_status_code, d.last_error,
              d.first_attempt_at, d.last_attempt_at, d.last_failure_at, d.completed_at, d.created_at
         FROM delivery d JOIN endpoint e ON e.id = d.endpoint_id
        WHERE d.id = ANY($1::uuid[]) AND d.status <> 'pending'`,
      [...ids],
    );
  }

  /** Deletes delivered rows (and their log) older than the retention; dead letters stay. */
  purgeDelivered(before: Date): Promise<number> {
    return this.prisma.$executeRawUnsafe(
      `DELETE FROM delivery WHERE id IN (
         SELECT id FROM delivery WHERE status = 'delivered' AND completed_at < $1::timestamptz LIMIT 10000)`,
      before.toISOString(),
    );
  }

  // --- the API's reads -------------------------------------------------------------------------

  findDelivery(tenant: string, id: string): Promise<(Delivery & { endpoint: Endpoint }) | null> {
    return this.prisma.delivery.findFirst({ where: { tenant, id }, include: { endpoint: true } });
  }

  async listDeliveries(
    where: Prisma.DeliveryWhereInput,
    page: { limit: number; offset: number },
  ): Promise<{ rows: (Delivery & { endpoint: Endpoint })[]; total: number }> {
    const [rows, total] = await Promise.all([
      this.prisma.delivery.findMany({
        where,
        include: { endpoint: true },
        orderBy: [{ createdAt: 'desc' }, { seq: 'desc' }],
        take: page.limit,
        skip: page.offset,
      }),
      this.prisma.delivery.count({ where }),
    ]);
    return { rows, total };
  }

  async listAttempts(
    where: Prisma.DeliveryAttemptWhereInput,
    page: { limit: number; offset: number },
  ): Promise<{ rows: DeliveryAttempt[]; total: number }> {
    const [rows, total] = await Promise.all([
      this.prisma.deliveryAttempt.findMany({
        where,
        orderBy: [{ startedAt: 'desc' }, { id: 'desc' }],
        take: page.limit,
        skip: page.offset,
      }),
      this.prisma.deliveryAttempt.count({ where }),
    ]);
    return { rows, total };
  }

  attemptsOf(deliveryId: string): Promise<DeliveryAttempt[]> {
    return this.prisma.deliveryAttempt.findMany({ where: { deliveryId }, orderBy: { id: 'asc' } });
  }

  async listEndpoints(tenant: string, page: { limit: number; offset: number }) {
    const [rows, total] = await Promise.all([
      this.prisma.endpoint.findMany({
        where: { tenant },
        orderBy: { createdAt: 'asc' },
        take: page.limit,
        skip: page.offset,
      }),
      this.prisma.endpoint.count({ where: { tenant } }),
    ]);
    return { rows, total };
  }

  findEndpoint(tenant: string, id: string): Promise<Endpoint | null> {
    return this.prisma.endpoint.findFirst({ where: { tenant, id } });
  }

  async pendingCounts(endpointIds: readonly string[]): Promise<Map<string, number>> {
    if (endpointIds.length === 0) return new Map();
    const rows = await this.prisma.delivery.groupBy({
      by: ['endpointId'],
      where: { endpointId: { in: [...endpointIds] }, status: 'pending' },
      _count: { _all: true },
    });
    return new Map(rows.map((row) => [row.endpointId, row._count._all]));
  }

  /** Moves dead letters back to the end of their queues, keeping their id (the idempotency key). */
  async replay(tenant: string, ids: readonly string[], expiresAt: Date): Promise<string[]> {
    const rows = await this.prisma.$queryRawUnsafe<{ id: string; endpoint_id: string }[]>(
      `UPDATE delivery d
          SET status = 'pending', seq = nextval(pg_get_serial_sequence('delivery', 'seq')), attempts = 0,
              replays = d.replays + 1, completed_at = NULL, expires_at = $3::timestamptz
         FROM (SELECT id FROM delivery WHERE tenant = $1 AND id = ANY($2::uuid[]) AND status = 'dead-lettered'
               ORDER BY seq FOR UPDATE) AS chosen
        WHERE d.id = chosen.id
       RETURNING d.id::text AS id, d.endpoint_id::text AS endpoint_id`,
      tenant,
      [...ids],
      expiresAt.toISOString(),
    );
    if (rows.length > 0) {
      // A replay is an operator saying "it is fixed now": the endpoint is tried at once.
      await this.prisma.$executeRawUnsafe(
        `UPDATE endpoint SET next_attempt_at = now(), circuit_state = 'closed', consecutive_failures = 0, circuit_reopens = 0
          WHERE id = ANY($1::uuid[])`,
        [...new Set(rows.map((row) => row.endpoint_id))],
      );
    }
    return rows.map((row) => row.id);
  }

  async deadLetterIds(tenant: string, endpointId: string | undefined, limit: number): Promise<string[]> {
    const rows = await this.prisma.delivery.findMany({
      where: { tenant, status: 'dead_lettered', ...(endpointId && { endpointId }) },
      orderBy: { seq: 'asc' },
      take: limit,
      select: { id: true },
    });
    return rows.map((row) => row.id);
  }

  private async logAttempts(tx: SqlExecutor, attempts: readonly AttemptRecord[]): Promise<void> {
    await tx.$executeRawUnsafe(
      `INSERT INTO delivery_attempt (tenant, delivery_id, endpoint_id, attempt, started_at, duration_ms, succeeded,
                                     status_code, error, retry_at)
       SELECT * FROM unnest($1::text[], $2::uuid[], $3::uuid[], $4::int[], $5::timestamptz[], $6::int[], $7::boolean[],
                            $8::int[], $9::text[], $10::timestamptz[])`,
      attempts.map((a) => a.tenant),
      attempts.map((a) => a.deliveryId),
      attempts.map((a) => a.endpointId),
      attempts.map((a) => a.attempt),
      attempts.map((a) => a.startedAt.toISOString()),
      attempts.map((a) => a.durationMs),
      attempts.map((a) => a.succeeded),
      attempts.map((a) => a.statusCode ?? null),
      attempts.map((a) => a.error ?? null),
      attempts.map((a) => a.retryAt?.toISOString() ?? null),
    );
  }
}

export interface SettledDelivery {
  id: string;
  tenant: string;
  kind: 'notification' | 'webhook';
  correlation_id: string;
  subscription_id: string | null;
  webhook_id: string | null;
  target: string;
  status: 'delivered' | 'dead-lettered';
  attempts: number;
  replays: number;
  last_status_code: number | null;
  last_error: string | null;
  first_attempt_at: Date | null;
  last_attempt_at: Date | null;
  last_failure_at: Date | null;
  completed_at: Date;
  created_at: Date;
}

const ENDPOINT_COLUMNS = `e.id::text AS id, e.tenant, e.target, e.circuit_state::text AS circuit_state,
  e.consecutive_failures, e.circuit_reopens, e.circuit_opened_at, e.next_attempt_at, e.lease_owner, e.lease_until,
  e.last_success_at, e.last_failure_at, e.last_error, e.created_at`;

interface RawEndpoint {
  id: string;
  tenant: string;
  target: string;
  circuit_state: 'closed' | 'open' | 'half-open';
  consecutive_failures: number;
  circuit_reopens: number;
  circuit_opened_at: Date | null;
  next_attempt_at: Date;
  lease_owner: string | null;
  lease_until: Date | null;
  last_success_at: Date | null;
  last_failure_at: Date | null;
  last_error: string | null;
  created_at: Date;
}

function endpointOf(row: RawEndpoint): Endpoint {
  return {
    id: row.id,
    tenant: row.tenant,
    target: row.target,
    circuitState: row.circuit_state === 'half-open' ? 'half_open' : row.circuit_state,
    consecutiveFailures: row.consecutive_failures,
    circuitReopens: row.circuit_reopens,
    circuitOpenedAt: row.circuit_opened_at,
    nextAttemptAt: row.next_attempt_at,
    leaseOwner: row.lease_owner,
    leaseUntil: row.lease_until,
    lastSuccessAt: row.last_success_at,
    lastFailureAt: row.last_failure_at,
    lastError: row.last_error,
    createdAt: row.created_at,
  };
}
