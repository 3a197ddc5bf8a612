import { isDeepStrictEqual } from 'node:util';
import type { ActiveContext } from '../contexts/active-context';
import { VALUE_MEMBER } from '../ngsi-ld/entity-input';
import type { Format, LanguagePreference, Projection } from '../ngsi-ld/entity-output';
import type { StoredAttribute, StoredEntity } from '../ngsi-ld/stored';
import { matchesTypeSelection, parseTypeSelection, type TypeSelection } from '../ngsi-ld/type-selection';
import {
  type GeoQuery,
  matchesQ,
  matchesScopeQ,
  parseGeoQuery,
  parseQ,
  parseScopeQ,
  type QNode,
  type ScopeNode,
} from '../query';
import { languageOf } from '../entities/query-options';
import type { EntityChange } from '../storage/entity-store';
import {
  DEFAULT_TRIGGERS,
  type NotificationMediaType,
  type NotificationTrigger,
  type StoredSubscription,
  type SubscriptionOwner,
} from './subscription';

/** How a matched subscription's notifications look. */
export interface NotificationRendering {
  context: ActiveContext;
  /** The @context JSON-LD notifications carry (jsonldContext, the subscription's, or the core context URL). */
  ldContext: unknown;
  /** The @context URL JSON notifications link. */
  contextLink: string;
  format: Format;
  sysAttrs: boolean;
  showChanges: boolean;
  projection?: Projection;
  lang?: LanguagePreference;
  datasetIds?: ReadonlySet<string>;
  accept: NotificationMediaType;
  /** Expanded IRI of the GeoProperty a GeoJSON notification takes its geometry from. */
  geometryProperty: string;
}

export interface EntityFilter {
  types: TypeSelection;
  id?: string;
  idPattern?: RegExp;
}

/** A subscription ready to be matched in memory (the index holds these). */
export interface CompiledSubscription {
  tenant: string;
  id: string;
  stored: StoredSubscription;
  selectors?: EntityFilter[];
  watched?: ReadonlySet<string>;
  triggers: ReadonlySet<NotificationTrigger>;
  q?: QNode;
  scopeQ?: ScopeNode;
  geo?: GeoQuery;
  notifyOnMetadataChange: boolean;
  isActive: boolean;
  expiresAt?: number;
  throttlingMs?: number;
  periodic: boolean;
  owner: SubscriptionOwner;
  rendering: NotificationRendering;
}

/** Datasets keyed as NGSI-LD names them: the default instance is `@none`. */
export const datasetKey = (instance: Pick<StoredAttribute, 'datasetId'>) => instance.datasetId ?? '@none';

/**
 * Reads a stored subscription for matching: type selections, q, scopeQ and geoQ parsed with its
 * @context (`context`), names already expanded. Throws what the parsers throw (only for
 * subscriptions stored before a parser became stricter).
 */
export function compileSubscription(
  stored: StoredSubscription,
  contexts: { subscription: ActiveContext; notification: ActiveContext; coreContextUrl: string },
): CompiledSubscription {
  const { body } = stored;
  const expand = (term: string) => contexts.subscription.expandTerm(term);
  const params = body.notification;
  const format = params.format === 'simplified' ? 'keyValues' : (params.format ?? 'normalized');
  const compiled: CompiledSubscription = {
    tenant: stored.tenant,
    id: body.id,
    stored,
    triggers: new Set(body.notificationTrigger ?? DEFAULT_TRIGGERS),
    notifyOnMetadataChange: body.notifyOnMetadataChange ?? true,
    isActive: body.isActive ?? true,
    periodic: body.timeInterval !== undefined,
    owner: stored.owner,
    rendering: {
      context: contexts.notification,
      ldContext: body.jsonldContext ?? stored.context ?? contexts.coreContextUrl,
      contextLink: stored.contextLink,
      format,
      sysAttrs: params.sysAttrs ?? false,
      showChanges: params.showChanges ?? false,
      accept: params.endpoint.accept ?? 'application/json',
      geometryProperty: contexts.subscription.expandTerm('location'),
    },
  };
  if (body.entities) {
    compiled.selectors = body.entities.map((selector) => ({
      types: parseTypeSelection(selector.type, (iri) => iri),
      ...(selector.id !== undefined && { id: selector.id }),
      ...(selector.idPattern !== undefined && { idPattern: new RegExp(selector.idPattern) }),
    }));
  }
  if (body.watchedAttributes) compiled.watched = new Set(body.watchedAttributes);
  if (body.q !== undefined) compiled.q = parseQ(body.q, { expand });
  if (body.scopeQ !== undefined) compiled.scopeQ = parseScopeQ(body.scopeQ);
  if (body.geoQ)
    compiled.geo = parseGeoQuery(body.geoQ, {
      expand: (term) => (term === body.geoQ?.geoproperty ? term : expand(term)),
    });
  if (body.expiresAt !== undefined) compiled.expiresAt = Date.parse(body.expiresAt);
  if (body.throttling !== undefined) compiled.throttlingMs = body.throttling * 1000;
  const projection = projectionOf(params.attributes, params.pick, params.omit);
  if (projection) compiled.rendering.projection = projection;
  if (body.lang !== undefined) {
    const lang = languageOf({ lang: body.lang });
    if (lang) compiled.rendering.lang = lang;
  }
  if (body.datasetId) compiled.rendering.datasetIds = new Set(body.datasetId);
  return compiled;
}

