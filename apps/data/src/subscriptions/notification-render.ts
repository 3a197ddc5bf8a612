import { encodeEvent, type OutboxItem } from '@urbis/messaging';
import { randomUUID } from 'node:crypto';
import { linkHeader } from '../http/ngsi-ld-http';
import { NGSI_LD_NULL } from '../ngsi-ld/entity-input';
import { renderEntity, type RenderOptions, renderTypes, valueOf } from '../ngsi-ld/entity-output';
import type { AttributeType, StoredAttribute, StoredEntity } from '../ngsi-ld/stored';
import type { KeyValuePair, NotificationTrigger } from './subscription';
import {
  type ChangeFacts,
  type CompiledSubscription,
  datasetKey,
  type NotificationRendering,
} from './subscription-matcher';

type Json = Record<string, unknown>;

/** Clause 4.5.18 (showChanges): the member that carries an attribute's previous value. */
const PREVIOUS_MEMBER: Record<AttributeType, string> = {
  Property: 'previousValue',
  GeoProperty: 'previousValue',
  Relationship: 'previousObject',
  LanguageProperty: 'previousLanguageMap',
  ListProperty: 'previousValueList',
  ListRelationship: 'previousObjectList',
  JsonProperty: 'previousJson',
  VocabProperty: 'previousVocab',
};

const VALUE_MEMBER_NAME: Record<AttributeType, string> = {
  Property: 'value',
  GeoProperty: 'value',
  Relationship: 'object',
  LanguageProperty: 'languageMap',
  ListProperty: 'valueList',
  ListRelationship: 'objectList',
  JsonProperty: 'json',
  VocabProperty: 'vocab',
};

/** notifierInfo keys of the MQTT binding (MQTT-Version, MQTT-QoS): the delivery engine reads them from receiverInfo. */
const MQTT_NOTIFIER_KEYS = new Set(['mqtt-version', 'mqtt-qos']);

function renderOptions(rendering: NotificationRendering): RenderOptions {
  return {
    context: rendering.context,
    format: rendering.format,
    sysAttrs: rendering.sysAttrs,
    ...(rendering.projection && { projection: rendering.projection }),
    ...(rendering.lang && { lang: rendering.lang }),
    ...(rendering.datasetIds && { datasetIds: rendering.datasetIds }),
  };
}

/** An entity as it is now, in the subscription's representation (periodic notifications, creations, updates). */
export function renderCurrent(entity: StoredEntity, rendering: NotificationRendering): Json {
  return renderEntity(entity, renderOptions(rendering));
}

/**
 * The entity of a change notification (clause 5.8.6): the entity after the change with the
 * attributes the notification shows; attributes the change removed as NGSI-LD Null (with
 * deletedAt under sysAttrs); under showChanges the previous value of every updated or removed
 * instance. A deleted entity shows its id, type, deletedAt and its watched attributes as Null.
 */
export function renderChanged(subscription: CompiledSubscription, facts: ChangeFacts, at: string): Json {
  const { rendering, watched } = subscription;
  const options = renderOptions(rendering);
  const shows = (iri: string) =>
    (!rendering.projection?.attrs || rendering.projection.attrs.has(iri)) &&
    !rendering.projection?.omitAttrs?.has(iri);
  const inDataset = (instance: StoredAttribute) =>
    !rendering.datasetIds || rendering.datasetIds.has(datasetKey(instance));
  let out: Json;
  if (facts.kind === 'deleted') {
    const entity = facts.state;
    out = {};
    if (rendering.projection?.id ?? true) out['id'] = entity.id;
    if (rendering.projection?.type ?? true) out['type'] = renderTypes(entity.types, rendering.context);
    if (entity.scopes.length > 0 && (rendering.projection?.scope ?? true) && rendering.format !== 'keyValues')
      out['scope'] = entity.scopes.length === 1 ? entity.scopes[0] : entity.scopes;
    if (rendering.sysAttrs && rendering.format !== 'keyValues') {
      out['createdAt'] = entity.createdAt;
      out['modifiedAt'] = entity.modifiedAt;
    }
    out['deletedAt'] = at;
    for (const [iri, attribute] of facts.attributes) {
      if (!shows(iri) || (watched && !watched.has(iri))) continue;
      const removed = attribute.deleted
        .filter(inDataset)
        .map((instance) => renderRemoved(instance, rendering, at));
      if (removed.length > 0)
        out[rendering.context.compactIri(iri)] = removed.length === 1 ? removed[0] : removed;
    }
    return out;
  }
  out = renderEntity(facts.state, options);
  for (const [iri, attribute] of facts.attributes) {
    if (!shows(iri)) continue;
    const name = rendering.context.compactIri(iri);
    if (rendering.showChanges && out[name] !== undefined) {
      const shown = (facts.state.attrs[iri] ?? []).filter(inDataset);
      for (const { after, before } of attribute.updated) {
        const index = shown.indexOf(after);
        if (index < 0) continue;
        if (shown.length === 1) out[name] = withPrevious(out[name], after, before, rendering);
        else
          (out[name] as unknown[])[index] = withPrevious(
            (out[name] as unknown[])[index],
            after,
            before,
            rendering,
          );
      }
    }
    const removed = attribute.deleted
      .filter(inDataset)
      .map((instance) => renderRemoved(instance, rendering, at));
    if (removed.length > 0) {
      const shown = (facts.state.attrs[iri] ?? []).filter(inDataset).length;
      const kept = out[name] === undefined ? [] : shown > 1 ? (out[name] as unknown[]) : [out[name]];
      const all = [...kept, ...removed];
      out[name] = all.length === 1 ? all[0] : all;
    }
  }
  return out;
}

