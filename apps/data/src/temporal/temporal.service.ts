import { Inject, Injectable } from '@nestjs/common';
import type { Principal } from '@urbis/auth';
import { SERVICE_CONFIG } from '@urbis/runtime';
import { type AccessScope, DataAccess } from '../access/data-access';
import type { DataConfig } from '../config';
import type { ActiveContext } from '../contexts/active-context';
import { assertName, isUri, parseInstance, parseScopes, parseTypes } from '../ngsi-ld/entity-input';
import { badRequest, NgsiLdError, notFound } from '../ngsi-ld/errors';
import type { StoredAttribute, StoredEntity } from '../ngsi-ld/stored';
import { EntityRepository } from '../storage/entity.repository';
import { type AggregatePeriod, type HistoryInstance, HistoryRepository, type SeriesKey, seriesKeyOf, type TemporalEntityRow, type TemporalSelection } from './history.repository';
import { HistoryWriter, type NewInstance } from './history-writer';
import type { Aggregation, TemporalQuery } from './temporal-query';
import { formatTime, INSTANCE_ID_PREFIX, renderTemporalEntity, type SeriesContent, type TemporalFormat } from './temporal-output';

/** What a temporal read asks for, besides which entities. */
export interface TemporalRead {
  context: ActiveContext;
  query: TemporalQuery;
  format: TemporalFormat;
  aggregation?: Aggregation;
  /** Expanded attribute IRIs; undefined: all. */
  attrs?: string[];
  sysAttrs: boolean;
}

/** A response whose instances were cut (clause 6.3.10): the time range it covers. */
export interface ContentRange {
  start: string;
  end: string;
  size: number | '*';
}

const ENTITY_MEMBERS = new Set(['id', 'type', '@id', '@type', '@context', 'scope', 'createdAt', 'modifiedAt', 'deletedAt']);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const now = () => new Date().toISOString();

/**
 * The temporal operations (clauses 5.6.11-5.6.18, 5.7.3, 5.7.4): reads cut to at most
 * `maxInstances` instances (or periods) per attribute, with the Content-Range of what was cut,
 * and the writes of the temporal API.
 */
@Injectable()
export class TemporalService {
  constructor(
    @Inject(SERVICE_CONFIG) private readonly config: DataConfig,
    private readonly history: HistoryRepository,
    private readonly writer: HistoryWriter,
    private readonly entities: EntityRepository,
    private readonly access: DataAccess,
  ) {}

  get limits() {
    return { defaultLimit: this.config.ngsiLd.defaultLimit, maxLimit: this.config.ngsiLd.maxLimit, maxInstances: this.config.temporal.maxInstances, maxLastN: this.config.temporal.maxLastN };
  }

  async assertTenantReadable(tenant: string, named: string | undefined): Promise<void> {
    if (named !== undefined && !(await this.entities.tenantExists(tenant))) throw new NgsiLdError('NonexistentTenant', `tenant ${JSON.stringify(tenant)} does not exist`);
  }

  /** The history is read under the same data-access policies as the current state. */
  async retrieve(tenant: string, principal: Principal, id: string, read: TemporalRead): Promise<{ body: Record<string, unknown>; range?: ContentRange }> {
    assertEntityId(id);
    const entity = await this.history.find(tenant, id);
    if (!entity) throw notFound(`entity ${id} has no temporal representation`);
    const scope = this.access.scope(tenant, principal, 'read');
    if (!scope.unrestricted && !this.access.visible(asEntity(entity), scope)) throw this.access.refuseRead(tenant, principal, id);
    const { bodies, range } = await this.read(tenant, [entity], read, scope);
    return { body: bodies[0] as Record<string, unknown>, ...(range && { range }) };
  }

  async query(principal: Principal, selection: TemporalSelection, page: { limit: number; offset: number; count: boolean }, read: TemporalRead): Promise<{ bodies: Record<string, unknown>[]; count?: number; range?: ContentRange }> {
    const scope = this.access.scope(selection.tenant, principal, 'read');
    const types = this.access.typesOf(scope);
    const restricted: TemporalSelection = types ? { ...selection, predicates: [...(selection.predicates ?? []), (params) => `te.types && ${params.add(types, 'text[]')}`] } : selection;
    const { entities, count } = await this.history.query(restricted, page);
    const result = await this.read(selection.tenant, entities, read, scope);
    return { ...result, ...(count !== undefined && { count }) };
  }

