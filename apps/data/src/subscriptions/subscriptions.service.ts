import { Inject, Injectable } from '@nestjs/common';
import type { Principal } from '@urbis/auth';
import { SERVICE_CONFIG } from '@urbis/runtime';
import { randomUUID } from 'node:crypto';
import type { DataConfig } from '../config';
import { ContextService } from '../contexts/context.service';
import { isUri } from '../ngsi-ld/entity-input';
import { badRequest, NgsiLdError, notFound } from '../ngsi-ld/errors';
import { EntityRepository } from '../storage/entity.repository';
import type { StoredSubscription } from './subscription';
import { SubscriptionIndex } from './subscription-index';
import { applyFragment, parseSubscription } from './subscription-input';
import { SubscriptionsRepository } from './subscriptions.repository';

/** What a request brings besides its body: the @context it names and where clients reach the broker. */
export interface RequestContext {
  /** The request's @context (Link header or JSON-LD body); undefined: the core context. */
  value: unknown;
  baseUrl: string;
}

export function assertSubscriptionId(id: string): void {
  if (!isUri(id)) throw badRequest(`subscription id ${JSON.stringify(id)} is not a URI`);
}

/** The subscription operations of clause 5.8 (create, update, retrieve, query, delete). */
@Injectable()
export class SubscriptionsService {
  constructor(
    @Inject(SERVICE_CONFIG) private readonly config: DataConfig,
    private readonly repository: SubscriptionsRepository,
    private readonly entities: EntityRepository,
    private readonly contexts: ContextService,
    private readonly index: SubscriptionIndex,
  ) {}

  get limits() {
    return { defaultLimit: this.config.ngsiLd.defaultLimit, maxLimit: this.config.ngsiLd.maxLimit };
  }

  /** NGSILD-Tenant names a tenant that has never been written to: 404 NonexistentTenant (reads). */
  async assertTenantReadable(tenant: string, named: string | undefined): Promise<void> {
    if (named !== undefined && !(await this.entities.tenantExists(tenant))) {
      throw new NgsiLdError('NonexistentTenant', `tenant ${JSON.stringify(tenant)} does not exist`);
    }
  }

  async create(tenant: string, principal: Principal, raw: unknown, request: RequestContext): Promise<string> {
    const context = await this.contexts.resolve(request.value);
    const body = parseSubscription(raw, {
      context,
      now: Date.now(),
      generateId: () => `urn:ngsi-ld:Subscription:${randomUUID()}`,
    });
    // Notifications must be able to use it: unreachable is 503 LdContextNotAvailable, invalid 400.
    if (body.jsonldContext) await this.contexts.resolve(body.jsonldContext);
    const now = new Date().toISOString();
    const stored: StoredSubscription = {
      tenant,
      body,
      context: request.value ?? null,
      contextLink: body.jsonldContext ?? (await this.contexts.linkFor(request.value, request.baseUrl)),
      owner: { subject: principal.subject, clientId: principal.clientId, roles: [...principal.roles] },
      timesSent: 0,
      timesFailed: 0,
      createdAt: now,
      modifiedAt: now,
    };
    if (!(await this.repository.create(stored)))
      throw new NgsiLdError('AlreadyExists', `subscription ${body.id} already exists`);
    // This replica matches with it from the next write on; the others once PostgreSQL tells them.
    await this.index.refresh(tenant, body.id);
    return body.id;
  }

  async retrieve(tenant: string, id: string): Promise<StoredSubscription> {
    assertSubscriptionId(id);
    const subscription = await this.repository.find(tenant, id);
    if (!subscription) throw notFound(`subscription ${id} does not exist`);
    return subscription;
  }

  list(
    tenant: string,
    page: { limit: number; offset: number },
  ): Promise<{ subscriptions: StoredSubscription[]; total: number }> {
    return this.repository.list(tenant, page);
  }

  /**
   * Clause 5.8.2. A fragment that brings an @context (Link header or JSON-LD body) makes it the
   * subscription's from now on (its q, notifications); one that brings none keeps the current one.
   */
  async update(tenant: string, id: string, raw: unknown, request: RequestContext): Promise<void> {
    assertSubscriptionId(id);
    const context = await this.contexts.resolve(request.value);
    const jsonldContext =
      typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>)['jsonldContext'] : undefined;
    if (typeof jsonldContext === 'string' && isUri(jsonldContext)) await this.contexts.resolve(jsonldContext);
    const updated = await this.repository.update(tenant, id, async (current) => {
      const body = applyFragment(current.body, raw, { context, now: Date.now() });
      const subscriptionContext = request.value !== undefined ? request.value : current.context;
      return {
        ...current,
        body,
        context: subscriptionContext ?? null,
        contextLink:
          body.jsonldContext ??
          (await this.contexts.linkFor(subscriptionContext ?? undefined, request.baseUrl)),
        modifiedAt: new Date().toISOString(),
      };
    });
    if (!updated) throw notFound(`subscription ${id} does not exist`);
    await this.index.refresh(tenant, id);
  }

  async delete(tenant: string, id: string): Promise<void> {
    assertSubscriptionId(id);
    if (!(await this.repository.delete(tenant, id))) throw notFound(`subscription ${id} does not exist`);
    await this.index.refresh(tenant, id);
  }
}
