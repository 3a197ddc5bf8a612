import { Injectable } from '@nestjs/common';
import type { Db } from '../common/database';
import { type Prisma, PrismaClient } from '../prisma-client/client';

export type IncidentRow = Prisma.IncidentGetPayload<{ include: { enforcements: true } }>;
export type ThresholdRow = Prisma.DetectionThresholdGetPayload<Record<string, never>>;

export interface NewIncident {
  incidentId: string;
  tenant: string;
  rule: string;
  kind: string;
  severity: string;
  subjectKind: string;
  subjectId: string;
  summary: string;
  evidence: Prisma.InputJsonValue;
  occurrences: number;
  firstSeenAt: Date;
  lastSeenAt: Date;
}

export interface NewEnforcement {
  enforcementId: string;
  tenant: string;
  incidentId: string | null;
  action: string;
  target: string;
  until: Date | null;
  requestedAt: Date;
}

/** The only place that touches incidents, thresholds and enforcements. */
@Injectable()
export class IncidentsRepository {
  constructor(private readonly prisma: PrismaClient) {}

  transaction<T>(fn: (tx: Db) => Promise<T>): Promise<T> {
    return this.prisma.$transaction(fn);
  }

  /**
   * Opens an incident, or adds the burst to the subject's unresolved one. Returns its id and
   * whether it is new.
   */
  async raise(tx: Db, incident: NewIncident): Promise<{ incidentId: string; created: boolean }> {
    const [row] = await tx.$queryRawUnsafe<Array<{ incident_id: string; created: boolean }>>(
      `INSERT INTO incident (incident_id, tenant, rule, kind, severity, subject_kind, subject_id, status, summary, evidence,
                             occurrences, first_seen_at, last_seen_at, detected_at)
       VALUES ($1::uuid, $2, $3, $4, $5, $6, $7, 'open', $8, $9::jsonb, $10, $11, $12, now())
       ON CONFLICT (tenant, rule, subject_kind, subject_id) WHERE status <> 'resolved'
       DO UPDATE SET occurrences = incident.occurrences + EXCLUDED.occurrences,
                     last_seen_at = GREATEST(incident.last_seen_at, EXCLUDED.last_seen_at),
                     summary = EXCLUDED.summary,
                     evidence = EXCLUDED.evidence
       RETURNING incident_id::text, (xmax = 0) AS created`,
      incident.incidentId,
      incident.tenant,
      incident.rule,
      incident.kind,
      incident.severity,
      incident.subjectKind,
      incident.subjectId,
      incident.summary,
      JSON.stringify(incident.evidence),
      incident.occurrences,
      incident.firstSeenAt,
      incident.lastSeenAt,
    );
    if (!row) throw new Error('incident upsert returned nothing');
    return { incidentId: row.incident_id, created: row.created };
  }

  /** Whether an enforcement of the incident is still in force (a block not yet over, a suspension). */
  async hasActiveEnforcement(tx: Db, incidentId: string, now: Date): Promise<boolean> {
    const active = await tx.enforcement.count({ where: { incidentId, status: { in: ['requested', 'applied'] }, OR: [{ until: null }, { until: { gt: now } }] } });
    return active > 0;
  }

  async insertEnforcement(tx: Db, enforcement: NewEnforcement): Promise<void> {
    await tx.enforcement.create({ data: { ...enforcement, status: 'requested', updatedAt: enforcement.requestedAt } });
  }

  /** Adds one applier's report unless it was already recorded; the newest outcome is the status. */
  async report(enforcementId: string, report: { appliedBy: string; outcome: string; at: string; detail?: string }): Promise<boolean> {
    const updated = await this.prisma.$executeRawUnsafe(
      `UPDATE enforcement SET reports = reports || $2::jsonb, status = $3, updated_at = now()
        WHERE enforcement_id = $1::uuid AND NOT reports @> $4::jsonb`,
      enforcementId,
      JSON.stringify([report]),
      report.outcome,
      JSON.stringify([{ appliedBy: report.appliedBy, outcome: report.outcome }]),
    );
    return updated === 1;
  }

  find(tenant: string, incidentId: string, tx: Db = this.prisma): Promise<IncidentRow | null> {
    return tx.incident.findFirst({ where: { tenant, incidentId }, include: { enforcements: { orderBy: { requestedAt: 'asc' } } } });
  }

  async list(tenant: string, filter: { status?: string; rule?: string }, page: { limit: number; offset: number }): Promise<{ incidents: IncidentRow[]; total: number }> {
    const where: Prisma.IncidentWhereInput = { tenant, ...(filter.status && { status: filter.status }), ...(filter.rule && { rule: filter.rule }) };
    const [incidents, total] = await Promise.all([
      this.prisma.incident.findMany({ where, orderBy: { detectedAt: 'desc' }, skip: page.offset, take: page.limit, include: { enforcements: { orderBy: { requestedAt: 'asc' } } } }),
      this.prisma.incident.count({ where }),
    ]);
    return { incidents, total };
  }

  /** Moves an incident from one of `from` to `to`; false if it was in another state. */
  async transition(tx: Db, tenant: string, incidentId: string, from: string[], data: Prisma.IncidentUpdateManyMutationInput): Promise<boolean> {
    const updated = await tx.incident.updateMany({ where: { tenant, incidentId, status: { in: from } }, data });
    return updated.count === 1;
  }

  thresholds(tenant: string): Promise<ThresholdRow[]> {
    return this.prisma.detectionThreshold.findMany({ where: { tenant } });
  }

  async saveThreshold(tx: Db, row: ThresholdRow): Promise<void> {
    await tx.detectionThreshold.upsert({ where: { tenant_rule: { tenant: row.tenant, rule: row.rule } }, create: row, update: row });
  }
}