  /** Reads the series of `entities` the scope shows, cuts them to the per-attribute maximum and renders them. */
  private async read(tenant: string, entities: readonly TemporalEntityRow[], read: TemporalRead, scope: AccessScope): Promise<{ bodies: Record<string, unknown>[]; range?: ContentRange }> {
    const found = await this.history.series(tenant, entities.map((entity) => entity.id), read.attrs);
    const series = scope.unrestricted ? found : this.visibleSeries(entities, found, scope);
    // The per-attribute maximum, shared out when one response would hold too many series.
    const { maxInstances, maxResponseInstances } = this.config.temporal;
    const max = Math.max(1, Math.min(maxInstances, Math.floor(maxResponseInstances / Math.max(1, series.length))));
    const { lastN } = read.query;
    const descending = lastN !== undefined;
    // lastN within the maximum is itself the limit: the result is whole by definition.
    const lastNIsLimit = lastN !== undefined && lastN <= max;
    const kept = lastN !== undefined ? Math.min(lastN, max) : max;
    const fetch = { limit: lastNIsLimit ? kept : kept + 1, descending };
    const [types, points] = await Promise.all([
      read.format === 'normalized' ? Promise.resolve(new Map<string, string>()) : this.history.seriesTypes(tenant, series),
      read.aggregation ? this.history.aggregate(tenant, series, read.query, read.aggregation, fetch) : this.history.instances(tenant, series, read.query, fetch),
    ]);
    const bySeries = new Map<string, (HistoryInstance | AggregatePeriod)[]>();
    for (const point of points) {
      const key = seriesKeyOf(point);
      bySeries.set(key, [...(bySeries.get(key) ?? []), point]);
    }
    const range = this.cut(entities, series, bySeries, kept, read.query, lastN);
    const bodies = entities.map((entity) => {
      const contents: SeriesContent[] = series
        .filter((key) => key.entityId === entity.id)
        .map((key) => {
          const list = [...(bySeries.get(seriesKeyOf(key)) ?? [])];
          if (descending) list.reverse();
          return { key, type: types.get(seriesKeyOf(key)) ?? 'Property', ...(read.aggregation ? { periods: list as AggregatePeriod[] } : { instances: list as HistoryInstance[] }) };
        });
      return renderTemporalEntity(entity, contents, { context: read.context, format: read.format, sysAttrs: read.sysAttrs, timeproperty: read.query.timeproperty, ...(read.aggregation && { methods: read.aggregation.methods }) });
    });
    return { bodies, ...(range && { range }) };
  }

  private visibleSeries(entities: readonly TemporalEntityRow[], series: readonly SeriesKey[], scope: AccessScope): SeriesKey[] {
    const shown = new Map<string, ReadonlySet<string>>();
    for (const entity of entities) {
      const own = series.filter((key) => key.entityId === entity.id);
      const visible = this.access.visible(asEntity(entity, own.map((key) => key.attr)), scope);
      shown.set(entity.id, new Set(Object.keys(visible?.attrs ?? {})));
    }
    return series.filter((key) => shown.get(key.entityId)?.has(key.attr));
  }

  /**
   * Temporal writes need the same write grants as entity writes: the entity's types and every
   * attribute written (refusals audited by DataAccess, as for the entity API).
   */
  private async assertWritable(tenant: string, principal: Principal, id: string, attrs: readonly string[], types?: readonly string[]): Promise<void> {
    if (this.access.scope(tenant, principal, 'write').unrestricted) return;
    const known = types ?? (await this.history.find(tenant, id))?.types ?? [];
    const at = now();
    const before: StoredEntity = { id, types: [...known], scopes: [], attrs: {}, createdAt: at, modifiedAt: at };
    const touched = Object.fromEntries(attrs.map((iri) => [iri, [{ type: 'Property', value: null, createdAt: at, modifiedAt: at } as StoredAttribute]]));
    this.access.guardWrite(tenant, principal, (current) => ({ next: { ...(current as StoredEntity), attrs: touched }, result: undefined }))(before, at);
  }

