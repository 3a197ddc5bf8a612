import { Inject, Injectable } from '@nestjs/common';
import { SERVICE_CONFIG } from '@urbis/runtime';
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
  type UpdateResult,
  updateAttributes,
} from '../ngsi-ld/entity-mutations';
import { assertName, isUri, parseAttributes, parseAttributeValue, parseEntity, type ParseOptions } from '../ngsi-ld/entity-input';
import { badRequest, NgsiLdError, notFound } from '../ngsi-ld/errors';
import type { StoredAttribute, StoredEntity } from '../ngsi-ld/stored';
import { type EntitySelection, EntityRepository, type Page } from '../storage/entity.repository';
import { EntityStore } from '../storage/entity-store';

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
  ) {}

  /** NGSILD-Tenant names a tenant that has never been written to: 404 NonexistentTenant (reads). */
  async assertTenantReadable(tenant: string, named: string | undefined): Promise<void> {
    if (named !== undefined && !(await this.repository.tenantExists(tenant))) {
      throw new NgsiLdError('NonexistentTenant', `tenant ${JSON.stringify(tenant)} does not exist`);
    }
  }

  async create(tenant: string, body: unknown, context: ActiveContext): Promise<string> {
    const parsed = parseEntity(body, { context, now: now(), requireId: true, requireType: true });
    const id = parsed.id as string;
    await this.store.submit({ tenant, entityId: id, mutate: createEntity({ ...parsed, id, types: parsed.types as string[] }) });
    return id;
  }

  async retrieve(tenant: string, id: string, wanted?: { attrs?: ReadonlySet<string>; types?: string[] }): Promise<StoredEntity> {
    assertEntityId(id);
    const entity = await this.repository.find(tenant, id);
    if (!entity) throw notFound(`entity ${id} does not exist`);
    if (wanted?.types && !wanted.types.some((type) => entity.types.includes(type))) throw notFound(`entity ${id} is not of the type asked for`);
    if (wanted?.attrs && wanted.attrs.size > 0 && ![...wanted.attrs].some((iri) => iri in entity.attrs)) {
      throw notFound(`entity ${id} has none of the attributes asked for`);
    }
    return entity;
  }

  query(selection: EntitySelection, page: Page): Promise<{ entities: StoredEntity[]; count?: number }> {
    return this.repository.query(selection, page);
  }

  async replace(tenant: string, id: string, body: unknown, context: ActiveContext): Promise<void> {
    assertEntityId(id);
    const parsed = parseEntity(body, { context, now: now(), requireId: false, requireType: true });
    if (parsed.id !== undefined && parsed.id !== id) throw badRequest(`the body's id ${parsed.id} is not the entity ${id}`);
    await this.store.submit({ tenant, entityId: id, mutate: replaceEntity(id, parsed) });
  }

  async merge(tenant: string, id: string, body: unknown, context: ActiveContext): Promise<void> {
    assertEntityId(id);
    const parsed = parseEntity(body, { context, now: now(), requireId: false, requireType: false, allowNull: true });
    if (parsed.id !== undefined && parsed.id !== id) throw badRequest(`the body's id ${parsed.id} is not the entity ${id}`);
    await this.store.submit({ tenant, entityId: id, mutate: mergeEntity(id, parsed) });
  }

  async delete(tenant: string, id: string): Promise<void> {
    assertEntityId(id);
    await this.store.submit({ tenant, entityId: id, mutate: deleteEntity(id) });
  }

  async appendAttributes(tenant: string, id: string, body: unknown, context: ActiveContext, noOverwrite: boolean): Promise<UpdateResult> {
    assertEntityId(id);
    const attrs = parseAttributes(body, this.parseOptions(context));
    return this.store.submit({ tenant, entityId: id, mutate: appendAttributes(id, attrs, noOverwrite) });
  }

  async updateAttributes(tenant: string, id: string, body: unknown, context: ActiveContext): Promise<UpdateResult> {
    assertEntityId(id);
    const attrs = parseAttributes(body, this.parseOptions(context));
    return this.store.submit({ tenant, entityId: id, mutate: updateAttributes(id, attrs) });
  }

  async partialAttributeUpdate(tenant: string, id: string, attrName: string, body: unknown, context: ActiveContext): Promise<void> {
    assertEntityId(id);
    const { iri, instances } = this.attributeBody(attrName, body, { ...this.parseOptions(context), partial: true, allowNull: true });
    for (const instance of instances) await this.store.submit({ tenant, entityId: id, mutate: partialAttributeUpdate(id, iri, instance) });
  }

  async replaceAttribute(tenant: string, id: string, attrName: string, body: unknown, context: ActiveContext): Promise<void> {
    assertEntityId(id);
    const { iri, instances } = this.attributeBody(attrName, body, this.parseOptions(context));
    for (const instance of instances) await this.store.submit({ tenant, entityId: id, mutate: replaceAttribute(id, iri, instance) });
  }

  async deleteAttribute(tenant: string, id: string, attrName: string, context: ActiveContext, selection: { datasetId?: string; deleteAll: boolean }): Promise<void> {
    assertEntityId(id);
    assertName(attrName, 'attribute name');
    if (selection.datasetId !== undefined && !isUri(selection.datasetId)) throw badRequest('datasetId must be a URI');
    await this.store.submit({ tenant, entityId: id, mutate: deleteAttribute(id, context.expandTerm(attrName), selection) });
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
