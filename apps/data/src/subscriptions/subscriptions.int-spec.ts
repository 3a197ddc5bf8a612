// The subscriptions API (clauses 5.8, 6.10, 6.11) and the matching behind it (5.8.6, 5.11),
// against the running service, the real database and the dev broker: every notification is read
// from data.notification.requested.v1 as the integration service would receive it.
import { createEvent, type EventOf } from '@urbis/contracts';
import { createKafka, EventPublisher } from '@urbis/messaging';
import { eventually, TEST_CLIENTS, TopicReader, until } from '@urbis/testing';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { type BrokerHarness, contextLink, entityId, startBroker } from '../test-support/broker.test-helpers';

jest.setTimeout(60_000);

type Requested = EventOf<'data.notification.requested.v1'>;
type Json = Record<string, unknown>;

const CONTEXT_URL = 'https://city.example/ngsi-ld/context.jsonld';
const CITY = 'https://city.example/terms/';
const TERMS = [
  'Building',
  'Vehicle',
  'Sensor',
  'name',
  'airQualityLevel',
  'speed',
  'category',
  'street',
  'locatedAt',
  'status',
];
const LINK = { link: contextLink(CONTEXT_URL) };
const RECEIVER = 'http://receiver.example/notify';

/** A context directory the broker preloads, standing in for the city's published @context. */
function preloadedContext(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'urbis-subscriptions-'));
  writeFileSync(
    path.join(dir, 'city.jsonld'),
    JSON.stringify({ '@context': Object.fromEntries(TERMS.map((term) => [term, `${CITY}${term}`])) }),
  );
  writeFileSync(path.join(dir, 'urls.json'), JSON.stringify({ [CONTEXT_URL]: 'city.jsonld' }));
  return dir;
}

let counter = 0;
const subscriptionId = () =>
  `urn:ngsi-ld:Subscription:test-${process.pid}-${Date.now().toString(36)}-${++counter}`;

function building(id: string, extra: Json = {}): Json {
  return {
    id,
    type: 'Building',
    name: { type: 'Property', value: 'Eiffel Tower' },
    airQualityLevel: { type: 'Property', value: 4, unitCode: 'C62' },
    location: { type: 'GeoProperty', value: { type: 'Point', coordinates: [2.2945, 48.8584] } },
    ...extra,
  };
}