  /**
   * Clause 6.3.10: a series with more than the maximum is cut to the maximum, and every series of
   * the response to the same time range, so that a client asking again from the range's end
   * (or, with lastN, before it) misses nothing. Returns the range, or undefined when nothing was cut.
   */
  private cut(entities: readonly TemporalEntityRow[], series: readonly SeriesKey[], bySeries: Map<string, (HistoryInstance | AggregatePeriod)[]>, kept: number, query: TemporalQuery, lastN?: number): ContentRange | undefined {
    const descending = lastN !== undefined;
    const timeOf = (point: HistoryInstance | AggregatePeriod) => ('time' in point ? point.time : point.start);
    const ranges: { start: string; end: string }[] = [];
    for (const entity of entities) {
      const own = series.filter((key) => key.entityId === entity.id).map((key) => bySeries.get(seriesKeyOf(key)) ?? []);
      const cut = own.filter((list) => list.length > kept);
      if (cut.length === 0) continue;
      for (const list of cut) list.length = kept;
      const boundaries = cut.map((list) => timeOf(list[list.length - 1] as HistoryInstance | AggregatePeriod)).sort();
      const times = own.flat().map(timeOf).sort();
      if (!descending) {
        const start = query.timerel === 'after' || query.timerel === 'between' ? (query.timeAt as string) : (times[0] as string);
        ranges.push({ start, end: boundaries[0] as string });
      } else {
        const start = query.timerel === 'before' ? (query.timeAt as string) : query.timerel === 'between' ? (query.endTimeAt as string) : (times[times.length - 1] as string);
        ranges.push({ start, end: boundaries[boundaries.length - 1] as string });
      }
    }
    if (ranges.length === 0) return undefined;
    const ends = ranges.map((range) => new Date(range.end).toISOString()).sort();
    const starts = ranges.map((range) => new Date(range.start).toISOString()).sort();
    const end = (descending ? ends[ends.length - 1] : ends[0]) as string;
    const start = (descending ? starts[starts.length - 1] : starts[0]) as string;
    for (const [key, list] of bySeries) {
      const inRange = list.filter((point) => (descending ? timeOf(point) >= end : timeOf(point) <= end));
      bySeries.set(key, inRange.length > kept ? inRange.slice(0, kept) : inRange);
    }
    return { start: formatTime(start), end: formatTime(end), size: lastN ?? '*' };
  }

  /** POST /temporal/entities: true when the temporal entity is new (201), false when instances were added (204). */
  async createOrAdd(tenant: string, principal: Principal, body: unknown, context: ActiveContext): Promise<boolean> {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw badRequest('a temporal entity must be a JSON object');
    const raw = body as Record<string, unknown>;
    const id = raw['id'] ?? raw['@id'];
    if (!isUri(id)) throw badRequest(id === undefined ? 'a temporal entity needs an "id"' : `entity id ${JSON.stringify(id)} is not a URI`);
    const type = raw['type'] ?? raw['@type'];
    if (type === undefined) throw badRequest('a temporal entity needs a "type"');
    const types = parseTypes(type, context);
    const scopes = raw['scope'] !== undefined ? parseScopes(raw['scope']) : undefined;
    const at = now();
    const instances = this.instancesOf(raw, context, at);
    await this.assertWritable(tenant, principal, id, [...new Set(instances.map((instance) => instance.attr))], types);
    return this.writer.createOrAdd(tenant, { id, types, ...(scopes && { scopes }) }, instances, at);
  }

  /** POST /temporal/entities/{id}/attrs. */
  async add(tenant: string, principal: Principal, id: string, body: unknown, context: ActiveContext): Promise<void> {
    assertEntityId(id);
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw badRequest('the attributes must be a JSON object');
    const raw = body as Record<string, unknown>;
    for (const name of Object.keys(raw)) if (ENTITY_MEMBERS.has(name) && name !== '@context') throw badRequest(`"${name}" is not an attribute`);
    const at = now();
    const instances = this.instancesOf(raw, context, at);
    if (instances.length === 0) throw badRequest('no attribute instances to add');
    await this.assertWritable(tenant, principal, id, [...new Set(instances.map((instance) => instance.attr))]);
    if (!(await this.writer.add(tenant, id, instances, at))) throw notFound(`entity ${id} has no temporal representation`);
  }

  async deleteEntity(tenant: string, principal: Principal, id: string): Promise<void> {
    assertEntityId(id);
    if (!this.access.scope(tenant, principal, 'write').unrestricted) {
      await this.assertWritable(tenant, principal, id, [...new Set((await this.history.series(tenant, [id])).map((key) => key.attr))]);
    }
    if (!(await this.writer.deleteEntity(tenant, id))) throw notFound(`entity ${id} has no temporal representation`);
  }

  async deleteAttribute(tenant: string, principal: Principal, id: string, attrName: string, context: ActiveContext, selection: { datasetId?: string; deleteAll: boolean }): Promise<void> {
    assertEntityId(id);
    assertName(attrName, 'attribute name');
    if (selection.datasetId !== undefined && !isUri(selection.datasetId)) throw badRequest('datasetId must be a URI');
    await this.assertEntity(tenant, id);
    await this.assertWritable(tenant, principal, id, [context.expandTerm(attrName)]);
    const removed = await this.writer.deleteAttribute(tenant, id, context.expandTerm(attrName), selection);
    if (removed === 0) throw notFound(`entity ${id} has no instances of ${attrName}${selection.datasetId ? ` with datasetId ${selection.datasetId}` : selection.deleteAll ? '' : ' without datasetId'}`);
  }

