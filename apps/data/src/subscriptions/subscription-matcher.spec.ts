import type { EncodedEvent } from '@urbis/messaging';
import { ActiveContext, type LocalContext } from '../contexts/active-context';
import { CORE_CONTEXT } from '../contexts/core-context';
import type { StoredAttribute, StoredEntity } from '../ngsi-ld/stored';
import type { EntityChange } from '../storage/entity-store';
import { chunked, notificationEvent, renderChanged } from './notification-render';
import type { StoredSubscription, SubscriptionBody } from './subscription';
import { compactTypeSelection, expandTypeSelection, parseSubscription } from './subscription-input';
import { compileSubscription, factsOf, triggerOf } from './subscription-matcher';

const EX = 'https://city.example/';
const context = ActiveContext.from([
  {
    Building: `${EX}Building`,
    Sensor: `${EX}Sensor`,
    name: `${EX}name`,
    level: `${EX}level`,
    owner: `${EX}owner`,
  } as LocalContext,
  CORE_CONTEXT['@context'] as unknown as LocalContext,
]);
const AT = '2026-12-02T10:00:00.000Z';
const EARLIER = '2026-12-01T10:00:00.000Z';
const NOW = Date.parse(AT);

const property = (value: unknown, extra: Partial<StoredAttribute> = {}): StoredAttribute => ({
  type: 'Property',
  value: value as never,
  createdAt: EARLIER,
  modifiedAt: EARLIER,
  ...extra,
});

function entity(attrs: StoredEntity['attrs'], types = [`${EX}Building`]): StoredEntity {
  return { id: 'urn:ngsi-ld:Building:b1', types, scopes: [], attrs, createdAt: EARLIER, modifiedAt: EARLIER };
}

function compiled(raw: Record<string, unknown>) {
  const body: SubscriptionBody = parseSubscription(
    { type: 'Subscription', notification: { endpoint: { uri: 'http://receiver.example/n' } }, ...raw },
    { context, now: NOW - 1000, generateId: () => 'urn:ngsi-ld:Subscription:s1' },
  );
  const stored: StoredSubscription = {
    tenant: 'alpha',
    body,
    context: null,
    contextLink: 'https://city.example/context.jsonld',
    owner: { subject: 'u', clientId: 'c', roles: ['operator'] },
    timesSent: 0,
    timesFailed: 0,
    createdAt: EARLIER,
    modifiedAt: EARLIER,
  };
  return compileSubscription(stored, {
    subscription: context,
    notification: context,
    coreContextUrl: 'https://core.example/context.jsonld',
  });
}

/** A change as the entity store reports it: instances left alone are the same objects. */
function change(before: StoredEntity | null, after: StoredEntity | null): EntityChange {
  const names = new Set([...Object.keys(before?.attrs ?? {}), ...Object.keys(after?.attrs ?? {})]);
  const attributes = [...names].filter((iri) => {
    const a = before?.attrs[iri] ?? [];
    const b = after?.attrs[iri] ?? [];
    return a.length !== b.length || a.some((instance, i) => instance !== b[i]);
  });
  return { tenant: 'alpha', before, after, attributes, at: AT };
}

describe('type selections kept with expanded names', () => {
  it('expands every name and keeps operators and grouping, and compacts back', () => {
    const expanded = expandTypeSelection(' (Building ; Sensor) | Vehicle', (name) =>
      context.expandTerm(name),
    );
    expect(expanded).toBe(`(${EX}Building;${EX}Sensor)|https://uri.etsi.org/ngsi-ld/default-context/Vehicle`);
    expect(compactTypeSelection(expanded, (iri) => context.compactIri(iri))).toBe(
      '(Building;Sensor)|Vehicle',
    );
  });
});

