import { Inject, Injectable } from '@nestjs/common';
import type { Principal } from '@urbis/auth';
import { SERVICE_CONFIG } from '@urbis/runtime';
import { type AccessScope, DataAccess } from '../access/data-access';
import type { DataConfig } from '../config';
import type { ActiveContext } from '../contexts/active-context';
import {
  appendAttributes,
  createEntity,
  deleteAttribute,
  deleteEntity,
  mergeEntity,
  partialAttributeUpdate,
  replaceAttribute,
  replaceEntity,
  type Mutation,
  type UpdateResult,
  updateAttributes,
} from '../ngsi-ld/entity-mutations';
import { assertName, isUri, parseAttributes, parseAttributeValue, parseEntity, type ParseOptions } from '../ngsi-ld/entity-input';
import { badRequest, NgsiLdError, notFound } from '../ngsi-ld/errors';
import type { StoredAttribute, StoredEntity } from '../ngsi-ld/stored';
import { type EntitySelection, EntityRepository, type Page } from '../storage/entity.repository';
import { EntityStore } from '../storage/entity-store';
import type { SqlParams } from '../storage/sql-params';

const now = () => new Date().toISOString();

export function assertEntityId(id: string): void {
  if (!isUri(id)) throw badRequest(`entity id ${JSON.stringify(id)} is not a URI`);
}

/** The entity operations of clause 5.6 and 5.7, from parsed requests to the store and back. */
@Injectable()
export class EntitiesService {
  constructor(
    @Inject(SERVICE_CONFIG) private readonly config: DataConfig,
    private readonly store: EntityStore,
    private readonly repository: EntityRepository,
    private readonly access: DataAccess,
  ) {}

  /** What the caller may read in the tenant (data-access policies). */
  readScope(tenant: string, principal: Principal): AccessScope {
    return this.access.scope(tenant, principal, 'read');
  }

  /** Submits one write, checked against the caller's write scope. */
  private write<R>(tenant: string, principal: Principal, entityId: string, mutate: Mutation<R>): Promise<R> {
    return this.store.submit({ tenant, entityId, mutate: this.access.guardWrite(tenant, principal, mutate) });
  }

  /** NGSILD-Tenant names a tenant that has never been written to: 404 NonexistentTenant (reads). */
  async assertTenantReadable(tenant: string, named: string | undefined): Promise<void> {
    if (named !== undefined && !(await this.repository.tenantExists(tenant))) {
      throw new NgsiLdError('NonexistentTenant', `tenant ${JSON.stringify(tenant)} does not exist`);
    }
  }

  async create(tenant: string, principal: Principal, body: unknown, context: ActiveContext): Promise<string> {
    const parsed = parseEntity(body, { context, now: now(), requireId: true, requireType: true });
    const id = parsed.id as string;
    await this.write(tenant, principal, id, createEntity({ ...parsed, id, types: parsed.types as string[] }));
    return id;
  }

  async retrieve(tenant: string, principal: Principal, id: string, wanted?: { attrs?: ReadonlySet<string>; types?: string[] }): Promise<StoredEntity> {
    assertEntityId(id);
    const stored = await this.repository.find(tenant, id);
    if (!stored) throw notFound(`entity ${id} does not exist`);
    const entity = this.access.visible(stored, this.readScope(tenant, principal));
    if (!entity) throw this.access.refuseRead(tenant, principal, id);
    if (wanted?.types && !wanted.types.some((type) => entity.types.includes(type))) throw notFound(`entity ${id} is not of the type asked for`);
    if (wanted?.attrs && wanted.attrs.size > 0 && ![...wanted.attrs].some((iri) => iri in entity.attrs)) {
      throw notFound(`entity ${id} has none of the attributes asked for`);
    }
    return entity;
  }

  /** A query within what the caller may read: only granted types are selected, only granted attributes shown. */
  async query(principal: Principal, selection: EntitySelection, page: Page): Promise<{ entities: StoredEntity[]; count?: number }> {
    const scope = this.readScope(selection.tenant, principal);
    const types = this.access.typesOf(scope);
    if (types?.length === 0) return { entities: [], ...(page.count && { count: 0 }) };
    const restricted = types ? { ...selection, predicates: [...(selection.predicates ?? []), (params: SqlParams) => `e.types && ${params.add(types, 'text[]')}`] } : selection;
    const found = await this.repository.query(restricted, page);
    return { ...found, entities: found.entities.map((entity) => this.access.visible(entity, scope) as StoredEntity) };
  }