/** The rendered instance with the value `before` had (a bare concise value becomes an object first). */
function withPrevious(
  rendered: unknown,
  after: StoredAttribute,
  before: StoredAttribute,
  rendering: NotificationRendering,
): Json {
  const object: Json =
    isJsonObject(rendered) && !isBareConciseValue(rendered, after, rendering)
      ? { ...rendered }
      : { [VALUE_MEMBER_NAME[after.type]]: rendered };
  object[PREVIOUS_MEMBER[before.type]] = valueOf(before, rendering.context);
  return object;
}

const isJsonObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** A concise Property can be its bare value, and that value can itself be an object. */
function isBareConciseValue(
  instance: Json,
  after: StoredAttribute,
  rendering: NotificationRendering,
): boolean {
  return (
    rendering.format === 'concise' &&
    (after.type === 'Property' || after.type === 'GeoProperty') &&
    !('value' in instance)
  );
}

/** A removed instance: NGSI-LD Null in its value member, deletedAt under sysAttrs, its previous value under showChanges. */
function renderRemoved(instance: StoredAttribute, rendering: NotificationRendering, at: string): unknown {
  const nothing =
    instance.type === 'ListProperty' || instance.type === 'ListRelationship' ? [NGSI_LD_NULL] : NGSI_LD_NULL;
  if (rendering.format === 'keyValues') return nothing;
  const out: Json = {};
  if (rendering.format === 'normalized') out['type'] = instance.type;
  out[VALUE_MEMBER_NAME[instance.type]] = nothing;
  if (instance.datasetId !== undefined) out['datasetId'] = instance.datasetId;
  if (rendering.sysAttrs) {
    out['createdAt'] = instance.createdAt;
    out['modifiedAt'] = instance.modifiedAt;
    out['deletedAt'] = at;
  }
  if (rendering.showChanges) out[PREVIOUS_MEMBER[instance.type]] = valueOf(instance, rendering.context);
  return out;
}

/** The GeoJSON Feature of a rendered entity (clause 4.5.16), its geometry from the stored state. */
function featureOf(rendered: Json, state: StoredEntity, rendering: NotificationRendering): Json {
  const { id, ...properties } = rendered;
  const geometry = state.attrs[rendering.geometryProperty]?.find(
    (instance) => instance.type === 'GeoProperty' && instance.datasetId === undefined,
  )?.value;
  return { id, type: 'Feature', geometry: geometry ?? null, properties };
}

export interface NotifiedEntity {
  rendered: Json;
  /** The state the entity was rendered from (GeoJSON takes its geometry from it). */
  state: StoredEntity;
}

/**
 * One `data.notification.requested.v1` (clause 5.3.1 Notification, in the subscription's
 * representation and media type), keyed `<tenant>/<subscriptionId>` so one subscription's
 * notifications keep their order. JSON links the subscription's @context (the delivery engine
 * sends receiverInfo as headers, MQTT metadata for mqtt); JSON-LD carries it in each entity.
 */
export function notificationEvent(
  subscription: CompiledSubscription,
  entities: readonly NotifiedEntity[],
  notifiedAt: string,
  reason?: NotificationTrigger,
): OutboxItem {
  const { rendering } = subscription;
  const endpoint = subscription.stored.body.notification.endpoint;
  let data: unknown;
  if (rendering.accept === 'application/ld+json')
    data = entities.map(({ rendered }) => ({ ...rendered, '@context': rendering.ldContext }));
  else if (rendering.accept === 'application/geo+json')
    data = {
      type: 'FeatureCollection',
      features: entities.map(({ rendered, state }) => featureOf(rendered, state, rendering)),
    };
  else data = entities.map(({ rendered }) => rendered);
  const notificationId = randomUUID();
  const receiverInfo: KeyValuePair[] = [...(endpoint.receiverInfo ?? [])];
  if (/^mqtts?:/i.test(endpoint.uri)) {
    for (const pair of endpoint.notifierInfo ?? [])
      if (MQTT_NOTIFIER_KEYS.has(pair.key.toLowerCase())) receiverInfo.push(pair);
  }
  if (rendering.accept !== 'application/ld+json')
    receiverInfo.push({ key: 'Link', value: linkHeader(rendering.contextLink) });
  // Validated once, here: the outbox and the relay take the encoded JSON as it is.
  const event = encodeEvent('data.notification.requested.v1', {
    tenant: subscription.tenant,
    source: 'data',
    payload: {
      notificationId,
      subscriptionId: subscription.id,
      endpoint: { uri: endpoint.uri, accept: rendering.accept, receiverInfo },
      contentType: rendering.accept,
      body: {
        id: `urn:ngsi-ld:Notification:${notificationId}`,
        type: 'Notification',
        subscriptionId: subscription.id,
        notifiedAt,
        data: data as never,
        ...(reason && { triggerReason: reason }),
      },
    },
  });
  return { topic: 'data.notification.requested.v1', event, key: `${subscription.tenant}/${subscription.id}` };
}

/** Splits a subscription's entities into notifications of at most `maxEntities` and about `maxBytes` of JSON each. */
export function chunked(
  entities: readonly NotifiedEntity[],
  limits: { maxEntities: number; maxBytes: number },
): NotifiedEntity[][] {
  const chunks: NotifiedEntity[][] = [];
  let current: NotifiedEntity[] = [];
  let bytes = 0;
  for (const entity of entities) {
    const size = JSON.stringify(entity.rendered).length;
    if (current.length > 0 && (current.length >= limits.maxEntities || bytes + size > limits.maxBytes)) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(entity);
    bytes += size;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}