  /** PATCH .../attrs/{attrId}/{instanceId}: the members given replace the instance's own (instanceId and datasetId stay). */
  async modifyInstance(tenant: string, principal: Principal, id: string, attrName: string, instanceId: string, body: unknown, context: ActiveContext): Promise<void> {
    assertEntityId(id);
    assertName(attrName, 'attribute name');
    const uuid = instanceUuid(instanceId);
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw badRequest('an attribute instance must be a JSON object');
    const { ['@context']: _context, ...rest } = body as Record<string, unknown>;
    // The fragment may come keyed by the attribute's name, as in an attribute update.
    const keys = Object.keys(rest);
    const fragment = keys.length === 1 && (keys[0] === attrName || context.expandTerm(keys[0] as string) === context.expandTerm(attrName)) ? rest[keys[0] as string] : rest;
    const at = now();
    const parsed = parseInstance(attrName, fragment, { context, now: at, partial: true }, 0);
    await this.assertEntity(tenant, id);
    await this.assertWritable(tenant, principal, id, [context.expandTerm(attrName)]);
    const changed = await this.writer.modifyInstance(tenant, id, context.expandTerm(attrName), uuid, (current) => {
      if (parsed.type !== undefined && parsed.type !== current.type) throw badRequest(`instance ${instanceId} is a ${current.type}, not a ${parsed.type}`);
      if (parsed.datasetId !== undefined && parsed.datasetId !== current.datasetId) throw badRequest('the datasetId of an instance cannot be changed');
      return { ...current, ...parsed, type: current.type, createdAt: current.createdAt, modifiedAt: at } as StoredAttribute;
    });
    if (!changed) throw notFound(`entity ${id} has no instance ${instanceId} of ${attrName}`);
  }

  async deleteInstance(tenant: string, principal: Principal, id: string, attrName: string, instanceId: string, context: ActiveContext): Promise<void> {
    assertEntityId(id);
    assertName(attrName, 'attribute name');
    const uuid = instanceUuid(instanceId);
    await this.assertEntity(tenant, id);
    await this.assertWritable(tenant, principal, id, [context.expandTerm(attrName)]);
    if (!(await this.writer.deleteInstance(tenant, id, context.expandTerm(attrName), uuid))) throw notFound(`entity ${id} has no instance ${instanceId} of ${attrName}`);
  }

  private async assertEntity(tenant: string, id: string): Promise<void> {
    if (!(await this.history.find(tenant, id))) throw notFound(`entity ${id} has no temporal representation`);
  }

  /** Every instance of every attribute of a temporal representation (an attribute: one instance or an array of them). */
  private instancesOf(raw: Record<string, unknown>, context: ActiveContext, at: string): NewInstance[] {
    const instances: NewInstance[] = [];
    for (const [name, value] of Object.entries(raw)) {
      if (ENTITY_MEMBERS.has(name)) continue;
      assertName(name, 'attribute name');
      const attr = context.expandTerm(name);
      // An array of instances, unless it is the (concise) value of one Property.
      const items = Array.isArray(value) && value.some(isInstanceShaped) ? value : [value];
      for (const item of items) {
        if (items.length > 1 && !isInstanceShaped(item)) throw badRequest(`attribute "${name}" lists ${JSON.stringify(item)} among its instances`);
        instances.push({ attr, instance: parseInstance(name, item, { context, now: at }, 0) });
      }
    }
    if (instances.length > this.config.ngsiLd.maxBatchEntities * 10) throw badRequest(`at most ${this.config.ngsiLd.maxBatchEntities * 10} instances per request`);
    return instances;
  }
}

const INSTANCE_MEMBERS = ['type', 'value', 'object', 'languageMap', 'valueList', 'objectList', 'json', 'vocab'];
const isInstanceShaped = (item: unknown) => typeof item === 'object' && item !== null && !Array.isArray(item) && INSTANCE_MEMBERS.some((member) => member in item);

/** The temporal entity as DataAccess judges entities: its types, and these attributes. */
function asEntity(entity: TemporalEntityRow, attrs: readonly string[] = []): StoredEntity {
  return { id: entity.id, types: entity.types, scopes: entity.scopes, attrs: Object.fromEntries(attrs.map((iri) => [iri, []])), createdAt: entity.createdAt, modifiedAt: entity.modifiedAt };
}

function assertEntityId(id: string): void {
  if (!isUri(id)) throw badRequest(`entity id ${JSON.stringify(id)} is not a URI`);
}

/** The UUID of an instanceId (`urn:ngsi-ld:attribute:instance:<uuid>`, as the broker shows them). */
function instanceUuid(instanceId: string): string {
  const uuid = instanceId.startsWith(INSTANCE_ID_PREFIX) ? instanceId.slice(INSTANCE_ID_PREFIX.length) : instanceId;
  if (!isUri(instanceId) && !UUID.test(instanceId)) throw badRequest(`instanceId ${JSON.stringify(instanceId)} is not a URI`);
  if (!UUID.test(uuid)) throw notFound(`no attribute instance ${instanceId}`);
  return uuid;
}
