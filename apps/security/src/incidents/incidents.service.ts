import { Inject, Injectable } from '@nestjs/common';
import { actorOf, AuditTrail, principalDetails } from '@urbis/audit';
import type { Principal } from '@urbis/auth';
import { createEvent, type EventOf, type PayloadOf } from '@urbis/contracts';
import { enqueueEvent, messageKeyOf, OutboxRelay } from '@urbis/messaging';
import { SERVICE_CONFIG } from '@urbis/runtime';
import { randomUUID } from 'node:crypto';
import type { Db } from '../common/database';
import { SecurityErrorCode, SecurityProblem } from '../common/problems';
import type { SecurityConfig } from '../config';
import type { Prisma } from '../prisma-client/client';
import { type IncidentSubject, RULE_DEFINITIONS, type RuleName } from './detection-rules';
import { type IncidentRow, IncidentsRepository } from './incidents.repository';
import type { Burst } from './signal-windows';

type EnforcementRequest = PayloadOf<'security.enforcement.requested.v2'>;

export interface Detection {
  tenant: string;
  rule: RuleName;
  subject: IncidentSubject;
  burst: Burst;
  windowSeconds: number;
  threshold: Record<string, Prisma.InputJsonValue>;
  enforce: boolean;
}

export interface IncidentView {
  incidentId: string;
  tenant: string;
  rule: string;
  kind: string;
  severity: string;
  subject: { kind: string; id: string };
  status: string;
  summary: string;
  evidence: unknown;
  occurrences: number;
  firstSeenAt: string;
  lastSeenAt: string;
  detectedAt: string;
  acknowledged?: { at: string; by: string };
  resolved?: { at: string; by: string };
  note?: string;
  enforcements: Array<{ enforcementId: string; action: string; target: string; until?: string; status: string; requestedAt: string; reports: unknown }>;
}

export function incidentView(row: IncidentRow): IncidentView {
  return {
    incidentId: row.incidentId,
    tenant: row.tenant,
    rule: row.rule,
    kind: row.kind,
    severity: row.severity,
    subject: { kind: row.subjectKind, id: row.subjectId },
    status: row.status,
    summary: row.summary,
    evidence: row.evidence,
    occurrences: row.occurrences,
    firstSeenAt: row.firstSeenAt.toISOString(),
    lastSeenAt: row.lastSeenAt.toISOString(),
    detectedAt: row.detectedAt.toISOString(),
    ...(row.acknowledgedAt && { acknowledged: { at: row.acknowledgedAt.toISOString(), by: row.acknowledgedBy ?? '' } }),
    ...(row.resolvedAt && { resolved: { at: row.resolvedAt.toISOString(), by: row.resolvedBy ?? '' } }),
    ...(row.note !== null && { note: row.note }),
    enforcements: row.enforcements.map((e) => ({
      enforcementId: e.enforcementId,
      action: e.action,
      target: e.target,
      ...(e.until && { until: e.until.toISOString() }),
      status: e.status,
      requestedAt: e.requestedAt.toISOString(),
      reports: e.reports,
    })),
  };
}

/**
 * Incidents and their response: a detection opens an incident (or adds to the subject's open
 * one), publishes `security.incident.raised.v1` and, when the tenant wants it, an enforcement
 * request, all in one transaction with their audit records. Operators acknowledge and resolve.
 */
@Injectable()
export class IncidentsService {
  constructor(
    private readonly repository: IncidentsRepository,
    private readonly audit: AuditTrail,
    private readonly relay: OutboxRelay,
    @Inject(SERVICE_CONFIG) private readonly config: SecurityConfig,
  ) {}

  async raise(detection: Detection): Promise<{ incidentId: string; created: boolean; enforcement?: EnforcementRequest }> {
    const { tenant, rule, subject, burst } = detection;
    const definition = RULE_DEFINITIONS[rule];
    const summary = definition.describe(subject, burst.occurrences, detection.windowSeconds);
    const evidence: Prisma.InputJsonValue = {
      rule,
      threshold: detection.threshold,
      occurrences: burst.occurrences,
      firstAt: new Date(burst.firstAt).toISOString(),
      lastAt: new Date(burst.lastAt).toISOString(),
      actors: burst.actors,
      samples: burst.samples as unknown as Prisma.InputJsonValue,
    };
    const result = await this.repository.transaction(async (tx) => {
      const { incidentId, created } = await this.repository.raise(tx, {
        incidentId: randomUUID(),
        tenant,
        rule,
        kind: definition.kind,
        severity: definition.severity,
        subjectKind: subject.kind,
        subjectId: subject.id,
        summary,
        evidence,
        occurrences: burst.occurrences,
        firstSeenAt: new Date(burst.firstAt),
        lastSeenAt: new Date(burst.lastAt),
      });
      if (created) {
        const raised = createEvent('security.incident.raised.v1', {
          tenant,
          source: 'security',
          payload: { incidentId, kind: definition.kind, severity: definition.severity, subject, summary, evidence: evidence as Record<string, never>, detectedAt: new Date().toISOString(), rule },
        });
        await enqueueEvent(tx, 'security.incident.raised.v1', raised, { key: messageKeyOf('security.incident.raised.v1', raised) });
        await this.audit.enqueue(tx, {
          tenant,
          actor: { kind: 'service', id: 'security' },
          action: 'security.incident.raise',
          resource: { type: 'incident', id: incidentId },
          outcome: 'succeeded',
          reason: rule,
          details: { subject: { ...subject }, occurrences: burst.occurrences, severity: definition.severity },
        });
      }
      const enforcement = detection.enforce && !(await this.repository.hasActiveEnforcement(tx, incidentId, new Date())) ? this.responseTo(incidentId, subject, summary) : undefined;
      if (enforcement) await this.requestEnforcement(tx, tenant, incidentId, enforcement);
      return { incidentId, created, ...(enforcement && { enforcement }) };
    });
    this.relay.nudge();
    return result;
  }

