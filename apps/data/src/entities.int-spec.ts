import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type BrokerHarness, CORE_CONTEXT_URL, contextLink, entityId, startBroker } from './test-support/broker.test-helpers';

const NGSI = '/ngsi-ld/v1';
const ERRORS = 'https://uri.etsi.org/ngsi-ld/errors/';

describe('NGSI-LD entities (clauses 5.6, 5.7, 6.4 - 6.7)', () => {
  let broker: BrokerHarness;
  /** Serves @contexts: /slow never answers, /broken answers 500, /vocab.jsonld a context (counting fetches). */
  let contextServer: Server;
  let contextBase: string;
  let vocabFetches = 0;

  beforeAll(async () => {
    contextServer = createServer((request, response) => {
      if (request.url === '/slow') return; // never answers
      if (request.url === '/broken') return void response.writeHead(500).end('oops');
      if (request.url === '/huge') return void response.writeHead(200, { 'content-type': 'application/ld+json' }).end(JSON.stringify({ '@context': { pad: 'x'.repeat(5000) } }));
      vocabFetches++;
      response.writeHead(200, { 'content-type': 'application/ld+json' }).end(JSON.stringify({ '@context': { Lamp: 'https://lights.example/Lamp', lumen: 'https://lights.example/lumen' } }));
    });
    await new Promise<void>((resolve) => contextServer.listen(0, '127.0.0.1', resolve));
    contextBase = `http://127.0.0.1:${(contextServer.address() as AddressInfo).port}`;
    broker = await startBroker('data_entities', { NGSILD_CONTEXT_FETCH_TIMEOUT_MS: '1000', NGSILD_CONTEXT_MAX_BYTES: '4096', NGSILD_MAX_BODY_BYTES: '65536' });
  });
  afterAll(async () => {
    await broker?.stop();
    contextServer?.closeAllConnections();
    await new Promise((resolve) => contextServer?.close(resolve));
  });

  const create = (entity: Record<string, unknown>, headers: Record<string, string> = {}) =>
    broker.call('POST', `${NGSI}/entities`, { body: entity, headers });
  const retrieve = <T = Record<string, unknown>>(id: string, query = '', headers: Record<string, string> = {}) =>
    broker.call<T>('GET', `${NGSI}/entities/${encodeURIComponent(id)}${query}`, { headers });

  describe('create and retrieve', () => {
    it('creates an entity: 201 with its Location, then retrieves it with the core @context linked', async () => {
      const id = entityId('OffStreetParking');
      const created = await create({ id, type: 'OffStreetParking', availableSpotNumber: { type: 'Property', value: 121, observedAt: '2026-11-30T10:00:00Z' } });
      expect(created.status).toBe(201);
      expect(created.headers.get('location')).toBe(`${NGSI}/entities/${encodeURIComponent(id)}`);

      const read = await retrieve(id);
      expect(read.status).toBe(200);
      expect(read.headers.get('content-type')).toContain('application/json');
      expect(read.headers.get('link')).toBe(contextLink(CORE_CONTEXT_URL));
      expect(read.body).toEqual({
        id,
        type: 'OffStreetParking',
        availableSpotNumber: { type: 'Property', value: 121, observedAt: '2026-11-30T10:00:00Z' },
      });
    });

    it('answers 409 AlreadyExists for an id taken, and 404 ResourceNotFound for an unknown one', async () => {
      const id = entityId('Building');
      expect((await create({ id, type: 'Building' })).status).toBe(201);
      const again = await create({ id, type: 'Building' });
      expect(again.status).toBe(409);
      expect(again.headers.get('content-type')).toContain('application/json');
      expect(again.body).toMatchObject({ type: `${ERRORS}AlreadyExists`, title: expect.any(String), detail: expect.stringContaining(id) });
      const missing = await retrieve('urn:ngsi-ld:Building:nowhere');
      expect(missing.status).toBe(404);
      expect(missing.body).toMatchObject({ type: `${ERRORS}ResourceNotFound` });
    });

    it.each([
      ['an id that is not a URI', { id: 'not a uri', type: 'T' }],
      ['no id', { type: 'T' }],
      ['no type', { id: 'urn:ngsi-ld:T:1' }],
      ['a Property without value', { id: 'urn:ngsi-ld:T:2', type: 'T', a: { type: 'Property' } }],
      ['a Relationship whose object is no URI', { id: 'urn:ngsi-ld:T:3', type: 'T', r: { type: 'Relationship', object: 'x y' } }],
      ['an unknown attribute type', { id: 'urn:ngsi-ld:T:4', type: 'T', a: { type: 'Thing', value: 1 } }],
      ['an invalid geometry', { id: 'urn:ngsi-ld:T:5', type: 'T', location: { type: 'GeoProperty', value: { type: 'Point', coordinates: [200, 100] } } }],
      ['an open polygon', { id: 'urn:ngsi-ld:T:6', type: 'T', location: { type: 'GeoProperty', value: { type: 'Polygon', coordinates: [[[0, 0], [1, 0], [1, 1], [0, 1]]] } } }],
      ['an invalid observedAt', { id: 'urn:ngsi-ld:T:7', type: 'T', a: { type: 'Property', value: 1, observedAt: 'yesterday' } }],
      ['a forbidden character in a name', { id: 'urn:ngsi-ld:T:8', type: 'T', 'a(b)': 1 }],
      ['two instances with the same datasetId', { id: 'urn:ngsi-ld:T:9', type: 'T', a: [{ type: 'Property', value: 1, datasetId: 'urn:d:1' }, { type: 'Property', value: 2, datasetId: 'urn:d:1' }] }],
      ['an @context in a JSON body', { id: 'urn:ngsi-ld:T:10', type: 'T', '@context': CORE_CONTEXT_URL }],
    ])('refuses %s with 400 BadRequestData', async (_case, entity) => {
      const response = await create(entity);
      expect(response.status).toBe(400);
      expect(response.body).toMatchObject({ type: `${ERRORS}BadRequestData`, detail: expect.any(String) });
    });

    it('refuses malformed JSON (400), other media types (415), JSON-LD without @context (400), and unproducible Accept (406)', async () => {
      const malformed = await broker.call('POST', `${NGSI}/entities`, { raw: '{"id": "urn:a:1", ', headers: { 'content-type': 'application/json' } });
      expect(malformed.status).toBe(400);
      expect(malformed.body).toMatchObject({ type: `${ERRORS}InvalidRequest` });
      const text = await broker.call('POST', `${NGSI}/entities`, { raw: 'id=1', headers: { 'content-type': 'text/plain' } });
      expect(text.status).toBe(415);
      const noContext = await create({ id: entityId('T'), type: 'T' }, { 'content-type': 'application/ld+json' });
      expect(noContext.status).toBe(400);
      const id = entityId('T');
      await create({ id, type: 'T' });
      expect((await retrieve(id, '', { accept: 'text/html' })).status).toBe(406);
    });

    it('takes a trailing slash and long entity ids', async () => {
      const id = `urn:ngsi-ld:Thing:${'x'.repeat(300)}`;
      expect((await broker.call('POST', `${NGSI}/entities/`, { body: { id, type: 'Thing' } })).status).toBe(201);
      expect((await retrieve(id)).status).toBe(200);
    });

    it('answers JSON-LD with the @context in the body and no Link header', async () => {
      const id = entityId('Vehicle');
      await create({ id, type: 'Vehicle', speed: 80 });
      const read = await retrieve(id, '', { accept: 'application/ld+json' });
      expect(read.headers.get('content-type')).toContain('application/ld+json');
      expect(read.headers.get('link')).toBeNull();
      expect(read.body).toEqual({ id, type: 'Vehicle', speed: { type: 'Property', value: 80 }, '@context': CORE_CONTEXT_URL });
    });

    it('keeps every attribute type, sub-attributes and dataset instances, in normalized, concise and keyValues', async () => {
      const id = entityId('Streetlight');
      const entity = {
        id,
        type: 'Streetlight',
        status: { type: 'Property', value: 'ok', observedAt: '2026-11-30T10:00:00Z', reliability: { type: 'Property', value: 0.9 } },
        power: { type: 'Property', value: 35.5, unitCode: 'WTT' },
        location: { type: 'GeoProperty', value: { type: 'Point', coordinates: [-3.7, 40.4] } },
        refStreet: { type: 'Relationship', object: 'urn:ngsi-ld:Street:gran-via', objectType: 'Street' },
        name: { type: 'LanguageProperty', languageMap: { en: 'Lamp 7', es: 'Farola 7' } },
        dimSchedule: { type: 'ListProperty', valueList: [100, 50, 0] },
        neighbours: { type: 'ListRelationship', objectList: ['urn:ngsi-ld:Streetlight:6', 'urn:ngsi-ld:Streetlight:8'] },
        config: { type: 'JsonProperty', json: { '@id': 'not expanded', nested: [1, { a: null }] } },
        category: { type: 'VocabProperty', vocab: 'lamp' },
        temperature: [
          { type: 'Property', value: 21, datasetId: 'urn:ngsi-ld:Dataset:sensor-a' },
          { type: 'Property', value: 22 },
        ],
      };
      expect((await create(entity)).status).toBe(201);
      const normalized = await retrieve(id);
      expect(normalized.body).toEqual(entity);

      const concise = await retrieve(id, '?options=concise');
      expect(concise.body).toMatchObject({
        id,
        type: 'Streetlight',
        status: { value: 'ok', observedAt: '2026-11-30T10:00:00Z', reliability: 0.9 },
        power: { value: 35.5, unitCode: 'WTT' },
        refStreet: { object: 'urn:ngsi-ld:Street:gran-via', objectType: 'Street' },
        name: { languageMap: { en: 'Lamp 7', es: 'Farola 7' } },
        dimSchedule: { valueList: [100, 50, 0] },
        category: { vocab: 'lamp' },
      });

      const keyValues = await retrieve(id, '?options=keyValues');
      expect(keyValues.body).toMatchObject({
        id,
        type: 'Streetlight',
        status: 'ok',
        power: 35.5,
        location: { type: 'Point', coordinates: [-3.7, 40.4] },
        refStreet: 'urn:ngsi-ld:Street:gran-via',
        dimSchedule: [100, 50, 0],
        config: entity.config.json,
        category: 'lamp',
      });

      const spanish = await retrieve(id, '?lang=es&attrs=name');
      expect(spanish.body).toEqual({ id, type: 'Streetlight', name: { type: 'Property', value: 'Farola 7', lang: 'es' } });
    });

    it('round-trips a concise entity into the normalized form', async () => {
      const id = entityId('WeatherObserved');
      await create({ id, type: 'WeatherObserved', temperature: 12.5, location: { type: 'Point', coordinates: [2.17, 41.38] }, source: { object: 'urn:ngsi-ld:Station:1' } });
      expect((await retrieve(id)).body).toEqual({
        id,
        type: 'WeatherObserved',
        temperature: { type: 'Property', value: 12.5 },
        location: { type: 'GeoProperty', value: { type: 'Point', coordinates: [2.17, 41.38] } },
        source: { type: 'Relationship', object: 'urn:ngsi-ld:Station:1' },
      });
    });

    it('shows createdAt and modifiedAt with options=sysAttrs, and projects with attrs, pick and omit', async () => {
      const id = entityId('Room');
      await create({ id, type: 'Room', temperature: 20, humidity: 40, scope: '/Madrid/Centro' });
      const sys = await retrieve<Record<string, { createdAt?: string }>>(id, '?options=sysAttrs');
      expect(sys.body).toMatchObject({ createdAt: expect.stringMatching(/Z$/), modifiedAt: expect.stringMatching(/Z$/) });
      expect(sys.body['temperature']?.createdAt).toEqual(expect.stringMatching(/Z$/));
      expect((await retrieve(id, '?attrs=temperature')).body).toEqual({ id, type: 'Room', temperature: { type: 'Property', value: 20 } });
      expect((await retrieve(id, '?pick=id,humidity')).body).toEqual({ id, humidity: { type: 'Property', value: 40 } });
      expect((await retrieve(id, '?omit=type,temperature')).body).toEqual({ id, scope: '/Madrid/Centro', humidity: { type: 'Property', value: 40 } });
      expect((await retrieve(id, '?pick=id&omit=type')).status).toBe(400);
      expect((await retrieve(id, '?attrs=pressure')).status).toBe(404);
    });
  });

  describe('attributes', () => {
    const attrs = (id: string) => `${NGSI}/entities/${encodeURIComponent(id)}/attrs`;

    it('appends attributes (204), and with noOverwrite reports the existing ones (207)', async () => {
      const id = entityId('Sensor');
      await create({ id, type: 'Sensor', a: 1 });
      expect((await broker.call('POST', attrs(id), { body: { b: { type: 'Property', value: 2 } } })).status).toBe(204);
      const kept = await broker.call('POST', `${attrs(id)}?options=noOverwrite`, { body: { a: 10, c: 3 } });
      expect(kept.status).toBe(207);
      expect(kept.body).toEqual({ updated: ['c'], notUpdated: [{ attributeName: 'a', reason: expect.any(String) }] });
      expect((await retrieve(id, '?options=keyValues')).body).toEqual({ id, type: 'Sensor', a: 1, b: 2, c: 3 });
      expect((await broker.call('POST', attrs('urn:ngsi-ld:Sensor:none'), { body: { a: 1 } })).status).toBe(404);
    });

    it('updates attributes it has (204) and reports the others (207)', async () => {
      const id = entityId('Sensor');
      await create({ id, type: 'Sensor', a: 1, b: 2 });
      expect((await broker.call('PATCH', attrs(id), { body: { a: { type: 'Property', value: 5 } } })).status).toBe(204);
      const partly = await broker.call('PATCH', attrs(id), { body: { b: 6, z: 0 } });
      expect(partly.status).toBe(207);
      expect(partly.body).toEqual({ updated: ['b'], notUpdated: [{ attributeName: 'z', reason: expect.any(String) }] });
      expect((await retrieve(id, '?options=keyValues')).body).toEqual({ id, type: 'Sensor', a: 5, b: 6 });
    });

    it('updates part of an attribute, replaces one, and deletes instances (datasetId, deleteAll)', async () => {
      const id = entityId('Sensor');
      await create({
        id,
        type: 'Sensor',
        level: { type: 'Property', value: 1, unitCode: 'MTR', accuracy: { type: 'Property', value: 0.1 } },
        reading: [{ type: 'Property', value: 1, datasetId: 'urn:d:a' }, { type: 'Property', value: 2, datasetId: 'urn:d:b' }, { type: 'Property', value: 3 }],
      });
      const one = (attr: string) => `${attrs(id)}/${attr}`;
      expect((await broker.call('PATCH', one('level'), { body: { value: 2 } })).status).toBe(204);
      expect((await retrieve(id, '?attrs=level')).body).toEqual({
        id,
        type: 'Sensor',
        level: { type: 'Property', value: 2, unitCode: 'MTR', accuracy: { type: 'Property', value: 0.1 } },
      });
      expect((await broker.call('PUT', one('level'), { body: { type: 'Property', value: 9 } })).status).toBe(204);
      expect((await retrieve(id, '?attrs=level')).body).toEqual({ id, type: 'Sensor', level: { type: 'Property', value: 9 } });
      expect((await broker.call('PATCH', one('missing'), { body: { value: 1 } })).status).toBe(404);
      expect((await broker.call('PUT', one('missing'), { body: { value: 1 } })).status).toBe(404);

      expect((await broker.call('DELETE', `${one('reading')}?datasetId=urn:d:a`)).status).toBe(204);
      expect((await broker.call('DELETE', `${one('reading')}?datasetId=urn:d:a`)).status).toBe(404);
      expect((await broker.call('DELETE', one('reading'))).status).toBe(204);
      expect((await retrieve(id, '?attrs=reading')).body).toEqual({ id, type: 'Sensor', reading: { type: 'Property', value: 2, datasetId: 'urn:d:b' } });
      expect((await broker.call('DELETE', `${one('reading')}?deleteAll=true`)).status).toBe(204);
      expect((await broker.call('DELETE', one('reading'))).status).toBe(404);
    });

    it('replaces an entity (PUT), merges one (PATCH, null deletes), and deletes it', async () => {
      const id = entityId('Parking');
      const url = `${NGSI}/entities/${encodeURIComponent(id)}`;
      await create({ id, type: 'Parking', free: 3, total: 10, note: 'x' });
      expect((await broker.call('PUT', url, { body: { type: 'Parking', free: 4 } })).status).toBe(204);
      expect((await retrieve(id, '?options=keyValues')).body).toEqual({ id, type: 'Parking', free: 4 });
      expect((await broker.call('PATCH', url, { body: { free: { value: 5, observedAt: '2026-11-30T12:00:00Z' }, total: 10, free2: null } })).status).toBe(204);
      expect((await broker.call('PATCH', url, { body: { total: 'urn:ngsi-ld:null' } })).status).toBe(204);
      expect((await retrieve(id)).body).toEqual({ id, type: 'Parking', free: { type: 'Property', value: 5, observedAt: '2026-11-30T12:00:00Z' } });
      expect((await broker.call('PUT', url, { body: { id: 'urn:ngsi-ld:Parking:other', type: 'Parking' } })).status).toBe(400);
      expect((await broker.call('DELETE', url)).status).toBe(204);
      expect((await broker.call('DELETE', url)).status).toBe(404);
      expect((await retrieve(id)).status).toBe(404);
    });
  });

  describe('@context', () => {
    it('expands with a linked @context, so clients with other contexts see full IRIs', async () => {
      const hosted = await broker.call('POST', `${NGSI}/jsonldContexts`, {
        body: { '@context': { Parking: 'https://city.example/vocab#Parking', free: 'https://city.example/vocab#freeSpots' } },
      });
      expect(hosted.status).toBe(201);
      const location = hosted.headers.get('location') as string;
      expect(location).toMatch(/^\/ngsi-ld\/v1\/jsonldContexts\/.+/);
      const contextUrl = `${broker.url}${location}`;
      const served = await broker.call('GET', location);
      expect(served.body).toEqual({ '@context': { Parking: 'https://city.example/vocab#Parking', free: 'https://city.example/vocab#freeSpots' } });

      const id = entityId('Parking');
      expect((await create({ id, type: 'Parking', free: 7 }, { link: contextLink(contextUrl) })).status).toBe(201);
      const withContext = await retrieve(id, '', { link: contextLink(contextUrl) });
      expect(withContext.body).toEqual({ id, type: 'Parking', free: { type: 'Property', value: 7 } });
      expect(withContext.headers.get('link')).toBe(contextLink(contextUrl));
      expect((await retrieve(id)).body).toEqual({
        id,
        type: 'https://city.example/vocab#Parking',
        'https://city.example/vocab#freeSpots': { type: 'Property', value: 7 },
      });
      const byType = await broker.call<unknown[]>('GET', `${NGSI}/entities?type=${encodeURIComponent('https://city.example/vocab#Parking')}`);
      expect(byType.body.map((entity) => (entity as { id: string }).id)).toContain(id);
    });

    it('takes the @context of a JSON-LD body, and links a document it creates for an inline context', async () => {
      const id = entityId('Tree');
      const context = [{ height: 'https://trees.example/height' }, CORE_CONTEXT_URL];
      expect((await create({ id, type: 'Tree', height: 12, '@context': context }, { 'content-type': 'application/ld+json' })).status).toBe(201);
      const query = await broker.call<Record<string, unknown>[]>('POST', `${NGSI}/entityOperations/query`, {
        body: { type: 'Query', entities: [{ id, type: 'Tree' }], '@context': context },
        headers: { 'content-type': 'application/ld+json' },
      });
      expect(query.status).toBe(200);
      expect(query.body).toEqual([{ id, type: 'Tree', height: { type: 'Property', value: 12 } }]);
      const link = query.headers.get('link') as string;
      const url = /^<([^>]+)>/.exec(link)?.[1] as string;
      expect(url).toContain('/ngsi-ld/v1/jsonldContexts/');
      const linked = await retrieve(id, '', { link: contextLink(url) });
      expect(linked.body).toEqual({ id, type: 'Tree', height: { type: 'Property', value: 12 } });
    });

    it('answers 503 LdContextNotAvailable for a context it cannot fetch, without hanging', async () => {
      const started = Date.now();
      const unreachable = await create({ id: entityId('T'), type: 'T' }, { link: contextLink('http://127.0.0.1:9/missing.jsonld') });
      expect(unreachable.status).toBe(503);
      expect(unreachable.body).toMatchObject({ type: `${ERRORS}LdContextNotAvailable` });
      expect(Date.now() - started).toBeLessThan(10_000);
      expect((await create({ id: entityId('T'), type: 'T' }, { link: '<not-a-url>; rel="http://www.w3.org/ns/json-ld#context"' })).status).toBe(400);
    });

    it('fetches a remote @context once and caches it; a slow, failing or oversized one is 503 within the time limit', async () => {
      const url = `${contextBase}/vocab.jsonld`;
      const id = entityId('Lamp');
      expect((await create({ id, type: 'Lamp', lumen: 800 }, { link: contextLink(url) })).status).toBe(201);
      expect((await retrieve(id, '', { link: contextLink(url) })).body).toEqual({ id, type: 'Lamp', lumen: { type: 'Property', value: 800 } });
      expect((await retrieve(id)).body).toMatchObject({ type: 'https://lights.example/Lamp' });
      expect(vocabFetches).toBe(1);
      const cached = await broker.call<{ URL: string; kind: string }[]>('GET', `${NGSI}/jsonldContexts?details=true&kind=Cached`);
      expect(cached.body).toEqual(expect.arrayContaining([expect.objectContaining({ URL: url, kind: 'Cached' })]));
      for (const path of ['/slow', '/broken', '/huge']) {
        const started = Date.now();
        const response = await create({ id: entityId('T'), type: 'T' }, { link: contextLink(`${contextBase}${path}`) });
        expect([path, response.status]).toEqual([path, 503]);
        expect(response.body).toMatchObject({ type: `${ERRORS}LdContextNotAvailable` });
        expect(Date.now() - started).toBeLessThan(5_000);
      }
    });

    it('lists, details and deletes hosted @contexts; the core context cannot be deleted', async () => {
      const hosted = await broker.call('POST', `${NGSI}/jsonldContexts`, { body: { '@context': { x: 'https://x.example/x' } } });
      const id = (hosted.headers.get('location') as string).split('/').pop() as string;
      const list = await broker.call<string[]>('GET', `${NGSI}/jsonldContexts`);
      expect(list.body).toEqual(expect.arrayContaining([CORE_CONTEXT_URL, expect.stringContaining(id)]));
      const details = await broker.call<Record<string, unknown>>('GET', `${NGSI}/jsonldContexts/${id}?details=true`);
      expect(details.body).toMatchObject({ localId: id, kind: 'Hosted', URL: expect.stringContaining(id) });
      expect((await broker.call('DELETE', `${NGSI}/jsonldContexts/core`, { user: 'tenantAdmin' })).status).toBe(400);
      expect((await broker.call('DELETE', `${NGSI}/jsonldContexts/${id}`, { user: 'tenantAdmin' })).status).toBe(204);
      expect((await broker.call('GET', `${NGSI}/jsonldContexts/${id}`)).status).toBe(404);
      expect((await broker.call('POST', `${NGSI}/jsonldContexts`, { body: { '@context': 'https://x.example/ctx.jsonld' } })).status).toBe(400);
    });
  });

  describe('tenants', () => {
    it('creates a tenant on its first write, keeps data apart, and answers 404 NonexistentTenant for an unknown one', async () => {
      const tenant = `t${Date.now().toString(36)}`;
      const id = entityId('Bin');
      const written = await broker.call('POST', `${NGSI}/entities`, { user: 'platformAdmin', headers: { 'NGSILD-Tenant': tenant }, body: { id, type: 'Bin', fill: 0.5 } });
      expect(written.status).toBe(201);
      const read = await broker.call('GET', `${NGSI}/entities/${id}`, { user: 'platformAdmin', headers: { 'NGSILD-Tenant': tenant } });
      expect(read.status).toBe(200);
      expect((await broker.call('GET', `${NGSI}/entities/${id}`, { user: 'platformAdmin' })).status).toBe(404);
      const unknown = await broker.call('GET', `${NGSI}/entities?type=Bin`, { user: 'platformAdmin', headers: { 'NGSILD-Tenant': 'nobody-here' } });
      expect(unknown.status).toBe(404);
      expect(unknown.body).toMatchObject({ type: `${ERRORS}NonexistentTenant` });
      const foreign = await broker.call('GET', `${NGSI}/entities/${id}`, { user: 'integrator', headers: { 'NGSILD-Tenant': tenant } });
      expect(foreign.status).toBe(403);
    });

    it('refuses conflicting tenant headers and oversized bodies', async () => {
      const conflict = await broker.call('GET', `${NGSI}/entities?type=T`, { user: 'platformAdmin', headers: { 'NGSILD-Tenant': 'a', 'X-Urbis-Tenant': 'b' } });
      expect(conflict.status).toBe(400);
      const huge = await create({ id: entityId('T'), type: 'T', blob: 'x'.repeat(70_000) });
      expect(huge.status).toBe(413);
      expect(huge.body).toMatchObject({ type: `${ERRORS}BadRequestData` });
    });

    it('refuses callers without a token (401) and auditors who write (403)', async () => {
      expect((await broker.call('GET', `${NGSI}/entities?type=T`, { user: null })).status).toBe(401);
      expect((await broker.call('POST', `${NGSI}/entities`, { user: 'auditor', body: { id: entityId('T'), type: 'T' } })).status).toBe(403);
      expect((await broker.call('GET', `${NGSI}/entities?type=T`, { user: 'auditor' })).status).toBe(200);
    });
  });
});
