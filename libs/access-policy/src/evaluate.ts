import type { z } from 'zod';
import type { dataAccessPolicy, policyResource } from '@urbis/contracts';

/** A data-access policy, as the security service stores and publishes it (`security.policy.changed.v2`). */
export type Policy = z.output<typeof dataAccessPolicy>;
export type PolicyResource = z.output<typeof policyResource>;
export type AccessAction = 'read' | 'write';

/** Who asks: what a verified token says about the caller. */
export interface AccessSubject {
  /** `azp`: the client (an integrator's application). */
  clientId?: string;
  /** `sub`: the user or service account. */
  userId?: string;
  roles?: readonly string[];
}

export interface AccessRequest {
  tenant: string;
  subject: AccessSubject;
  action: AccessAction;
  entityType: string;
  /** The attributes the caller reads or writes; omit to ask which ones it may. */
  attributes?: readonly string[];
  /** When; default now. Policies outside their validity dates do not apply. */
  at?: Date;
  /** The caller's declared purpose; when given, only grants for that purpose apply. */
  purpose?: string;
}

export type DecisionReason = 'granted' | 'unrestricted-role' | 'no-grant' | 'outside-validity' | 'attributes-not-granted';

export interface AccessDecision {
  decision: 'allow' | 'deny';
  /** What the caller may see or change: `'*'` for every attribute of the entity type, else their names. */
  attributes: '*' | string[];
  /** Attributes the caller asked for that no grant covers. */
  deniedAttributes: string[];
  reason: DecisionReason;
  /** A sentence for logs and audit records. */
  detail: string;
  /** The policies that granted something. */
  policies: string[];
}

export interface EvaluateOptions {
  /**
   * Roles that policies do not restrict (e.g. tenant-admin, operator of the tenant): allowed
   * everything. Default none: every caller is subject to policies.
   */
  unrestrictedRoles?: readonly string[];
}

function subjectMatches(policy: Policy, subject: AccessSubject): boolean {
  const { kind, id } = policy.subject;
  if (kind === 'client') return subject.clientId === id;
  if (kind === 'user') return subject.userId === id;
  return (subject.roles ?? []).includes(id);
}

function validAt(policy: Policy, at: Date): boolean {
  const time = at.getTime();
  if (policy.validFrom !== undefined && time < Date.parse(policy.validFrom)) return false;
  if (policy.validUntil !== undefined && time >= Date.parse(policy.validUntil)) return false;
  return true;
}

/** What one resource grants on an entity type: everything, some attributes, or nothing. */
function coverage(resource: PolicyResource, entityType: string): '*' | readonly string[] | null {
  switch (resource.kind) {
    case 'tenant':
      return '*';
    case 'entity-type':
      return resource.entityType === entityType ? '*' : null;
    case 'attribute':
      return resource.entityType === entityType ? resource.attributes : null;
    case 'data-product': {
      const entity = resource.entities.find((e) => e.entityType === entityType);
      return entity ? (entity.attributes ?? '*') : null;
    }
  }
}

const deny = (reason: DecisionReason, detail: string, deniedAttributes: string[] = []): AccessDecision => ({
  decision: 'deny',
  attributes: [],
  deniedAttributes,
  reason,
  detail,
  policies: [],
});

/**
 * Decides one access: deny by default; the union of every matching grant (same tenant, the
 * caller's client, user or one of its roles, the action, valid at the time, the purpose if the
 * caller states one) says which attributes of the entity type it covers. A read is allowed when
 * at least one requested attribute is covered (the others are to be left out of the answer); a
 * write only when every attribute it changes is covered.
 */
export function evaluate(policies: Iterable<Policy>, request: AccessRequest, options: EvaluateOptions = {}): AccessDecision {
  const requested = request.attributes ? [...new Set(request.attributes)] : undefined;
  const unrestricted = (request.subject.roles ?? []).find((role) => options.unrestrictedRoles?.includes(role));
  if (unrestricted) {
    return { decision: 'allow', attributes: requested ?? '*', deniedAttributes: [], reason: 'unrestricted-role', detail: `role ${unrestricted} is not restricted by policies`, policies: [] };
  }
  const at = request.at ?? new Date();
  let outsideValidity = 0;
  let everything = false;
  const granted = new Set<string>();
  const contributing: string[] = [];
  for (const policy of policies) {
    if (policy.tenant !== request.tenant || !policy.actions.includes(request.action) || !subjectMatches(policy, request.subject)) continue;
    if (request.purpose !== undefined && policy.purpose !== request.purpose) continue;
    const covered = policy.resources.map((resource) => coverage(resource, request.entityType)).filter((c) => c !== null);
    if (covered.length === 0) continue;
    if (!validAt(policy, at)) {
      outsideValidity += 1;
      continue;
    }
    contributing.push(policy.policyId);
    for (const c of covered) {
      if (c === '*') everything = true;
      else c.forEach((attribute) => granted.add(attribute));
    }
  }
  const what = `${request.action} on ${request.entityType}`;
  if (contributing.length === 0) {
    return outsideValidity > 0
      ? deny('outside-validity', `the grants of ${what} for this caller are not valid at ${at.toISOString()}`, requested)
      : deny('no-grant', `no policy grants ${what} to this caller`, requested);
  }
  if (requested === undefined || requested.length === 0) {
    return { decision: 'allow', attributes: everything ? '*' : [...granted].sort(), deniedAttributes: [], reason: 'granted', detail: `${what} granted`, policies: contributing };
  }
  const allowed = everything ? requested : requested.filter((attribute) => granted.has(attribute));
  const refused = requested.filter((attribute) => !allowed.includes(attribute));
  if (allowed.length === 0 || (request.action === 'write' && refused.length > 0)) {
    return deny('attributes-not-granted', `${what}: not granted for ${refused.join(', ')}`, refused);
  }
  return {
    decision: 'allow',
    attributes: allowed,
    deniedAttributes: refused,
    reason: 'granted',
    detail: refused.length ? `${what} granted for ${allowed.join(', ')}; not for ${refused.join(', ')}` : `${what} granted`,
    policies: contributing,
  };
}