describe('what a change is, instance by instance', () => {
  it('tells created, updated (value or metadata only) and deleted instances apart, per dataset', () => {
    const kept = property('kept');
    const fr = property('fr', { datasetId: 'urn:ngsi-ld:Dataset:fr' });
    const before = entity({
      [`${EX}name`]: [kept, fr],
      [`${EX}level`]: [property(3)],
      [`${EX}owner`]: [property('o')],
    });
    const after = entity({
      [`${EX}name`]: [kept, property('de', { datasetId: 'urn:ngsi-ld:Dataset:de' })],
      [`${EX}level`]: [property(3, { observedAt: AT })],
      [`${EX}owner`]: [property('p')],
    });
    const facts = factsOf(change(before, after));
    expect(facts.kind).toBe('updated');
    const name = facts.attributes.get(`${EX}name`);
    expect(name?.created.map((instance) => instance.datasetId)).toEqual(['urn:ngsi-ld:Dataset:de']);
    expect(name?.deleted).toEqual([fr]);
    expect(name?.updated).toEqual([]);
    expect(facts.attributes.get(`${EX}level`)?.updated.map((update) => update.valueChanged)).toEqual([false]);
    expect(facts.attributes.get(`${EX}owner`)?.updated.map((update) => update.valueChanged)).toEqual([true]);
  });

  it('shows a deletion on the state before it', () => {
    const before = entity({ [`${EX}name`]: [property('x')] });
    const facts = factsOf(change(before, null));
    expect([facts.kind, facts.state]).toEqual(['deleted', before]);
    expect(facts.attributes.get(`${EX}name`)?.deleted).toHaveLength(1);
  });
});

describe('which subscriptions a change triggers, and why', () => {
  const before = entity({ [`${EX}name`]: [property('a')], [`${EX}level`]: [property(3)] });
  const updatedLevel = entity({ ...before.attrs, [`${EX}level`]: [property(7)] });
  const metadataOnly = entity({ ...before.attrs, [`${EX}level`]: [property(3, { unitCode: 'C62' })] });

  it('defaults to attributeCreated and attributeUpdated: a creation and an update notify, a deletion does not', () => {
    const subscription = compiled({ entities: [{ type: 'Building' }] });
    expect(triggerOf(subscription, factsOf(change(null, before)), NOW)).toBe('attributeCreated');
    expect(triggerOf(subscription, factsOf(change(before, updatedLevel)), NOW)).toBe('attributeUpdated');
    expect(triggerOf(subscription, factsOf(change(before, null)), NOW)).toBeUndefined();
  });

  it('watches only watchedAttributes', () => {
    const subscription = compiled({ entities: [{ type: 'Building' }], watchedAttributes: ['name'] });
    expect(triggerOf(subscription, factsOf(change(before, updatedLevel)), NOW)).toBeUndefined();
    const renamed = entity({ ...before.attrs, [`${EX}name`]: [property('b')] });
    expect(triggerOf(subscription, factsOf(change(before, renamed)), NOW)).toBe('attributeUpdated');
  });

  it('reports entity triggers first for creations and deletions, entityUpdated for any update', () => {
    const subscription = compiled({
      entities: [{ type: 'Building' }],
      notificationTrigger: ['entityCreated', 'entityDeleted', 'entityUpdated', 'attributeCreated'],
    });
    expect(triggerOf(subscription, factsOf(change(null, before)), NOW)).toBe('entityCreated');
    expect(triggerOf(subscription, factsOf(change(before, null)), NOW)).toBe('entityDeleted');
    expect(triggerOf(subscription, factsOf(change(before, updatedLevel)), NOW)).toBe('entityUpdated');
    const deletedOnly = compiled({
      entities: [{ type: 'Building' }],
      notificationTrigger: ['attributeDeleted'],
    });
    expect(triggerOf(deletedOnly, factsOf(change(before, null)), NOW)).toBe('attributeDeleted');
    expect(triggerOf(deletedOnly, factsOf(change(before, updatedLevel)), NOW)).toBeUndefined();
  });

  it('ignores metadata-only updates when notifyOnMetadataChange is false', () => {
    expect(
      triggerOf(compiled({ entities: [{ type: 'Building' }] }), factsOf(change(before, metadataOnly)), NOW),
    ).toBe('attributeUpdated');
    expect(
      triggerOf(
        compiled({ entities: [{ type: 'Building' }], notifyOnMetadataChange: false }),
        factsOf(change(before, metadataOnly)),
        NOW,
      ),
    ).toBeUndefined();
  });

  it('needs the entity selector, q and scopeQ to hold on the new state', () => {
    expect(
      triggerOf(compiled({ entities: [{ type: 'Sensor' }] }), factsOf(change(before, updatedLevel)), NOW),
    ).toBeUndefined();
    expect(
      triggerOf(
        compiled({ entities: [{ type: 'Building', id: 'urn:ngsi-ld:Building:b2' }] }),
        factsOf(change(before, updatedLevel)),
        NOW,
      ),
    ).toBeUndefined();
    expect(
      triggerOf(
        compiled({ entities: [{ type: 'Building', idPattern: ':b[0-9]$' }] }),
        factsOf(change(before, updatedLevel)),
        NOW,
      ),
    ).toBe('attributeUpdated');
    expect(
      triggerOf(
        compiled({ entities: [{ type: 'Building' }], q: 'level>5' }),
        factsOf(change(before, updatedLevel)),
        NOW,
      ),
    ).toBe('attributeUpdated');
    expect(
      triggerOf(
        compiled({ entities: [{ type: 'Building' }], q: 'level>8' }),
        factsOf(change(before, updatedLevel)),
        NOW,
      ),
    ).toBeUndefined();
    expect(
      triggerOf(
        compiled({ entities: [{ type: 'Building' }], scopeQ: '/Paris' }),
        factsOf(change(before, updatedLevel)),
        NOW,
      ),
    ).toBeUndefined();
    expect(
      triggerOf(
        compiled({ entities: [{ type: 'Building;Sensor' }] }),
        factsOf(change(before, updatedLevel)),
        NOW,
      ),
    ).toBeUndefined();
  });

  it('counts only the watched datasets', () => {
    const frBefore = entity({
      [`${EX}name`]: [property('a'), property('fr', { datasetId: 'urn:ngsi-ld:Dataset:fr' })],
    });
    const defaultChanged = entity({
      [`${EX}name`]: [property('b'), frBefore.attrs[`${EX}name`]?.[1] as StoredAttribute],
    });
    const subscription = compiled({
      entities: [{ type: 'Building' }],
      datasetId: ['urn:ngsi-ld:Dataset:fr'],
    });
    expect(triggerOf(subscription, factsOf(change(frBefore, defaultChanged)), NOW)).toBeUndefined();
  });

  it('leaves paused, expired and periodic subscriptions alone', () => {
    const facts = factsOf(change(before, updatedLevel));
    expect(
      triggerOf(compiled({ entities: [{ type: 'Building' }], isActive: false }), facts, NOW),
    ).toBeUndefined();
    expect(
      triggerOf(
        compiled({ entities: [{ type: 'Building' }], expiresAt: new Date(NOW - 500).toISOString() }),
        facts,
        NOW,
      ),
    ).toBeUndefined();
    expect(
      triggerOf(
        compiled({ entities: [{ type: 'Building' }], expiresAt: new Date(NOW + 500).toISOString() }),
        facts,
        NOW,
      ),
    ).toBe('attributeUpdated');
    expect(
      triggerOf(compiled({ entities: [{ type: 'Building' }], timeInterval: 60 }), facts, NOW),
    ).toBeUndefined();
  });
});

