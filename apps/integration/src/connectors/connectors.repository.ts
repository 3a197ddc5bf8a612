import { Inject, Injectable } from '@nestjs/common';
import { type Connector, type Prisma, PrismaClient } from '../prisma-client/client';
import type { ConnectorReport } from './runners/runner';

/** A connector as the supervisor runs it. */
export type ClaimedConnector = Pick<
  Connector,
  'id' | 'tenant' | 'name' | 'kind' | 'config' | 'mapping' | 'desiredState' | 'updatedAt' | 'pollState'
>;

@Injectable()
export class ConnectorsRepository {
  constructor(@Inject(PrismaClient) private readonly prisma: PrismaClient) {}

  create(data: Prisma.ConnectorUncheckedCreateInput): Promise<Connector> {
    return this.prisma.connector.create({ data });
  }

  find(tenant: string, id: string): Promise<Connector | null> {
    return this.prisma.connector.findFirst({ where: { tenant, id } });
  }

  /** A push connector by id alone: external systems know it by its URL and secret, not by tenant. */
  findPush(id: string): Promise<Connector | null> {
    return this.prisma.connector.findFirst({ where: { id, kind: 'http_push' } });
  }

  async list(tenant: string, page: { limit: number; offset: number }) {
    const [rows, total] = await Promise.all([
      this.prisma.connector.findMany({
        where: { tenant },
        orderBy: { createdAt: 'asc' },
        take: page.limit,
        skip: page.offset,
      }),
      this.prisma.connector.count({ where: { tenant } }),
    ]);
    return { rows, total };
  }

  update(tenant: string, id: string, data: Prisma.ConnectorUpdateManyMutationInput): Promise<number> {
    return this.prisma.connector.updateMany({ where: { tenant, id }, data }).then((result) => result.count);
  }

  delete(tenant: string, id: string): Promise<number> {
    return this.prisma.connector.deleteMany({ where: { tenant, id } }).then((result) => result.count);
  }

  /**
   * Renews this replica's leases and takes free ones: every connector that should run (not
   * stopped, not push) and that no live replica holds.
   */
  async claim(owner: string, leaseMs: number): Promise<ClaimedConnector[]> {
    const rows = await this.prisma.$queryRawUnsafe<
      {
        id: string;
        tenant: string;
        name: string;
        kind: string;
        config: unknown;
        mapping: string;
        desired_state: string;
        updated_at: Date;
        poll_state: unknown;
      }[]
    >(
      `UPDATE connector SET lease_owner = $1, lease_until = now() + make_interval(secs => $2::double precision / 1000)
        WHERE kind <> 'http-push' AND desired_state <> 'stopped'
          AND (lease_owner = $1 OR lease_until IS NULL OR lease_until < now())
       RETURNING id::text AS id, tenant, name, kind::text AS kind, config, mapping, desired_state::text AS desired_state,
                 updated_at, poll_state`,
      owner,
      leaseMs,
    );
    return rows.map((row) => ({
      id: row.id,
      tenant: row.tenant,
      name: row.name,
      kind: row.kind.replace('-', '_') as Connector['kind'],
      config: row.config as Connector['config'],
      mapping: row.mapping,
      desiredState: row.desired_state as Connector['desiredState'],
      updatedAt: new Date(row.updated_at),
      pollState: row.poll_state as Connector['pollState'],
    }));
  }

  /** Adds a runner's counters and writes its status, while this replica holds the lease. */
  async flush(id: string, owner: string | undefined, report: ConnectorReport): Promise<void> {
    const counts = report.drain();
    await this.prisma.$executeRawUnsafe(
      `UPDATE connector
          SET status = $3, last_error = COALESCE($4, last_error), last_error_at = COALESCE($5::timestamptz, last_error_at),
              readings = readings + $6, observations = observations + $7, failures = failures + $8,
              reconnects = reconnects + $9,
              last_reading_at = COALESCE($10::timestamptz, last_reading_at),
              last_observation_at = COALESCE($11::timestamptz, last_observation_at),
              poll_state = COALESCE($12::jsonb, poll_state)
        WHERE id = $1::uuid AND ($2::text IS NULL OR lease_owner = $2)`,
      id,
      owner ?? null,
      report.status,
      report.lastError ?? null,
      report.lastErrorAt?.toISOString() ?? null,
      counts.readings,
      counts.observations,
      counts.failures,
      counts.reconnects,
      report.lastReadingAt?.toISOString() ?? null,
      report.lastObservationAt?.toISOString() ?? null,
      report.pollState ? JSON.stringify(report.pollState) : null,
    );
  }

  /** Push connectors run on every replica: their counters are added per request. */
  async recordPush(id: string, observations: number, error: string | undefined): Promise<void> {
    await this.prisma.$executeRawUnsafe(
      `UPDATE connector
          SET readings = readings + 1, observations = observations + $2, last_reading_at = now(),
              last_observation_at = CASE WHEN $2 > 0 THEN now() ELSE last_observation_at END,
              failures = failures + CASE WHEN $3::text IS NULL THEN 0 ELSE 1 END,
              last_error = COALESCE($3, last_error),
              last_error_at = CASE WHEN $3::text IS NULL THEN last_error_at ELSE now() END
        WHERE id = $1::uuid`,
      id,
      observations,
      error?.slice(0, 1000) ?? null,
    );
  }

  async release(id: string, owner: string, status: string): Promise<void> {
    await this.prisma.$executeRawUnsafe(
      `UPDATE connector SET lease_owner = NULL, lease_until = NULL, status = $3 WHERE id = $1::uuid AND lease_owner = $2`,
      id,
      owner,
      status,
    );
  }
}
