import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { type AccessAction, evaluate, type Policy, PolicyCache, PolicyFeed } from '@urbis/access-policy';
import { actorOf, AuditTrail, principalDetails } from '@urbis/audit';
import { type Principal, PROBLEM_TYPE_BASE, Role } from '@urbis/auth';
import type { Logger } from '@urbis/observability';
import { KAFKA, messagingLogger, ProblemException, SERVICE_CONFIG, SERVICE_LOGGER, ServiceLifecycle } from '@urbis/runtime';
import type { Kafka } from 'kafkajs';
import { randomUUID } from 'node:crypto';
import type { DataConfig } from '../config';
import { ContextService } from '../contexts/context.service';
import type { Mutation } from '../ngsi-ld/entity-mutations';
import type { StoredEntity } from '../ngsi-ld/stored';

/** Roles data-access policies do not restrict (docs/security.md): they see and change all of their tenant. */
const UNRESTRICTED: readonly Role[] = [Role.PlatformAdmin, Role.TenantAdmin, Role.Operator];

/**
 * What a caller may read or change: everything, or per entity type (IRI) every attribute (`'*'`)
 * or some (attribute IRIs).
 */
export type AccessScope = { unrestricted: true } | { unrestricted: false; types: Map<string, '*' | Set<string>> };

const forbidden = (detail: string) =>
  new ProblemException({ type: `${PROBLEM_TYPE_BASE}access-denied`, title: 'Forbidden', status: 403, detail });

/**
 * Enforces the security service's data-access policies on every read and write, locally: a
 * cache fed by `security.policy.changed.v2` (libs/access-policy), so no request calls the
 * security service. Policies name types and attributes as the core @context does (short names
 * or IRIs); they are compared expanded. Every denial is audited.
 */
@Injectable()
export class DataAccess implements OnModuleInit {
  private readonly cache = new PolicyCache();
  private readonly feed: PolicyFeed;

  constructor(
    @Inject(KAFKA) kafka: Kafka,
    @Inject(SERVICE_CONFIG) config: DataConfig,
    @Inject(SERVICE_LOGGER) logger: Logger,
    private readonly lifecycle: ServiceLifecycle,
    private readonly contexts: ContextService,
    private readonly audit: AuditTrail,
  ) {
    // A group of its own per process: every replica reads every policy from the beginning.
    this.feed = new PolicyFeed({ kafka, cache: this.cache, groupId: `urbis-data-policies-${config.replicaId}-${randomUUID()}`, logger: messagingLogger(logger) });
  }

  onModuleInit(): void {
    this.lifecycle.addWorker({ name: 'policy-feed', start: () => this.feed.start(), stop: () => this.feed.stop(), isRunning: () => this.feed.isRunning() });
  }

  /** What `principal` may do with `action` in `tenant`, from the policies valid now. */
  scope(tenant: string, principal: Principal, action: AccessAction): AccessScope {
    if (principal.roles.some((role) => UNRESTRICTED.includes(role))) return { unrestricted: true };
    const policies = this.cache.policiesOf(tenant);
    const subject = { clientId: principal.clientId, userId: principal.subject, roles: principal.roles };
    const types = new Map<string, '*' | Set<string>>();
    for (const type of typesNamedBy(policies)) {
      const decision = evaluate(policies, { tenant, subject, action, entityType: type });
      if (decision.decision !== 'allow') continue;
      const core = this.contexts.core;
      types.set(core.expandTerm(type), decision.attributes === '*' ? '*' : new Set(decision.attributes.map((name) => core.expandTerm(name))));
    }
    if (policies.some((policy) => policy.resources.some((resource) => resource.kind === 'tenant') && evaluate([policy], { tenant, subject, action, entityType: '*' }).decision === 'allow')) {
      return { unrestricted: true };
    }
    return { unrestricted: false, types };
  }

  /** The entity as the scope lets its holder see it: granted attributes only; null when none of its types is granted. */
  visible(entity: StoredEntity, scope: AccessScope): StoredEntity | null {
    if (scope.unrestricted) return entity;
    const granted = entity.types.map((type) => scope.types.get(type)).filter((attributes) => attributes !== undefined);
    if (granted.length === 0) return null;
    if (granted.includes('*')) return entity;
    const allowed = new Set(granted.flatMap((attributes) => [...(attributes as Set<string>)]));
    return { ...entity, attrs: Object.fromEntries(Object.entries(entity.attrs).filter(([iri]) => allowed.has(iri))) };
  }

  /** Entity type IRIs a restricted scope may touch, for the SQL selection; undefined when unrestricted. */
  typesOf(scope: AccessScope): string[] | undefined {
    return scope.unrestricted ? undefined : [...scope.types.keys()];
  }

  /** Audits a read the scope refused outright (no granted type), and answers 403. */
  refuseRead(tenant: string, principal: Principal, what: string): ProblemException {
    this.recordDenial(tenant, principal, 'read', what);
    return forbidden(`no data-access policy lets this caller read ${what}`);
  }

  /**
   * The mutation, checked against the caller's write scope: every entity type it ends with must
   * be granted, and every attribute it changes covered. A refusal rejects this write only.
   */
  guardWrite<R>(tenant: string, principal: Principal, mutation: Mutation<R>): Mutation<R> {
    const scope = this.scope(tenant, principal, 'write');
    if (scope.unrestricted) return mutation;
    return (current, now) => {
      const change = mutation(current, now);
      const entity = change.next ?? current;
      if (!entity) return change;
      const changed = changedAttributes(current, change.next);
      const granted = entity.types.map((type) => scope.types.get(type)).filter((attributes) => attributes !== undefined);
      const covered = (iri: string) => granted.some((attributes) => attributes === '*' || attributes.has(iri));
      const refused = changed.filter((iri) => !covered(iri));
      if (granted.length === 0 || refused.length > 0) {
        const core = this.contexts.core;
        const what = `${entity.id} (${entity.types.map((type) => core.compactIri(type)).join(', ')})${refused.length ? `: ${refused.map((iri) => core.compactIri(iri)).join(', ')}` : ''}`;
        this.recordDenial(tenant, principal, 'write', what);
        throw forbidden(`no data-access policy lets this caller write ${what}`);
      }
      return change;
    };
  }

  private recordDenial(tenant: string, principal: Principal, action: AccessAction, what: string): void {
    this.audit.record(
      { tenant, actor: actorOf(principal), action: `data.access.${action}-denied`, resource: { type: 'entity', id: what.slice(0, 256) }, outcome: 'denied', reason: 'no-grant', details: principalDetails(principal) },
      { aggregate: { key: `${tenant}/${principal.clientId}/${action}` } },
    );
  }
}

function typesNamedBy(policies: readonly Policy[]): Set<string> {
  const types = new Set<string>();
  for (const policy of policies) {
    for (const resource of policy.resources) {
      if (resource.kind === 'entity-type' || resource.kind === 'attribute') types.add(resource.entityType);
      if (resource.kind === 'data-product') for (const entity of resource.entities) types.add(entity.entityType);
    }
  }
  return types;
}

/** Attribute IRIs whose instances differ between the two states (by reference: mutations keep what they leave alone). */
function changedAttributes(before: StoredEntity | null, after: StoredEntity | null): string[] {
  const names = new Set([...Object.keys(before?.attrs ?? {}), ...Object.keys(after?.attrs ?? {})]);
  return [...names].filter((iri) => {
    const a = before?.attrs[iri] ?? [];
    const b = after?.attrs[iri] ?? [];
    return a.length !== b.length || a.some((instance, i) => instance !== b[i]);
  });
}
