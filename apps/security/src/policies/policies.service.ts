import { Injectable } from '@nestjs/common';
import { type AccessDecision, evaluate, type Policy, type PolicyInput } from '@urbis/access-policy';
import { actorOf, AuditTrail, principalDetails } from '@urbis/audit';
import { type Principal } from '@urbis/auth';
import { createEvent } from '@urbis/contracts';
import { enqueueEvent, messageKeyOf, OutboxRelay } from '@urbis/messaging';
import { randomUUID } from 'node:crypto';
import type { Db } from '../common/database';
import { SecurityErrorCode, SecurityProblem } from '../common/problems';
import type { DecisionRequest } from './policies.dto';
import { type PolicyFilter, PoliciesRepository } from './policies.repository';

type Change = 'created' | 'updated' | 'deleted';

const notFound = (policyId: string) => new SecurityProblem(SecurityErrorCode.PolicyNotFound, `No policy ${policyId} in this tenant.`);

/**
 * Data-access policies of a tenant: every change is stored, published whole on
 * `security.policy.changed.v2` and audited, in one transaction. Decisions evaluate the tenant's
 * policies with the same evaluator services use locally; every denial is audited.
 */
@Injectable()
export class PoliciesService {
  constructor(
    private readonly repository: PoliciesRepository,
    private readonly audit: AuditTrail,
    private readonly relay: OutboxRelay,
  ) {}

  async create(tenant: string, caller: Principal, input: PolicyInput): Promise<Policy> {
    const policy: Policy = { ...input, policyId: randomUUID(), tenant, version: 1, updatedAt: new Date().toISOString() };
    await this.repository.transaction(async (tx) => {
      await this.repository.insert(tx, policy);
      await this.changed(tx, caller, 'created', policy);
    });
    this.relay.nudge();
    return policy;
  }

  /** Replaces the policy; with `expectedVersion`, only if nobody changed it since (409 otherwise). */
  async replace(tenant: string, caller: Principal, policyId: string, input: PolicyInput, expectedVersion?: number): Promise<Policy> {
    const policy = await this.repository.transaction(async (tx) => {
      const current = await this.repository.find(tenant, policyId, tx);
      if (!current) throw notFound(policyId);
      this.assertVersion(current, expectedVersion);
      const next: Policy = { ...input, policyId, tenant, version: current.version + 1, updatedAt: new Date().toISOString() };
      if (!(await this.repository.replace(tx, next, current.version))) throw this.conflict(policyId);
      await this.changed(tx, caller, 'updated', next);
      return next;
    });
    this.relay.nudge();
    return policy;
  }

  async delete(tenant: string, caller: Principal, policyId: string, expectedVersion?: number): Promise<void> {
    await this.repository.transaction(async (tx) => {
      const current = await this.repository.find(tenant, policyId, tx);
      if (!current) throw notFound(policyId);
      this.assertVersion(current, expectedVersion);
      if (!(await this.repository.delete(tx, tenant, policyId, current.version))) throw this.conflict(policyId);
      // The deletion is a new version too, so that caches ignore any older event arriving late.
      await this.changed(tx, caller, 'deleted', { ...current, version: current.version + 1, updatedAt: new Date().toISOString() });
    });
    this.relay.nudge();
  }

  async get(tenant: string, policyId: string): Promise<Policy> {
    const policy = await this.repository.find(tenant, policyId);
    if (!policy) throw notFound(policyId);
    return policy;
  }

  list(tenant: string, filter: PolicyFilter, page: { limit: number; offset: number }) {
    return this.repository.list(tenant, filter, page);
  }

  /** The decision point: the tenant's policies, evaluated for the subject the caller names. */
  async decide(tenant: string, caller: Principal, request: DecisionRequest): Promise<AccessDecision> {
    const decision = evaluate(await this.repository.all(tenant), {
      tenant,
      subject: request.subject,
      action: request.action,
      entityType: request.entityType,
      ...(request.attributes !== undefined && { attributes: request.attributes }),
      ...(request.purpose !== undefined && { purpose: request.purpose }),
      ...(request.at !== undefined && { at: new Date(request.at) }),
    });
    if (decision.decision === 'deny') {
      const subject = request.subject.clientId ?? request.subject.userId ?? (request.subject.roles ?? []).join(',');
      this.audit.record(
        {
          tenant,
          actor: actorOf(caller),
          action: 'security.decision.deny',
          resource: { type: 'entity-type', id: request.entityType },
          outcome: 'denied',
          reason: decision.reason,
          details: {
            ...principalDetails(caller),
            subject: { ...request.subject, ...(request.subject.roles && { roles: [...request.subject.roles] }) },
            action: request.action,
            ...(request.attributes && { attributes: request.attributes.slice(0, 50) }),
            detail: decision.detail,
          },
        },
        { aggregate: { key: `decision|${tenant}|${subject}|${request.action}|${request.entityType}|${decision.reason}` } },
      );
    }
    return decision;
  }

  private assertVersion(current: Policy, expected: number | undefined): void {
    if (expected !== undefined && expected !== current.version) throw this.conflict(current.policyId, current.version);
  }

  private conflict(policyId: string, version?: number): SecurityProblem {
    return new SecurityProblem(SecurityErrorCode.VersionConflict, `Policy ${policyId} was changed meanwhile${version ? ` (now version ${version})` : ''}; read it again.`, {
      ...(version !== undefined && { currentVersion: version }),
    });
  }

  private async changed(tx: Db, caller: Principal, change: Change, policy: Policy): Promise<void> {
    const event = createEvent('security.policy.changed.v2', {
      tenant: policy.tenant,
      source: 'security',
      payload: { policyId: policy.policyId, change, version: policy.version, policy, changedAt: policy.updatedAt },
    });
    await enqueueEvent(tx, 'security.policy.changed.v2', event, { key: messageKeyOf('security.policy.changed.v2', event) });
    await this.audit.enqueue(tx, {
      tenant: policy.tenant,
      actor: actorOf(caller),
      action: `security.policy.${change === 'created' ? 'create' : change === 'updated' ? 'update' : 'delete'}`,
      resource: { type: 'policy', id: policy.policyId },
      outcome: 'succeeded',
      details: { ...principalDetails(caller), version: policy.version, subject: { ...policy.subject }, actions: [...policy.actions], purpose: policy.purpose },
    });
  }
}