describe('NGSI-LD subscriptions', () => {
  let broker: BrokerHarness;
  let reader: TopicReader;
  let db: Client;

  const post = (body: unknown, headers: Record<string, string> = LINK) =>
    broker.call('POST', '/ngsi-ld/v1/subscriptions', { body, headers });
  const get = <T = Json>(id: string, headers: Record<string, string> = LINK) =>
    broker.call<T>('GET', `/ngsi-ld/v1/subscriptions/${encodeURIComponent(id)}`, { headers });
  const patch = (id: string, body: unknown, headers: Record<string, string> = LINK) =>
    broker.call('PATCH', `/ngsi-ld/v1/subscriptions/${encodeURIComponent(id)}`, { body, headers });
  const subscribe = async (body: Json, headers: Record<string, string> = LINK): Promise<string> => {
    const id = (body['id'] as string | undefined) ?? subscriptionId();
    const created = await post({ id, type: 'Subscription', ...body }, headers);
    if (created.status !== 201)
      throw new Error(`subscription not created: ${created.status} ${created.text}`);
    return id;
  };
  const createEntity = async (entity: Json) => {
    const created = await broker.call('POST', '/ngsi-ld/v1/entities', { body: entity, headers: LINK });
    expect([created.status, created.text]).toEqual([201, '']);
  };
  const updateAttrs = async (id: string, attrs: Json) => {
    const updated = await broker.call('PATCH', `/ngsi-ld/v1/entities/${id}/attrs`, {
      body: attrs,
      headers: LINK,
    });
    expect([updated.status, updated.text]).toEqual([204, '']);
  };
  const notifications = (id: string) =>
    reader.events('data.notification.requested.v1', (event) => event.payload.subscriptionId === id);
  const waitNotifications = (id: string, count = 1) =>
    until(
      () => notifications(id),
      (found) => found.length >= count,
      { what: `${count} notification(s) for ${id}` },
    ).then((found) => found.map((read) => read.event as Requested));
  const dataOf = (event: Requested) => (event.payload.body as { data: Json[] }).data;

  beforeAll(async () => {
    broker = await startBroker('data_subscriptions', {
      NGSILD_CONTEXTS_DIR: preloadedContext(),
      NGSILD_PERIODIC_TICK_MS: '200',
      NGSILD_SUBSCRIPTIONS_RELOAD_MS: '60000',
      NGSILD_WRITE_LANES: '1',
    });
    reader = await new TopicReader(broker.kafka.bootstrapServers, ['data.notification.requested.v1']).start();
    db = new Client({ connectionString: broker.database.url });
    await db.connect();
  });
  afterAll(async () => {
    await db?.end();
    await reader?.stop();
    await broker?.stop();
  });

  describe('create, retrieve, query, update, delete (clause 5.8)', () => {
    it('creates a subscription (201 + Location) and retrieves exactly what was given, names compacted, with its status', async () => {
      const id = subscriptionId();
      const created = await post({
        id,
        type: 'Subscription',
        subscriptionName: 'air quality',
        description: 'buildings whose air gets worse',
        entities: [{ type: 'Building' }, { idPattern: '^urn:ngsi-ld:Vehicle:bus-', type: 'Vehicle' }],
        watchedAttributes: ['airQualityLevel'],
        q: 'airQualityLevel>3',
        geoQ: { geometry: 'Point', coordinates: [2.29, 48.85], georel: 'near;maxDistance==2000' },
        scopeQ: '/Paris/#',
        isActive: true,
        expiresAt: '2099-01-01T00:00:00Z',
        throttling: 5,
        lang: 'fr',
        notification: {
          attributes: ['airQualityLevel', 'name'],
          format: 'keyValues',
          endpoint: {
            uri: RECEIVER,
            accept: 'application/json',
            receiverInfo: [{ key: 'X-City', value: 'Paris' }],
          },
        },
      });
      expect([created.status, created.text]).toEqual([201, '']);
      expect(created.headers.get('location')).toBe(`/ngsi-ld/v1/subscriptions/${id}`);

      const read = await get(id);
      expect(read.status).toBe(200);
      expect(read.headers.get('content-type')).toContain('application/json');
      expect(read.headers.get('link')).toBe(contextLink(CONTEXT_URL));
      expect(read.body).toEqual({
        id,
        type: 'Subscription',
        subscriptionName: 'air quality',
        description: 'buildings whose air gets worse',
        entities: [{ type: 'Building' }, { idPattern: '^urn:ngsi-ld:Vehicle:bus-', type: 'Vehicle' }],
        watchedAttributes: ['airQualityLevel'],
        notificationTrigger: ['attributeCreated', 'attributeUpdated'],
        q: 'airQualityLevel>3',
        geoQ: { geometry: 'Point', coordinates: [2.29, 48.85], georel: 'near;maxDistance==2000' },
        scopeQ: '/Paris/#',
        isActive: true,
        expiresAt: '2099-01-01T00:00:00Z',
        throttling: 5,
        lang: 'fr',
        status: 'active',
        notification: {
          attributes: ['airQualityLevel', 'name'],
          format: 'keyValues',
          endpoint: {
            uri: RECEIVER,
            accept: 'application/json',
            receiverInfo: [{ key: 'X-City', value: 'Paris' }],
          },
          timesSent: 0,
          timesFailed: 0,
        },
      });
      // Without the client's @context, the same names come back as the IRIs they stand for.
      const core = await get(id, {});
      expect((core.body['entities'] as Json[])[0]).toEqual({ type: `${CITY}Building` });
      expect(core.body['watchedAttributes']).toEqual([`${CITY}airQualityLevel`]);
      // JSON-LD: the @context in the body, no Link header.
      const ld = await get(id, { ...LINK, accept: 'application/ld+json' });
      expect(ld.headers.get('content-type')).toContain('application/ld+json');
      expect(ld.headers.get('link')).toBeNull();
      expect(ld.body['@context']).toBe(CONTEXT_URL);
      // sysAttrs
      const sys = await broker.call<Json>('GET', `/ngsi-ld/v1/subscriptions/${id}?options=sysAttrs`, {
        headers: LINK,
      });
      expect(sys.body).toMatchObject({ createdAt: expect.any(String), modifiedAt: expect.any(String) });
    });

    it('accepts a JSON-LD body carrying its @context, and one with type selection, ids and every notification member', async () => {
      const id = subscriptionId();
      const created = await post(
        {
          id,
          type: 'Subscription',
          entities: [{ type: '(Building;Sensor)|Vehicle', id: 'urn:ngsi-ld:Building:b1' }],
          notificationTrigger: ['entityCreated', 'entityDeleted', 'attributeDeleted'],
          notification: {
            pick: ['id', 'name'],
            showChanges: true,
            sysAttrs: true,
            format: 'concise',
            endpoint: {
              uri: 'mqtt://127.0.0.1:1883/city/air',
              notifierInfo: [{ key: 'MQTT-QoS', value: '1' }],
            },
          },
          datasetId: ['urn:ngsi-ld:Dataset:fr', '@none'],
          notifyOnMetadataChange: false,
          '@context': [CONTEXT_URL],
        },
        { 'content-type': 'application/ld+json' },
      );
      expect([created.status, created.text]).toEqual([201, '']);
      const read = await get(id);
      expect(read.body).toMatchObject({
        entities: [{ id: 'urn:ngsi-ld:Building:b1', type: '(Building;Sensor)|Vehicle' }],
        notificationTrigger: ['entityCreated', 'entityDeleted', 'attributeDeleted'],
        datasetId: ['urn:ngsi-ld:Dataset:fr', '@none'],
        notifyOnMetadataChange: false,
        notification: {
          pick: ['id', 'name'],
          showChanges: true,
          sysAttrs: true,
          format: 'concise',
          endpoint: {
            uri: 'mqtt://127.0.0.1:1883/city/air',
            notifierInfo: [{ key: 'MQTT-QoS', value: '1' }],
          },
        },
      });
    });

    it('names a subscription without id urn:ngsi-ld:Subscription:<uuid>', async () => {
      const created = await post({
        type: 'Subscription',
        entities: [{ type: 'Building' }],
        notification: { endpoint: { uri: RECEIVER } },
      });
      expect(created.status).toBe(201);
      const location = created.headers.get('location') ?? '';
      expect(location).toMatch(
        /^\/ngsi-ld\/v1\/subscriptions\/urn:ngsi-ld:Subscription:[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
      );
      expect((await broker.call('GET', location, { headers: LINK })).status).toBe(200);
    });

    it('ignores read-only and unknown members a client sends (Table 5.2.12-2)', async () => {
      const id = await subscribe({
        entities: [{ type: 'Building' }],
        status: 'expired',
        __context: 'http://x/y.jsonld',
        notification: { endpoint: { uri: RECEIVER }, timesSent: 42, status: 'failed' },
      });
      const read = await get(id);
      expect(read.text).not.toContain('__context');
      expect(read.body['status']).toBe('active');
      expect(read.body['notification']).toEqual({
        endpoint: { uri: RECEIVER },
        timesSent: 0,
        timesFailed: 0,
      });
    });

    it('refuses a second subscription with the same id: 409 AlreadyExists', async () => {
      const id = await subscribe({
        entities: [{ type: 'Building' }],
        notification: { endpoint: { uri: RECEIVER } },
      });
      const again = await post({
        id,
        type: 'Subscription',
        entities: [{ type: 'Vehicle' }],
        notification: { endpoint: { uri: RECEIVER } },
      });
      expect(again.status).toBe(409);
      expect(again.body).toMatchObject({
        type: 'https://uri.etsi.org/ngsi-ld/errors/AlreadyExists',
        title: expect.any(String),
        detail: expect.stringContaining(id),
      });
      expect(((await get(id)).body['entities'] as Json[])[0]).toEqual({ type: 'Building' });
    });

    it('answers 404 ResourceNotFound for an unknown subscription, 400 for an id that is not a URI', async () => {
      for (const method of ['GET', 'PATCH', 'DELETE']) {
        const unknown = await broker.call(
          method,
          '/ngsi-ld/v1/subscriptions/urn:ngsi-ld:Subscription:unknown',
          { ...(method === 'PATCH' && { body: { throttling: 1 } }) },
        );
        expect([method, unknown.status, (unknown.body as Json)['type']]).toEqual([
          method,
          404,
          'https://uri.etsi.org/ngsi-ld/errors/ResourceNotFound',
        ]);
        const invalid = await broker.call(method, '/ngsi-ld/v1/subscriptions/not-a-uri', {
          ...(method === 'PATCH' && { body: { throttling: 1 } }),
        });
        expect([method, invalid.status, (invalid.body as Json)['type']]).toEqual([
          method,
          400,
          'https://uri.etsi.org/ngsi-ld/errors/BadRequestData',
        ]);
      }
    });

    it('refuses PATCH and DELETE on the collection: 405 OperationNotSupported', async () => {
      for (const method of ['PATCH', 'DELETE']) {
        const refused = await broker.call(method, '/ngsi-ld/v1/subscriptions', {
          ...(method === 'PATCH' && { body: { throttling: 1 } }),
        });
        expect([method, refused.status, (refused.body as Json)['type']]).toEqual([
          method,
          405,
          'https://uri.etsi.org/ngsi-ld/errors/OperationNotSupported',
        ]);
      }
    });

    it('updates members (204): the fragment replaces them, notification member by member, null removes one', async () => {
      const id = await subscribe({
        entities: [{ type: 'Building' }],
        watchedAttributes: ['name'],
        throttling: 10,
        notification: { attributes: ['name'], format: 'keyValues', endpoint: { uri: RECEIVER } },
      });
      const updated = await patch(id, {
        type: 'Subscription',
        watchedAttributes: ['airQualityLevel', 'name'],
        throttling: null,
        description: 'changed',
        notification: {
          format: 'normalized',
          endpoint: { uri: 'http://second.example/notify', accept: 'application/ld+json' },
        },
      });
      expect([updated.status, updated.text]).toEqual([204, '']);
      const read = await get(id);
      expect(read.body).toMatchObject({
        watchedAttributes: ['airQualityLevel', 'name'],
        description: 'changed',
        notification: {
          attributes: ['name'],
          format: 'normalized',
          endpoint: { uri: 'http://second.example/notify', accept: 'application/ld+json' },
        },
      });
      expect(read.body).not.toHaveProperty('throttling');
    });

    it('pauses and resumes with isActive, expires with expiresAt and comes back with a later one (status)', async () => {
      const id = await subscribe({
        entities: [{ type: 'Building' }],
        notification: { endpoint: { uri: RECEIVER } },
      });
      expect((await patch(id, { isActive: false })).status).toBe(204);
      expect((await get(id)).body['status']).toBe('paused');
      expect((await patch(id, { isActive: true })).status).toBe(204);
      expect((await get(id)).body['status']).toBe('active');
      expect((await patch(id, { expiresAt: new Date(Date.now() + 1200).toISOString() })).status).toBe(204);
      await eventually(async () => (await get(id)).body['status'] === 'expired', {
        what: 'the subscription to expire',
      });
      // Resuming does not revive an expired subscription; a later expiresAt does.
      expect((await patch(id, { isActive: true })).status).toBe(204);
      expect((await get(id)).body['status']).toBe('expired');
      expect((await patch(id, { expiresAt: '2099-01-01T00:00:00Z' })).status).toBe(204);
      expect((await get(id)).body['status']).toBe('active');
      const paused = await subscribe({
        entities: [{ type: 'Building' }],
        isActive: false,
        notification: { endpoint: { uri: RECEIVER } },
      });
      expect((await get(paused)).body['status']).toBe('paused');
    });

    it.each([
      ['a past expiresAt', { expiresAt: '2000-01-01T00:00:00Z' }, /expiresAt/],
      ['notification null', { notification: null }, /notification is mandatory/],
      ['endpoint null', { notification: { endpoint: null } }, /endpoint is mandatory/],
      ['a different id', { id: 'urn:ngsi-ld:Subscription:other' }, /is not the subscription/],
      [
        'timeInterval with the watchedAttributes it has',
        { timeInterval: 10 },
        /timeInterval and watchedAttributes/,
      ],
      [
        'removing the only selection',
        { watchedAttributes: null, entities: null },
        /entities or watchedAttributes/,
      ],
      [
        'showChanges with keyValues',
        { notification: { showChanges: true, format: 'keyValues' } },
        /showChanges/,
      ],
    ])(
      'refuses an update with %s (400 BadRequestData) and leaves the subscription as it was',
      async (_label, fragment, detail) => {
        const id = await subscribe({
          entities: [{ type: 'Building' }],
          watchedAttributes: ['name'],
          notification: { endpoint: { uri: RECEIVER } },
        });
        const before = await get(id);
        const refused = await patch(id, fragment);
        expect(refused.status).toBe(400);
        expect(refused.body).toMatchObject({
          type: 'https://uri.etsi.org/ngsi-ld/errors/BadRequestData',
          title: expect.any(String),
          detail: expect.stringMatching(detail),
        });
        expect((await get(id)).body).toEqual(before.body);
      },
    );

    it('deletes (204), then the subscription is gone', async () => {
      const id = await subscribe({
        entities: [{ type: 'Building' }],
        notification: { endpoint: { uri: RECEIVER } },
      });
      const deleted = await broker.call('DELETE', `/ngsi-ld/v1/subscriptions/${id}`);
      expect([deleted.status, deleted.text]).toEqual([204, '']);
      expect((await get(id)).status).toBe(404);
    });

    it('lists a tenant’s subscriptions with paging, count and prev/next links; another tenant sees its own', async () => {
      const tenant = `paging${Date.now().toString(36)}`;
      const headers = { ...LINK, 'NGSILD-Tenant': tenant };
      const missing = await broker.call('GET', '/ngsi-ld/v1/subscriptions', {
        headers,
        user: 'platformAdmin',
      });
      expect([missing.status, (missing.body as Json)['type']]).toEqual([
        404,
        'https://uri.etsi.org/ngsi-ld/errors/NonexistentTenant',
      ]);
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) {
        const id = subscriptionId();
        const created = await broker.call('POST', '/ngsi-ld/v1/subscriptions', {
          body: {
            id,
            type: 'Subscription',
            entities: [{ type: 'Building' }],
            notification: { endpoint: { uri: RECEIVER } },
          },
          headers,
          user: 'platformAdmin',
        });
        expect(created.status).toBe(201);
        ids.push(id);
      }
      const page = (query: string, accept = 'application/ld+json') =>
        broker.call<Json[]>('GET', `/ngsi-ld/v1/subscriptions?${query}`, {
          headers: { ...headers, accept },
          user: 'platformAdmin',
        });
      const all = await page('count=true');
      expect(all.status).toBe(200);
      expect(all.headers.get('ngsild-results-count')).toBe('3');
      expect(all.body.map((subscription) => subscription['id'])).toEqual(ids);
      expect(
        all.body.every(
          (subscription) =>
            subscription['@context'] === CONTEXT_URL && subscription['type'] === 'Subscription',
        ),
      ).toBe(true);
      expect(all.headers.get('link')).toBeNull();
      const second = await page('limit=1&offset=1');
      expect(second.body.map((subscription) => subscription['id'])).toEqual([ids[1]]);
      expect(second.headers.get('link')?.split(', ')).toEqual([
        '</ngsi-ld/v1/subscriptions?limit=1&offset=0>;rel="prev";type="application/ld+json"',
        '</ngsi-ld/v1/subscriptions?limit=1&offset=2>;rel="next";type="application/ld+json"',
      ]);
      const last = await page('limit=1&offset=2');
      expect(last.headers.get('link')).toBe(
        '</ngsi-ld/v1/subscriptions?limit=1&offset=1>;rel="prev";type="application/ld+json"',
      );
      const json = await page('limit=1', 'application/json');
      expect(json.headers.get('link')).toBe(
        `${contextLink(CONTEXT_URL)}, </ngsi-ld/v1/subscriptions?limit=1&offset=1>;rel="next";type="application/ld+json"`,
      );
      expect((await page('limit=1001')).status).toBe(403);
      // alpha's own listing does not show them, nor can alpha read one.
      const alpha = await broker.call<Json[]>('GET', '/ngsi-ld/v1/subscriptions?limit=1000', {
        headers: LINK,
      });
      expect(alpha.body.some((subscription) => ids.includes(subscription['id'] as string))).toBe(false);
      expect((await get(ids[0] as string)).status).toBe(404);
    });

    it('lets readers read and only writers write; a caller without a token is refused', async () => {
      const id = await subscribe({
        entities: [{ type: 'Building' }],
        notification: { endpoint: { uri: RECEIVER } },
      });
      expect((await broker.call('GET', `/ngsi-ld/v1/subscriptions/${id}`, { user: 'auditor' })).status).toBe(
        200,
      );
      expect(
        (
          await broker.call('POST', '/ngsi-ld/v1/subscriptions', {
            user: 'auditor',
            body: {
              type: 'Subscription',
              entities: [{ type: 'Building' }],
              notification: { endpoint: { uri: RECEIVER } },
            },
          })
        ).status,
      ).toBe(403);
      expect(
        (await broker.call('DELETE', `/ngsi-ld/v1/subscriptions/${id}`, { user: 'auditor' })).status,
      ).toBe(403);
      expect((await broker.call('GET', `/ngsi-ld/v1/subscriptions/${id}`, { user: null })).status).toBe(401);
    });

    it('answers 503 LdContextNotAvailable for a jsonldContext it cannot load, and uses one it can', async () => {
      const unavailable = await post({
        type: 'Subscription',
        entities: [{ type: 'Building' }],
        jsonldContext: 'http://127.0.0.1:9/missing.jsonld',
        notification: { endpoint: { uri: RECEIVER } },
      });
      expect([unavailable.status, (unavailable.body as Json)['type']]).toEqual([
        503,
        'https://uri.etsi.org/ngsi-ld/errors/LdContextNotAvailable',
      ]);
      const id = await subscribe(
        {
          entities: [{ type: 'Building' }],
          jsonldContext: CONTEXT_URL,
          notification: { endpoint: { uri: RECEIVER } },
        },
        {},
      );
      expect((await get(id)).body['jsonldContext']).toBe(CONTEXT_URL);
    });

    const endpoint = { uri: RECEIVER };
    const valid = { type: 'Subscription', entities: [{ type: 'Building' }], notification: { endpoint } };
    it.each([
      ['no type', { ...valid, type: undefined }, /type is mandatory/],
      ['another type', { ...valid, type: 'Registration' }, /"Subscription"/],
      ['an id that is not a URI', { ...valid, id: 'invalidId' }, /not a URI/],
      ['an empty id', { ...valid, id: '' }, /not a URI/],
      [
        'entities that are not an array',
        { ...valid, entities: { type: 'Building' } },
        /entities must be an array/,
      ],
      [
        'no entities and no watchedAttributes',
        { ...valid, entities: undefined },
        /entities or watchedAttributes/,
      ],
      ['empty entities', { ...valid, entities: [] }, /entities cannot be empty/],
      [
        'an entity selector without type',
        { ...valid, entities: [{ id: 'urn:ngsi-ld:Building:1' }] },
        /entities\[0\]\.type is mandatory/,
      ],
      [
        'a type selection with a syntax error',
        { ...valid, entities: [{ type: 'Building;;Vehicle' }] },
        /expected a type name/,
      ],
      ['an invalid idPattern', { ...valid, entities: [{ type: 'Building', idPattern: '(' }] }, /idPattern/],
      [
        'an entity id that is not a URI',
        { ...valid, entities: [{ type: 'Building', id: 'b1' }] },
        /entities\[0\]\.id/,
      ],
      ['empty watchedAttributes', { ...valid, watchedAttributes: [] }, /watchedAttributes cannot be empty/],
      [
        'a watched attribute with a space',
        { ...valid, watchedAttributes: ['air quality'] },
        /not a valid name/,
      ],
      [
        'an unknown notificationTrigger',
        { ...valid, notificationTrigger: ['entityChanged'] },
        /notificationTrigger\[0\]/,
      ],
      [
        'empty notificationTrigger',
        { ...valid, notificationTrigger: [] },
        /notificationTrigger cannot be empty/,
      ],
      ['a negative timeInterval', { ...valid, timeInterval: -1 }, /timeInterval must be a positive number/],
      [
        'timeInterval with watchedAttributes',
        { ...valid, timeInterval: 5, watchedAttributes: ['name'] },
        /timeInterval and watchedAttributes/,
      ],
      [
        'timeInterval with throttling',
        { ...valid, timeInterval: 5, throttling: 1 },
        /timeInterval and throttling/,
      ],
      ['a negative throttling', { ...valid, throttling: -5 }, /throttling must be a positive number/],
      [
        'a throttling that is a string',
        { ...valid, throttling: '5' },
        /throttling must be a positive number/,
      ],
      ['an invalid q', { ...valid, q: 'airQualityLevel>>3' }, /q/],
      ['an incomplete geoQ', { ...valid, geoQ: { geometry: 'Point', coordinates: [2, 48] } }, /georel/],
      [
        'a geoQ outside the world',
        { ...valid, geoQ: { geometry: 'Point', coordinates: [200, 48], georel: 'within' } },
        /longitude|coordinates|position/i,
      ],
      ['an invalid scopeQ', { ...valid, scopeQ: 'Paris' }, /scopeQ/],
      ['an invalid csf', { ...valid, csf: '((' }, /csf|q/],
      ['isActive that is not a boolean', { ...valid, isActive: 'yes' }, /isActive must be true or false/],
      ['a past expiresAt', { ...valid, expiresAt: '2000-01-01T00:00:00Z' }, /not in the future/],
      ['an expiresAt that is not a DateTime', { ...valid, expiresAt: 'tomorrow' }, /not a DateTime/],
      ['an invalid lang', { ...valid, lang: 'not a tag' }, /lang/],
      ['a datasetId that is not a URI', { ...valid, datasetId: ['french'] }, /datasetId\[0\]/],
      ['a jsonldContext that is not a URL', { ...valid, jsonldContext: 'context' }, /jsonldContext/],
      ['no notification', { ...valid, notification: undefined }, /notification is mandatory/],
      [
        'a notification without endpoint',
        { ...valid, notification: { format: 'keyValues' } },
        /endpoint is mandatory/,
      ],
      [
        'an endpoint without uri',
        { ...valid, notification: { endpoint: { accept: 'application/json' } } },
        /uri is mandatory/,
      ],
      [
        'an ftp endpoint',
        { ...valid, notification: { endpoint: { uri: 'ftp://files.example/drop' } } },
        /http, https, mqtt or mqtts/,
      ],
      [
        'an endpoint that is no URL',
        { ...valid, notification: { endpoint: { uri: 'receiver' } } },
        /http, https, mqtt or mqtts/,
      ],
      [
        'an mqtt endpoint without topic',
        { ...valid, notification: { endpoint: { uri: 'mqtt://broker.example:1883' } } },
        /topic/,
      ],
      [
        'an accept it cannot produce',
        { ...valid, notification: { endpoint: { uri: RECEIVER, accept: 'text/plain' } } },
        /accept/,
      ],
      [
        'a receiverInfo value that is a number',
        { ...valid, notification: { endpoint: { ...endpoint, receiverInfo: [{ key: 'K', value: 42 }] } } },
        /receiverInfo\[0\]/,
      ],
      [
        'a receiverInfo pair without value',
        { ...valid, notification: { endpoint: { ...endpoint, receiverInfo: [{ key: 'K' }] } } },
        /receiverInfo\[0\]/,
      ],
      [
        'a receiverInfo key that is a number',
        { ...valid, notification: { endpoint: { ...endpoint, receiverInfo: [{ key: 5, value: 'v' }] } } },
        /receiverInfo\[0\]/,
      ],
      [
        'a receiverInfo key that is no header name',
        { ...valid, notification: { endpoint: { ...endpoint, receiverInfo: [{ key: 'X Y', value: 'v' }] } } },
        /header name/,
      ],
      [
        'a receiverInfo value on two lines',
        {
          ...valid,
          notification: {
            endpoint: { ...endpoint, receiverInfo: [{ key: 'X-Y', value: 'a\r\nInjected: 1' }] },
          },
        },
        /one line/,
      ],
      [
        'a notifierInfo value that is an object',
        {
          ...valid,
          notification: { endpoint: { ...endpoint, notifierInfo: [{ key: 'K', value: { a: 1 } }] } },
        },
        /notifierInfo\[0\]/,
      ],
      [
        'a negative endpoint timeout',
        { ...valid, notification: { endpoint: { ...endpoint, timeout: -1 } } },
        /timeout/,
      ],
      [
        'empty notification attributes',
        { ...valid, notification: { endpoint, attributes: [] } },
        /attributes cannot be empty/,
      ],
      ['an empty pick', { ...valid, notification: { endpoint, pick: [] } }, /pick cannot be empty/],
      ['an empty omit', { ...valid, notification: { endpoint, omit: [] } }, /omit cannot be empty/],
      [
        'pick with attributes',
        { ...valid, notification: { endpoint, pick: ['name'], attributes: ['name'] } },
        /attributes cannot be combined/,
      ],
      [
        'omit with attributes',
        { ...valid, notification: { endpoint, omit: ['name'], attributes: ['name'] } },
        /attributes cannot be combined/,
      ],
      [
        'the same member in pick and omit',
        { ...valid, notification: { endpoint, pick: ['name', 'id'], omit: ['name'] } },
        /both name/,
      ],
      [
        'showChanges with keyValues',
        { ...valid, notification: { endpoint, format: 'keyValues', showChanges: true } },
        /showChanges/,
      ],
      [
        'showChanges with simplified',
        { ...valid, notification: { endpoint, format: 'simplified', showChanges: true } },
        /showChanges/,
      ],
      ['an unknown format', { ...valid, notification: { endpoint, format: 'xml' } }, /format/],
      [
        'sysAttrs that is a string',
        { ...valid, notification: { endpoint, sysAttrs: 'true' } },
        /sysAttrs must be true or false/,
      ],
    ])(
      'refuses a subscription with %s: 400 BadRequestData naming the member',
      async (_label, body, detail) => {
        const refused = await post(body);
        expect(refused.status).toBe(400);
        expect(refused.headers.get('content-type')).toContain('application/json');
        expect(refused.body).toMatchObject({
          type: 'https://uri.etsi.org/ngsi-ld/errors/BadRequestData',
          title: expect.any(String),
          detail: expect.stringMatching(detail),
        });
      },
    );

    it('refuses bodies that are not a subscription at all', async () => {
      const malformed = await broker.call<Json>('POST', '/ngsi-ld/v1/subscriptions', {
        raw: '{"type": "Subscription",',
        headers: { 'content-type': 'application/json' },
      });
      expect(malformed.status).toBe(400);
      expect(malformed.body['type']).toMatch(/^https:\/\/uri\.etsi\.org\/ngsi-ld\/errors\//);
      const empty = await post({});
      expect([empty.status, (empty.body as Json)['type']]).toEqual([
        400,
        'https://uri.etsi.org/ngsi-ld/errors/BadRequestData',
      ]);
      const array = await post([valid]);
      expect([array.status, (array.body as Json)['type']]).toEqual([
        400,
        'https://uri.etsi.org/ngsi-ld/errors/BadRequestData',
      ]);
      const xml = await broker.call('POST', '/ngsi-ld/v1/subscriptions', {
        raw: '<subscription/>',
        headers: { 'content-type': 'application/xml' },
      });
      expect(xml.status).toBe(415);
    });
  });

  describe('notifications (clause 5.8.6), as requested from the integration service', () => {
    it('notifies an entity creation with the whole entity, normalized, linking the subscription’s @context', async () => {
      const id = await subscribe({
        entities: [{ type: 'Building' }],
        notification: { endpoint: { uri: RECEIVER, receiverInfo: [{ key: 'X-City', value: 'Paris' }] } },
      });
      const entity = entityId('Building');
      await createEntity(building(entity));
      const [event] = await waitNotifications(id);
      const read = notifications(id)[0];
      expect(read?.key).toBe(`alpha/${id}`);
      expect(event?.tenant).toBe('alpha');
      expect(event?.payload).toMatchObject({
        subscriptionId: id,
        contentType: 'application/json',
        endpoint: {
          uri: RECEIVER,
          accept: 'application/json',
          receiverInfo: [
            { key: 'X-City', value: 'Paris' },
            { key: 'Link', value: contextLink(CONTEXT_URL) },
          ],
        },
      });
      const body = event?.payload.body as Json;
      expect(body).toEqual({
        id: `urn:ngsi-ld:Notification:${event?.payload.notificationId}`,
        type: 'Notification',
        subscriptionId: id,
        notifiedAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/),
        triggerReason: 'attributeCreated',
        data: [building(entity)],
      });
    });

    it('notifies changes of watched attributes only, in the order of the changes', async () => {
      const entity = entityId('Building');
      await createEntity(building(entity));
      const id = await subscribe({
        entities: [{ type: 'Building', id: entity }],
        watchedAttributes: ['airQualityLevel'],
        notification: { format: 'keyValues', endpoint: { uri: RECEIVER } },
      });
      await updateAttrs(entity, { name: { type: 'Property', value: 'not watched' } });
      for (const level of [5, 6, 7])
        await updateAttrs(entity, { airQualityLevel: { type: 'Property', value: level } });
      const events = await waitNotifications(id, 3);
      expect(events.map((event) => dataOf(event)[0]?.['airQualityLevel'])).toEqual([5, 6, 7]);
      expect(dataOf(events[0] as Requested)[0]).toMatchObject({
        id: entity,
        type: 'Building',
        name: 'not watched',
      });
      expect(events.map((event) => (event.payload.body as Json)['triggerReason'])).toEqual([
        'attributeUpdated',
        'attributeUpdated',
        'attributeUpdated',
      ]);
    });

    it('selects by type selection, idPattern, q and scopeQ', async () => {
      const prefix = `urn:ngsi-ld:Sensor:${Date.now().toString(36)}-`;
      const id = await subscribe({
        entities: [{ type: 'Sensor;Building', idPattern: `^${prefix}` }],
        q: 'airQualityLevel>5',
        scopeQ: '/Paris/#',
        notification: { attributes: ['airQualityLevel'], endpoint: { uri: RECEIVER } },
      });
      const make = (n: number, types: string[], level: number, scope: string) =>
        createEntity({
          id: `${prefix}${n}`,
          type: types,
          airQualityLevel: { type: 'Property', value: level },
          scope,
        });
      await make(1, ['Sensor'], 9, '/Paris/Nord'); // one type only
      await make(2, ['Sensor', 'Building'], 3, '/Paris/Nord'); // q
      await make(3, ['Sensor', 'Building'], 9, '/Lyon'); // scopeQ
      await createEntity({
        id: `urn:ngsi-ld:Sensor:elsewhere-${Date.now()}`,
        type: ['Sensor', 'Building'],
        airQualityLevel: { type: 'Property', value: 9 },
        scope: '/Paris',
      }); // idPattern
      await make(4, ['Sensor', 'Building'], 9, '/Paris/Sud');
      const [event] = await waitNotifications(id);
      expect(dataOf(event as Requested)).toEqual([
        {
          id: `${prefix}4`,
          type: ['Sensor', 'Building'],
          scope: '/Paris/Sud',
          airQualityLevel: { type: 'Property', value: 9 },
        },
      ]);
      await updateAttrs(`${prefix}2`, { airQualityLevel: { type: 'Property', value: 8 } });
      const events = await waitNotifications(id, 2);
      expect(events.map((notification) => dataOf(notification)[0]?.['id'])).toEqual([
        `${prefix}4`,
        `${prefix}2`,
      ]);
    });

    it('evaluates geoQ with PostGIS in the write’s transaction, on the geometry the change leaves', async () => {
      const id = await subscribe({
        entities: [{ type: 'Vehicle' }],
        geoQ: { geometry: 'Point', coordinates: [2.2945, 48.8584], georel: 'near;maxDistance==1000' },
        notification: { attributes: ['speed'], format: 'keyValues', endpoint: { uri: RECEIVER } },
      });
      const far = entityId('Vehicle');
      const near = entityId('Vehicle');
      const vehicle = (entity: string, lon: number, lat: number, speed: number) => ({
        id: entity,
        type: 'Vehicle',
        speed: { type: 'Property', value: speed },
        location: { type: 'GeoProperty', value: { type: 'Point', coordinates: [lon, lat] } },
      });
      await createEntity(vehicle(far, 2.35, 48.86, 1));
      await createEntity(vehicle(near, 2.295, 48.859, 2));
      await updateAttrs(far, {
        location: { type: 'GeoProperty', value: { type: 'Point', coordinates: [2.2946, 48.8585] } },
        speed: { type: 'Property', value: 3 },
      });
      const events = await waitNotifications(id, 2);
      expect(events.map((event) => dataOf(event)[0])).toEqual([
        { id: near, type: 'Vehicle', speed: 2 },
        { id: far, type: 'Vehicle', speed: 3 },
      ]);
      // A deletion is judged on the geometry the entity had.
      const deletions = await subscribe({
        entities: [{ type: 'Vehicle' }],
        notificationTrigger: ['entityDeleted'],
        geoQ: { geometry: 'Point', coordinates: [2.2945, 48.8584], georel: 'near;maxDistance==1000' },
        notification: { format: 'keyValues', endpoint: { uri: RECEIVER } },
      });
      const elsewhere = entityId('Vehicle');
      await createEntity(vehicle(elsewhere, 2.35, 48.86, 4));
      for (const gone of [elsewhere, near]) {
        expect((await broker.call('DELETE', `/ngsi-ld/v1/entities/${gone}`)).status).toBe(204);
      }
      const [deleted] = await waitNotifications(deletions);
      expect(dataOf(deleted as Requested)).toEqual([
        {
          id: near,
          type: 'Vehicle',
          deletedAt: expect.any(String),
          speed: 'urn:ngsi-ld:null',
          location: 'urn:ngsi-ld:null',
        },
      ]);
      expect(notifications(deletions)).toHaveLength(1);
    });

    it('notifies entityDeleted and attributeDeleted with NGSI-LD Null, deletedAt and, under showChanges, the previous values', async () => {
      const entity = entityId('Building');
      await createEntity(
        building(entity, {
          locatedAt: { type: 'Relationship', object: 'urn:ngsi-ld:City:Paris' },
          street: { type: 'LanguageProperty', languageMap: { fr: 'Grand Place', nl: 'Grote Markt' } },
        }),
      );
      const deletions = await subscribe({
        entities: [{ type: 'Building', id: entity }],
        notificationTrigger: ['attributeDeleted'],
        notification: { endpoint: { uri: RECEIVER } },
      });
      const changes = await subscribe({
        entities: [{ type: 'Building', id: entity }],
        notificationTrigger: ['attributeUpdated', 'entityDeleted'],
        notification: { showChanges: true, endpoint: { uri: RECEIVER } },
      });
      const sys = await subscribe({
        entities: [{ type: 'Building', id: entity }],
        watchedAttributes: ['name'],
        notificationTrigger: ['attributeDeleted'],
        notification: { sysAttrs: true, endpoint: { uri: RECEIVER } },
      });

      expect(
        (await broker.call('DELETE', `/ngsi-ld/v1/entities/${entity}/attrs/locatedAt`, { headers: LINK }))
          .status,
      ).toBe(204);
      const [deleted] = await waitNotifications(deletions);
      expect(dataOf(deleted as Requested)).toEqual([
        {
          ...building(entity),
          street: { type: 'LanguageProperty', languageMap: { fr: 'Grand Place', nl: 'Grote Markt' } },
          locatedAt: { type: 'Relationship', object: 'urn:ngsi-ld:null' },
        },
      ]);
      expect((deleted?.payload.body as Json)['triggerReason']).toBe('attributeDeleted');

      await updateAttrs(entity, { name: { type: 'Property', value: 'Tour Eiffel' } });
      const [updated] = await waitNotifications(changes);
      expect(dataOf(updated as Requested)[0]?.['name']).toEqual({
        type: 'Property',
        value: 'Tour Eiffel',
        previousValue: 'Eiffel Tower',
      });
      expect(dataOf(updated as Requested)[0]?.['airQualityLevel']).toEqual({
        type: 'Property',
        value: 4,
        unitCode: 'C62',
      });

      expect((await broker.call('DELETE', `/ngsi-ld/v1/entities/${entity}`)).status).toBe(204);
      const [, gone] = await waitNotifications(changes, 2);
      expect((gone?.payload.body as Json)['triggerReason']).toBe('entityDeleted');
      expect(dataOf(gone as Requested)).toEqual([
        {
          id: entity,
          type: 'Building',
          deletedAt: expect.any(String),
          name: { type: 'Property', value: 'urn:ngsi-ld:null', previousValue: 'Tour Eiffel' },
          airQualityLevel: { type: 'Property', value: 'urn:ngsi-ld:null', previousValue: 4 },
          location: {
            type: 'GeoProperty',
            value: 'urn:ngsi-ld:null',
            previousValue: { type: 'Point', coordinates: [2.2945, 48.8584] },
          },
          street: {
            type: 'LanguageProperty',
            languageMap: 'urn:ngsi-ld:null',
            previousLanguageMap: { fr: 'Grand Place', nl: 'Grote Markt' },
          },
        },
      ]);
      // An entity deletion deletes its attributes: the watched one is shown, with sysAttrs.
      const [viaAttribute] = await waitNotifications(sys);
      expect(dataOf(viaAttribute as Requested)).toEqual([
        {
          id: entity,
          type: 'Building',
          createdAt: expect.any(String),
          modifiedAt: expect.any(String),
          deletedAt: expect.any(String),
          name: {
            type: 'Property',
            value: 'urn:ngsi-ld:null',
            createdAt: expect.any(String),
            modifiedAt: expect.any(String),
            deletedAt: expect.any(String),
          },
        },
      ]);
    });

    it('renders concise and keyValues, notification attributes, pick/omit, datasetId, lang and sysAttrs', async () => {
      const entity = entityId('Building');
      const french = 'urn:ngsi-ld:Dataset:fr';
      await createEntity(
        building(entity, {
          name: [
            { type: 'Property', value: 'Eiffel Tower' },
            { type: 'Property', value: 'La tour Eiffel', datasetId: french },
          ],
          street: {
            type: 'LanguageProperty',
            languageMap: { fr: 'Champ de Mars', en: 'Champ de Mars park' },
          },
        }),
      );
      const base = { entities: [{ type: 'Building', id: entity }], watchedAttributes: ['airQualityLevel'] };
      const concise = await subscribe({
        ...base,
        notification: {
          format: 'concise',
          attributes: ['airQualityLevel', 'street'],
          endpoint: { uri: RECEIVER },
        },
      });
      const picked = await subscribe({
        ...base,
        notification: { format: 'keyValues', pick: ['id', 'airQualityLevel'], endpoint: { uri: RECEIVER } },
      });
      const omitted = await subscribe({
        ...base,
        notification: {
          format: 'keyValues',
          omit: ['type', 'name', 'location', 'street'],
          endpoint: { uri: RECEIVER },
        },
      });
      const dataset = await subscribe({
        entities: base.entities,
        watchedAttributes: ['name'],
        datasetId: [french],
        notification: { attributes: ['name'], endpoint: { uri: RECEIVER } },
      });
      const lang = await subscribe({
        ...base,
        lang: 'en',
        notification: { format: 'keyValues', attributes: ['street'], endpoint: { uri: RECEIVER } },
      });
      const sysAttrs = await subscribe({
        ...base,
        notification: { sysAttrs: true, attributes: ['airQualityLevel'], endpoint: { uri: RECEIVER } },
      });
      await updateAttrs(entity, { airQualityLevel: { type: 'Property', value: 8 } });
      const first = async (id: string) => dataOf((await waitNotifications(id))[0] as Requested)[0];
      expect(await first(concise)).toEqual({
        id: entity,
        type: 'Building',
        airQualityLevel: 8,
        street: { languageMap: { fr: 'Champ de Mars', en: 'Champ de Mars park' } },
      });
      expect(await first(picked)).toEqual({ id: entity, airQualityLevel: 8 });
      expect(await first(omitted)).toEqual({ id: entity, airQualityLevel: 8 });
      expect(await first(lang)).toEqual({ id: entity, type: 'Building', street: 'Champ de Mars park' });
      expect(await first(sysAttrs)).toEqual({
        id: entity,
        type: 'Building',
        createdAt: expect.any(String),
        modifiedAt: expect.any(String),
        airQualityLevel: {
          type: 'Property',
          value: 8,
          createdAt: expect.any(String),
          modifiedAt: expect.any(String),
        },
      });
      // datasetId: only the French instance is watched and shown, so the default instance's change notifies nothing.
      await updateAttrs(entity, { name: { type: 'Property', value: 'The Iron Lady' } });
      await updateAttrs(entity, { name: { type: 'Property', value: 'La dame de fer', datasetId: french } });
      const [viaDataset] = await waitNotifications(dataset);
      expect(dataOf(viaDataset as Requested)[0]).toEqual({
        id: entity,
        type: 'Building',
        name: { type: 'Property', value: 'La dame de fer', datasetId: french },
      });
      expect(notifications(dataset)).toHaveLength(1);
    });

    it('sends JSON-LD with the @context in each entity and no Link, GeoJSON as a FeatureCollection', async () => {
      const entity = entityId('Building');
      await createEntity(building(entity));
      const ld = await subscribe({
        entities: [{ type: 'Building', id: entity }],
        notification: { attributes: ['name'], endpoint: { uri: RECEIVER, accept: 'application/ld+json' } },
      });
      const geo = await subscribe({
        entities: [{ type: 'Building', id: entity }],
        notification: {
          attributes: ['name'],
          format: 'keyValues',
          endpoint: { uri: RECEIVER, accept: 'application/geo+json' },
        },
      });
      await updateAttrs(entity, { name: { type: 'Property', value: 'Tour Eiffel' } });
      const [asLd] = await waitNotifications(ld);
      expect(asLd?.payload.contentType).toBe('application/ld+json');
      expect(asLd?.payload.endpoint.receiverInfo ?? []).toEqual([]);
      expect(dataOf(asLd as Requested)).toEqual([
        {
          id: entity,
          type: 'Building',
          name: { type: 'Property', value: 'Tour Eiffel' },
          '@context': CONTEXT_URL,
        },
      ]);
      const [asGeo] = await waitNotifications(geo);
      expect(asGeo?.payload.contentType).toBe('application/geo+json');
      expect((asGeo?.payload.body as Json)['data']).toEqual({
        type: 'FeatureCollection',
        features: [
          {
            id: entity,
            type: 'Feature',
            geometry: { type: 'Point', coordinates: [2.2945, 48.8584] },
            properties: { type: 'Building', name: 'Tour Eiffel' },
          },
        ],
      });
    });

    it('passes the MQTT binding’s notifierInfo on for mqtt endpoints', async () => {
      const entity = entityId('Building');
      const id = await subscribe({
        entities: [{ type: 'Building', id: entity }],
        notification: {
          format: 'keyValues',
          endpoint: {
            uri: 'mqtt://127.0.0.1:1883/city/air',
            notifierInfo: [
              { key: 'MQTT-QoS', value: '2' },
              { key: 'MQTT-Version', value: 'mqtt5.0' },
            ],
          },
        },
      });
      await createEntity(building(entity));
      const [event] = await waitNotifications(id);
      expect(event?.payload.endpoint).toEqual({
        uri: 'mqtt://127.0.0.1:1883/city/air',
        accept: 'application/json',
        receiverInfo: [
          { key: 'MQTT-QoS', value: '2' },
          { key: 'MQTT-Version', value: 'mqtt5.0' },
          { key: 'Link', value: contextLink(CONTEXT_URL) },
        ],
      });
    });

    it('sends nothing while paused or expired, and again once resumed or renewed', async () => {
      const entity = entityId('Building');
      await createEntity(building(entity));
      const id = await subscribe({
        entities: [{ type: 'Building', id: entity }],
        isActive: false,
        notification: { format: 'keyValues', attributes: ['airQualityLevel'], endpoint: { uri: RECEIVER } },
      });
      await updateAttrs(entity, { airQualityLevel: { type: 'Property', value: 1 } });
      expect(
        (await patch(id, { isActive: true, expiresAt: new Date(Date.now() + 1500).toISOString() })).status,
      ).toBe(204);
      await updateAttrs(entity, { airQualityLevel: { type: 'Property', value: 2 } });
      await eventually(async () => (await get(id)).body['status'] === 'expired', {
        what: 'the subscription to expire',
      });
      await updateAttrs(entity, { airQualityLevel: { type: 'Property', value: 3 } });
      expect((await patch(id, { expiresAt: '2099-01-01T00:00:00Z' })).status).toBe(204);
      await updateAttrs(entity, { airQualityLevel: { type: 'Property', value: 4 } });
      const events = await waitNotifications(id, 2);
      expect(events.map((event) => dataOf(event)[0]?.['airQualityLevel'])).toEqual([2, 4]);
    });

    it('throttles: nothing within the throttling period after a notification, notifications again after it', async () => {
      const entity = entityId('Building');
      await createEntity(building(entity));
      const id = await subscribe({
        entities: [{ type: 'Building', id: entity }],
        throttling: 1.5,
        notification: { format: 'keyValues', attributes: ['airQualityLevel'], endpoint: { uri: RECEIVER } },
      });
      await updateAttrs(entity, { airQualityLevel: { type: 'Property', value: 1 } });
      const [first] = await waitNotifications(id);
      await updateAttrs(entity, { airQualityLevel: { type: 'Property', value: 2 } });
      await new Promise((resolve) =>
        setTimeout(
          resolve,
          Math.max(0, Date.parse((first?.payload.body as Json)['notifiedAt'] as string) + 1600 - Date.now()),
        ),
      );
      await updateAttrs(entity, { airQualityLevel: { type: 'Property', value: 3 } });
      const events = await waitNotifications(id, 2);
      expect(events.map((event) => dataOf(event)[0]?.['airQualityLevel'])).toEqual([1, 3]);
      const { rows } = await db.query<{ throttled_at: Date }>(
        'SELECT throttled_at FROM subscription WHERE id = $1',
        [id],
      );
      expect(rows[0]?.throttled_at.toISOString()).toBe((events[1]?.payload.body as Json)['notifiedAt']);
    });

    it('notifies periodically (timeInterval) with the entities it selects, whatever changed', async () => {
      const entity = entityId('Building');
      await createEntity(building(entity));
      const id = await subscribe({
        entities: [{ type: 'Building', id: entity }],
        timeInterval: 1,
        notification: { format: 'keyValues', attributes: ['airQualityLevel'], endpoint: { uri: RECEIVER } },
      });
      const events = await waitNotifications(id, 3);
      expect(events.map((event) => dataOf(event))).toEqual(
        [0, 1, 2].map(() => [{ id: entity, type: 'Building', airQualityLevel: 4 }]),
      );
      const times = events.map((event) => Date.parse((event.payload.body as Json)['notifiedAt'] as string));
      expect((times[2] as number) - (times[0] as number)).toBeGreaterThanOrEqual(1800);
      expect(events.every((event) => (event.payload.body as Json)['triggerReason'] === undefined)).toBe(true);
      // A change does not notify a periodic subscription in between.
      await updateAttrs(entity, { airQualityLevel: { type: 'Property', value: 9 } });
      const later = await waitNotifications(id, 4);
      expect(dataOf(later[3] as Requested)).toEqual([{ id: entity, type: 'Building', airQualityLevel: 9 }]);
      const { rows } = await db.query<{ next_notification_at: Date }>(
        'SELECT next_notification_at FROM subscription WHERE id = $1',
        [id],
      );
      expect(rows[0]?.next_notification_at.getTime()).toBeGreaterThan(Date.now() - 1000);
      expect((await broker.call('DELETE', `/ngsi-ld/v1/subscriptions/${id}`)).status).toBe(204);
    });

    it('follows a change another replica made (NOTIFY on the subscriptions channel), without waiting for the periodic reload', async () => {
      const entity = entityId('Building');
      await createEntity(building(entity));
      const id = await subscribe({
        entities: [{ type: 'Building', id: entity }],
        notification: { format: 'keyValues', attributes: ['airQualityLevel'], endpoint: { uri: RECEIVER } },
      });
      // What another replica's PATCH isActive=false does in the database.
      await db.query(
        `UPDATE subscription SET body = jsonb_set(body, '{isActive}', 'false'), is_active = false WHERE id = $1`,
        [id],
      );
      await db.query('SELECT pg_notify($1, $2)', ['ngsi_ld_subscriptions', JSON.stringify(['alpha', id])]);
      await eventually(async () => (await get(id)).body['status'] === 'paused');
      await new Promise((resolve) => setTimeout(resolve, 300));
      await updateAttrs(entity, { airQualityLevel: { type: 'Property', value: 1 } });
      await db.query(`UPDATE subscription SET body = body - 'isActive', is_active = true WHERE id = $1`, [
        id,
      ]);
      await db.query('SELECT pg_notify($1, $2)', ['ngsi_ld_subscriptions', JSON.stringify(['alpha', id])]);
      await new Promise((resolve) => setTimeout(resolve, 300));
      await updateAttrs(entity, { airQualityLevel: { type: 'Property', value: 2 } });
      const [event] = await waitNotifications(id);
      expect(dataOf(event as Requested)[0]?.['airQualityLevel']).toBe(2);
      expect(notifications(id)).toHaveLength(1);
    });

    it('shows the subscription’s owner only what data-access policies let it read', async () => {
      const [client, secret] = TEST_CLIENTS.cityDashboard;
      const dashboard = await broker.idp.token(client, secret);
      const publisher = new EventPublisher({
        kafka: createKafka({
          clientId: 'subscriptions-access',
          brokers: broker.kafka.bootstrapServers,
          logLevel: 'nothing',
        }),
      });
      await publisher.connect();
      try {
        const policyId = randomUUID();
        const policy = {
          policyId,
          tenant: 'alpha',
          version: 1,
          subject: { kind: 'client', id: client },
          actions: ['read', 'write'],
          resources: [{ kind: 'attribute', entityType: 'ParkingSpot', attributes: ['status'] }],
          purpose: 'parking guidance',
          updatedAt: new Date().toISOString(),
        };
        const event = createEvent('security.policy.changed.v2', {
          tenant: 'alpha',
          source: 'security',
          payload: {
            policyId,
            change: 'created',
            version: 1,
            policy: policy as never,
            changedAt: policy.updatedAt,
          },
        });
        await publisher.publish('security.policy.changed.v2', [event], { key: `alpha/${policyId}` });
        // Made before the subscription, so it is not notified: it only shows when the grant has arrived.
        const probe = entityId('ParkingSpot');
        expect(
          (
            await broker.call('POST', '/ngsi-ld/v1/entities', {
              body: { id: probe, type: 'ParkingSpot', status: { type: 'Property', value: 'free' } },
            })
          ).status,
        ).toBe(201);
        const id = subscriptionId();
        const asDashboard = (method: string, path: string, body?: unknown) =>
          fetch(`${broker.url}${path}`, {
            method,
            headers: { authorization: `Bearer ${dashboard}`, 'content-type': 'application/json' },
            ...(body !== undefined && { body: JSON.stringify(body) }),
          });
        const created = await asDashboard('POST', '/ngsi-ld/v1/subscriptions', {
          id,
          type: 'Subscription',
          entities: [{ type: 'ParkingSpot' }, { type: 'AirQualityObserved' }],
          notification: { format: 'keyValues', endpoint: { uri: RECEIVER } },
        });
        expect(created.status).toBe(201);
        await eventually(
          async () => (await asDashboard('GET', `/ngsi-ld/v1/entities/${probe}`)).status === 200,
          {
            what: 'the grant to reach the data service',
          },
        );
        const station = entityId('AirQualityObserved');
        const spot = entityId('ParkingSpot');
        expect(
          (
            await broker.call('POST', '/ngsi-ld/v1/entities', {
              body: { id: station, type: 'AirQualityObserved', no2: { type: 'Property', value: 40 } },
            })
          ).status,
        ).toBe(201);
        expect(
          (
            await broker.call('POST', '/ngsi-ld/v1/entities', {
              body: {
                id: spot,
                type: 'ParkingSpot',
                status: { type: 'Property', value: 'free' },
                name: { type: 'Property', value: 'PM-1' },
              },
            })
          ).status,
        ).toBe(201);
        const [notification] = await waitNotifications(id);
        expect(dataOf(notification as Requested)).toEqual([
          { id: spot, type: 'ParkingSpot', status: 'free' },
        ]);
        expect(notifications(id)).toHaveLength(1);
      } finally {
        await publisher.disconnect();
      }
    });

    it('groups one batch’s changes for a subscription into one notification', async () => {
      const entities = [entityId('Sensor'), entityId('Sensor'), entityId('Sensor')];
      const id = await subscribe({
        entities: entities.map((entity) => ({ type: 'Sensor', id: entity })),
        notification: { format: 'keyValues', endpoint: { uri: RECEIVER } },
      });
      const created = await broker.call('POST', '/ngsi-ld/v1/entityOperations/create', {
        body: entities.map((entity, i) => ({
          id: entity,
          type: 'Sensor',
          speed: { type: 'Property', value: i },
        })),
        headers: LINK,
      });
      expect(created.status).toBe(201);
      const [event] = await waitNotifications(id);
      expect(dataOf(event as Requested)).toEqual(
        entities.map((entity, i) => ({ id: entity, type: 'Sensor', speed: i })),
      );
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(notifications(id)).toHaveLength(1);
    });

    it('notifies each change of an entity changed twice in one batch, once per notification, the latest last', async () => {
      const entity = entityId('Sensor');
      const id = await subscribe({
        entities: [{ type: 'Sensor', id: entity }],
        notification: { format: 'keyValues', endpoint: { uri: RECEIVER } },
      });
      const upserted = await broker.call('POST', '/ngsi-ld/v1/entityOperations/upsert', {
        body: [1, 2].map((speed) => ({ id: entity, type: 'Sensor', speed: { type: 'Property', value: speed } })),
        headers: LINK,
      });
      expect(upserted.status).toBeLessThan(300);
      const events = await waitNotifications(id, 2);
      expect(events.map((event) => dataOf(event as Requested))).toEqual([
        [{ id: entity, type: 'Sensor', speed: 1 }],
        [{ id: entity, type: 'Sensor', speed: 2 }],
      ]);
    });
  });
});