function projectionOf(attributes?: string[], pick?: string[], omit?: string[]): Projection | undefined {
  if (attributes) return { id: true, type: true, scope: true, attrs: new Set(attributes) };
  const attrsOf = (members: string[]) =>
    new Set(members.filter((member) => !['id', 'type', 'scope'].includes(member)));
  if (pick)
    return {
      id: pick.includes('id'),
      type: pick.includes('type'),
      scope: pick.includes('scope'),
      attrs: attrsOf(pick),
    };
  if (omit)
    return {
      id: !omit.includes('id'),
      type: !omit.includes('type'),
      scope: !omit.includes('scope'),
      omitAttrs: attrsOf(omit),
    };
  return undefined;
}

/** What one committed change did, instance by instance: computed once, read by every candidate subscription. */
export interface ChangeFacts {
  change: EntityChange;
  kind: 'created' | 'updated' | 'deleted';
  /** The state notifications show and filters read: after the change, or before it for a deletion. */
  state: StoredEntity;
  /** Attribute IRI → its instances the change created, updated or removed. */
  attributes: Map<string, AttributeFacts>;
}

export interface AttributeFacts {
  created: StoredAttribute[];
  /** Updated instances with the instance each replaced and whether the value (not only metadata) changed. */
  updated: { after: StoredAttribute; before: StoredAttribute; valueChanged: boolean }[];
  deleted: StoredAttribute[];
}

export function factsOf(change: EntityChange): ChangeFacts {
  const attributes = new Map<string, AttributeFacts>();
  const kind = !change.before ? 'created' : !change.after ? 'deleted' : 'updated';
  for (const iri of change.attributes) {
    const before = change.before?.attrs[iri] ?? [];
    const after = change.after?.attrs[iri] ?? [];
    const facts: AttributeFacts = { created: [], updated: [], deleted: [] };
    for (const instance of after) {
      const replaced = before.find((candidate) => datasetKey(candidate) === datasetKey(instance));
      if (!replaced) facts.created.push(instance);
      // Mutations keep what they leave alone by reference: a new object is a written instance.
      else if (replaced !== instance)
        facts.updated.push({
          after: instance,
          before: replaced,
          valueChanged: !sameValue(replaced, instance),
        });
    }
    for (const instance of before) {
      if (!after.some((kept) => datasetKey(kept) === datasetKey(instance))) facts.deleted.push(instance);
    }
    if (facts.created.length + facts.updated.length + facts.deleted.length > 0) attributes.set(iri, facts);
  }
  return { change, kind, state: (change.after ?? change.before) as StoredEntity, attributes };
}

function sameValue(a: StoredAttribute, b: StoredAttribute): boolean {
  if (a.type !== b.type) return false;
  const member = VALUE_MEMBER[a.type];
  return isDeepStrictEqual(a[member], b[member]) && isDeepStrictEqual(a.objectType, b.objectType);
}

/**
 * Why `subscription` is notified of the change, or undefined when it is not (clause 5.8.6 and
 * the notificationTrigger values of Table 5.2.12-1): the entity must match an entity selector
 * and q/scopeQ (geoQ is the caller's, in SQL), and the change must be one of the subscription's
 * triggers on a watched attribute (any attribute when none is watched) and watched dataset.
 * Active, unexpired, non-periodic subscriptions only.
 */
export function triggerOf(
  subscription: CompiledSubscription,
  facts: ChangeFacts,
  at: number,
): NotificationTrigger | undefined {
  if (!subscription.isActive || subscription.periodic) return undefined;
  if (subscription.expiresAt !== undefined && subscription.expiresAt <= at) return undefined;
  const entity = facts.state;
  if (subscription.selectors && !subscription.selectors.some((selector) => selects(selector, entity)))
    return undefined;
  const reason = reasonOf(subscription, facts);
  if (!reason) return undefined;
  if (subscription.q && !matchesQ(subscription.q, entity)) return undefined;
  if (subscription.scopeQ && !matchesScopeQ(subscription.scopeQ, entity)) return undefined;
  return reason;
}

function selects(selector: EntityFilter, entity: StoredEntity): boolean {
  if (selector.id !== undefined && selector.id !== entity.id) return false;
  if (selector.idPattern && !selector.idPattern.test(entity.id)) return false;
  return matchesTypeSelection(selector.types, entity.types);
}

function reasonOf(subscription: CompiledSubscription, facts: ChangeFacts): NotificationTrigger | undefined {
  const { watched, triggers } = subscription;
  const datasets = subscription.rendering.datasetIds;
  const inDataset = (instance: StoredAttribute) => !datasets || datasets.has(datasetKey(instance));
  let created = false;
  let updated = false;
  let deleted = false;
  for (const [iri, attribute] of facts.attributes) {
    if (watched && !watched.has(iri)) continue;
    created ||= attribute.created.some(inDataset);
    updated ||= attribute.updated.some(
      (update) => inDataset(update.after) && (update.valueChanged || subscription.notifyOnMetadataChange),
    );
    deleted ||= attribute.deleted.some(inDataset);
  }
  const hasWatched = () => !watched || Object.keys(facts.state.attrs).some((iri) => watched.has(iri));
  if (facts.kind === 'created') {
    if (triggers.has('entityCreated') && hasWatched()) return 'entityCreated';
    return created && triggers.has('attributeCreated') ? 'attributeCreated' : undefined;
  }
  if (facts.kind === 'deleted') {
    if (triggers.has('entityDeleted') && hasWatched()) return 'entityDeleted';
    return deleted && triggers.has('attributeDeleted') ? 'attributeDeleted' : undefined;
  }
  // When an update is several things at once for the subscription, this is the reason it reports.
  if (updated && triggers.has('attributeUpdated')) return 'attributeUpdated';
  if (created && triggers.has('attributeCreated')) return 'attributeCreated';
  if (deleted && triggers.has('attributeDeleted')) return 'attributeDeleted';
  if ((created || updated || deleted) && triggers.has('entityUpdated')) return 'entityUpdated';
  return undefined;
}