  async acknowledge(tenant: string, caller: Principal, incidentId: string, note?: string): Promise<IncidentView> {
    return this.move(tenant, caller, incidentId, ['open'], 'acknowledged', { status: 'acknowledged', acknowledgedAt: new Date(), acknowledgedBy: actorOf(caller).id, ...(note && { note }) }, 'security.incident.acknowledge');
  }

  async resolve(tenant: string, caller: Principal, incidentId: string, note?: string): Promise<IncidentView> {
    return this.move(tenant, caller, incidentId, ['open', 'acknowledged'], 'resolved', { status: 'resolved', resolvedAt: new Date(), resolvedBy: actorOf(caller).id, ...(note && { note }) }, 'security.incident.resolve');
  }

  async get(tenant: string, incidentId: string): Promise<IncidentView> {
    const row = await this.repository.find(tenant, incidentId);
    if (!row) throw new SecurityProblem(SecurityErrorCode.IncidentNotFound, `No incident ${incidentId} in this tenant.`);
    return incidentView(row);
  }

  async list(tenant: string, filter: { status?: string; rule?: string }, page: { limit: number; offset: number }) {
    const { incidents, total } = await this.repository.list(tenant, filter, page);
    return { incidents: incidents.map(incidentView), total };
  }

  /** Records a threshold change in the ledger, within the caller's transaction. */
  async auditThreshold(tx: Db, tenant: string, caller: Principal, rule: string, threshold: { count: number; windowSeconds: number; enforce: boolean }): Promise<void> {
    await this.audit.enqueue(tx, {
      tenant,
      actor: actorOf(caller),
      action: 'security.threshold.update',
      resource: { type: 'detection-rule', id: rule },
      outcome: 'succeeded',
      details: { ...principalDetails(caller), ...threshold },
    });
  }

  /** An applier's confirmation (`security.enforcement.applied.v1`), kept on the enforcement. */
  async reported(events: readonly EventOf<'security.enforcement.applied.v1'>[]): Promise<void> {
    for (const { payload } of events) {
      await this.repository.report(payload.enforcementId, { appliedBy: payload.appliedBy, outcome: payload.outcome, at: payload.at, ...(payload.detail !== undefined && { detail: payload.detail }) });
    }
  }

  /** The automatic response to an incident's subject: a timed block for an address, a suspension for a device. */
  private responseTo(incidentId: string, subject: IncidentSubject, summary: string): EnforcementRequest | undefined {
    const common = { enforcementId: randomUUID(), incidentId, reason: summary.slice(0, 500), requestedAt: new Date().toISOString() };
    if (subject.kind === 'address') {
      return { ...common, action: 'block-address', target: subject.id, until: new Date(Date.now() + this.config.detection.blockSeconds * 1000).toISOString() };
    }
    if (subject.kind === 'device') return { ...common, action: 'suspend-device', target: subject.id };
    return undefined; // clients and users: Keycloak's business (disable the client), not an automatic one
  }

  private async requestEnforcement(tx: Db, tenant: string, incidentId: string, request: EnforcementRequest): Promise<void> {
    const event = createEvent('security.enforcement.requested.v2', { tenant, source: 'security', payload: request });
    await this.repository.insertEnforcement(tx, {
      enforcementId: request.enforcementId,
      tenant,
      incidentId,
      action: request.action,
      target: request.target,
      until: request.action === 'block-address' ? new Date(request.until) : null,
      requestedAt: new Date(request.requestedAt),
    });
    await enqueueEvent(tx, 'security.enforcement.requested.v2', event, { key: messageKeyOf('security.enforcement.requested.v2', event) });
    await this.audit.enqueue(tx, {
      tenant,
      actor: { kind: 'service', id: 'security' },
      action: `security.enforcement.${request.action}`,
      resource: { type: request.action === 'block-address' || request.action === 'unblock-address' ? 'address' : 'device', id: request.target },
      outcome: 'succeeded',
      reason: request.reason,
      details: { enforcementId: request.enforcementId, incidentId, ...(request.action === 'block-address' && { until: request.until }) },
    });
  }

  private async move(tenant: string, caller: Principal, incidentId: string, from: string[], to: string, data: Prisma.IncidentUpdateManyMutationInput, action: string): Promise<IncidentView> {
    const view = await this.repository.transaction(async (tx) => {
      const current = await this.repository.find(tenant, incidentId, tx);
      if (!current) throw new SecurityProblem(SecurityErrorCode.IncidentNotFound, `No incident ${incidentId} in this tenant.`);
      if (!(await this.repository.transition(tx, tenant, incidentId, from, data))) {
        throw new SecurityProblem(SecurityErrorCode.IllegalIncidentTransition, `Incident ${incidentId} is ${current.status}; it cannot become ${to}.`, { status: current.status });
      }
      await this.audit.enqueue(tx, {
        tenant,
        actor: actorOf(caller),
        action,
        resource: { type: 'incident', id: incidentId },
        outcome: 'succeeded',
        details: { ...principalDetails(caller), from: current.status, to },
      });
      const updated = await this.repository.find(tenant, incidentId, tx);
      return incidentView(updated as IncidentRow);
    });
    this.relay.nudge();
    return view;
  }
}