  async replace(tenant: string, principal: Principal, id: string, body: unknown, context: ActiveContext): Promise<void> {
    assertEntityId(id);
    const parsed = parseEntity(body, { context, now: now(), requireId: false, requireType: true });
    if (parsed.id !== undefined && parsed.id !== id) throw badRequest(`the body's id ${parsed.id} is not the entity ${id}`);
    await this.write(tenant, principal, id, replaceEntity(id, parsed));
  }

  async merge(tenant: string, principal: Principal, id: string, body: unknown, context: ActiveContext): Promise<void> {
    assertEntityId(id);
    const parsed = parseEntity(body, { context, now: now(), requireId: false, requireType: false, allowNull: true });
    if (parsed.id !== undefined && parsed.id !== id) throw badRequest(`the body's id ${parsed.id} is not the entity ${id}`);
    await this.write(tenant, principal, id, mergeEntity(id, parsed));
  }

  async delete(tenant: string, principal: Principal, id: string): Promise<void> {
    assertEntityId(id);
    await this.write(tenant, principal, id, deleteEntity(id));
  }

  async appendAttributes(tenant: string, principal: Principal, id: string, body: unknown, context: ActiveContext, noOverwrite: boolean): Promise<UpdateResult> {
    assertEntityId(id);
    const attrs = parseAttributes(body, this.parseOptions(context));
    return this.write(tenant, principal, id, appendAttributes(id, attrs, noOverwrite));
  }

  async updateAttributes(tenant: string, principal: Principal, id: string, body: unknown, context: ActiveContext): Promise<UpdateResult> {
    assertEntityId(id);
    const attrs = parseAttributes(body, this.parseOptions(context));
    return this.write(tenant, principal, id, updateAttributes(id, attrs));
  }

  async partialAttributeUpdate(tenant: string, principal: Principal, id: string, attrName: string, body: unknown, context: ActiveContext): Promise<void> {
    assertEntityId(id);
    const { iri, instances } = this.attributeBody(attrName, body, { ...this.parseOptions(context), partial: true, allowNull: true });
    for (const instance of instances) await this.write(tenant, principal, id, partialAttributeUpdate(id, iri, instance));
  }

  async replaceAttribute(tenant: string, principal: Principal, id: string, attrName: string, body: unknown, context: ActiveContext): Promise<void> {
    assertEntityId(id);
    const { iri, instances } = this.attributeBody(attrName, body, this.parseOptions(context));
    for (const instance of instances) await this.write(tenant, principal, id, replaceAttribute(id, iri, instance));
  }

  async deleteAttribute(tenant: string, principal: Principal, id: string, attrName: string, context: ActiveContext, selection: { datasetId?: string; deleteAll: boolean }): Promise<void> {
    assertEntityId(id);
    assertName(attrName, 'attribute name');
    if (selection.datasetId !== undefined && !isUri(selection.datasetId)) throw badRequest('datasetId must be a URI');
    await this.write(tenant, principal, id, deleteAttribute(id, context.expandTerm(attrName), selection));
  }

  private parseOptions(context: ActiveContext): ParseOptions {
    return { context, now: now() };
  }

  /** The body of an /attrs/{attrId} request: the attribute itself (one instance or several). */
  private attributeBody(attrName: string, body: unknown, options: ParseOptions): { iri: string; instances: StoredAttribute[] } {
    assertName(attrName, 'attribute name');
    const raw = stripContext(body);
    const instances = parseAttributeValue(attrName, raw, options, 0);
    if (!instances) throw badRequest(`attribute ${attrName} has no value`);
    return { iri: options.context.expandTerm(attrName), instances };
  }

  get limits() {
    return { defaultLimit: this.config.ngsiLd.defaultLimit, maxLimit: this.config.ngsiLd.maxLimit };
  }
}

function stripContext(body: unknown): unknown {
  if (typeof body !== 'object' || body === null || Array.isArray(body) || !('@context' in body)) return body;
  const { ['@context']: _context, ...rest } = body as Record<string, unknown>;
  return rest;
}