describe('notification content', () => {
  const before = entity({
    [`${EX}name`]: [
      property('Eiffel Tower'),
      property('Tour Eiffel', { datasetId: 'urn:ngsi-ld:Dataset:fr' }),
    ],
    [`${EX}level`]: [property(3)],
  });

  it('adds previous values under showChanges, to the right instance of a multi-instance attribute', () => {
    const after = entity({
      [`${EX}name`]: [
        before.attrs[`${EX}name`]?.[0] as StoredAttribute,
        property('La tour Eiffel', { datasetId: 'urn:ngsi-ld:Dataset:fr' }),
      ],
      [`${EX}level`]: [property(4)],
    });
    const subscription = compiled({
      entities: [{ type: 'Building' }],
      notification: { showChanges: true, endpoint: { uri: 'http://r.example/n' } },
    });
    expect(renderChanged(subscription, factsOf(change(before, after)), AT)).toEqual({
      id: 'urn:ngsi-ld:Building:b1',
      type: 'Building',
      name: [
        { type: 'Property', value: 'Eiffel Tower' },
        {
          type: 'Property',
          value: 'La tour Eiffel',
          datasetId: 'urn:ngsi-ld:Dataset:fr',
          previousValue: 'Tour Eiffel',
        },
      ],
      level: { type: 'Property', value: 4, previousValue: 3 },
    });
    const concise = compiled({
      entities: [{ type: 'Building' }],
      notification: {
        showChanges: true,
        format: 'concise',
        attributes: ['level'],
        endpoint: { uri: 'http://r.example/n' },
      },
    });
    expect(renderChanged(concise, factsOf(change(before, after)), AT)).toEqual({
      id: 'urn:ngsi-ld:Building:b1',
      type: 'Building',
      level: { value: 4, previousValue: 3 },
    });
  });

  it('shows removed instances as NGSI-LD Null beside the kept ones, keyValues too', () => {
    const after = entity({
      [`${EX}name`]: [before.attrs[`${EX}name`]?.[0] as StoredAttribute],
      [`${EX}level`]: before.attrs[`${EX}level`] as StoredAttribute[],
    });
    const normalized = compiled({
      entities: [{ type: 'Building' }],
      notificationTrigger: ['attributeDeleted'],
      notification: { sysAttrs: true, attributes: ['name'], endpoint: { uri: 'http://r.example/n' } },
    });
    expect(renderChanged(normalized, factsOf(change(before, after)), AT)['name']).toEqual([
      { type: 'Property', value: 'Eiffel Tower', createdAt: EARLIER, modifiedAt: EARLIER },
      {
        type: 'Property',
        value: 'urn:ngsi-ld:null',
        datasetId: 'urn:ngsi-ld:Dataset:fr',
        createdAt: EARLIER,
        modifiedAt: EARLIER,
        deletedAt: AT,
      },
    ]);
    const keyValues = compiled({
      entities: [{ type: 'Building' }],
      notificationTrigger: ['attributeDeleted'],
      notification: { format: 'keyValues', endpoint: { uri: 'http://r.example/n' } },
    });
    expect(renderChanged(keyValues, factsOf(change(before, after)), AT)).toEqual({
      id: 'urn:ngsi-ld:Building:b1',
      type: 'Building',
      name: ['Eiffel Tower', 'urn:ngsi-ld:null'],
      level: 3,
    });
  });

  it('builds the Notification event keyed by tenant and subscription, split by size', () => {
    const subscription = compiled({
      id: 'urn:ngsi-ld:Subscription:s9',
      entities: [{ type: 'Building' }],
      notification: {
        format: 'keyValues',
        endpoint: { uri: 'http://r.example/n', receiverInfo: [{ key: 'X-A', value: '1' }] },
      },
    });
    const item = notificationEvent(
      subscription,
      [{ rendered: { id: 'urn:ngsi-ld:Building:b1' }, state: before }],
      AT,
      'attributeUpdated',
    );
    expect(item.key).toBe('alpha/urn:ngsi-ld:Subscription:s9');
    expect(item.topic).toBe('data.notification.requested.v1');
    const payload = (JSON.parse((item.event as EncodedEvent).json) as { payload: Record<string, unknown> }).payload;
    expect(payload['endpoint']).toEqual({
      uri: 'http://r.example/n',
      accept: 'application/json',
      receiverInfo: [
        { key: 'X-A', value: '1' },
        {
          key: 'Link',
          value:
            '<https://city.example/context.jsonld>; rel="http://www.w3.org/ns/json-ld#context"; type="application/ld+json"',
        },
      ],
    });
    expect(payload['body']).toEqual({
      id: `urn:ngsi-ld:Notification:${payload['notificationId']}`,
      type: 'Notification',
      subscriptionId: 'urn:ngsi-ld:Subscription:s9',
      notifiedAt: AT,
      triggerReason: 'attributeUpdated',
      data: [{ id: 'urn:ngsi-ld:Building:b1' }],
    });
    const entities = Array.from({ length: 5 }, (_, i) => ({
      rendered: { id: `urn:x:${i}`, pad: 'x'.repeat(100) },
      state: before,
    }));
    expect(chunked(entities, { maxEntities: 2, maxBytes: 10_000 }).map((chunk) => chunk.length)).toEqual([
      2, 2, 1,
    ]);
    expect(chunked(entities, { maxEntities: 100, maxBytes: 250 }).map((chunk) => chunk.length)).toEqual([
      2, 2, 1,
    ]);
  });
});
