import { createEvent, type EventOf } from '@urbis/contracts';
import { createKafka, EventPublisher } from '@urbis/messaging';
import { eventually, TopicReader } from '@urbis/testing';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { CITY_ENTITIES } from './__fixtures__/city-entities';
import { type BrokerHarness, contextLink, entityId, startBroker } from './test-support/broker.test-helpers';

// ngsijs ships no types; it is used exactly as an integrator would, through its documented API.
const NGSI = require('ngsijs') as { Connection: new (url: string, options: { headers: Record<string, string> }) => NgsiConnection };
interface NgsiConnection {
  ld: {
    createEntity(entity: object, options?: object): Promise<unknown>;
    getEntity(options: { id: string; keyValues?: boolean }): Promise<{ entity: Record<string, unknown> }>;
    queryEntities(options: { type: string; count?: boolean; keyValues?: boolean }): Promise<{ results: Record<string, unknown>[]; count?: number }>;
    deleteEntity(options: { id: string }): Promise<unknown>;
  };
}

const SHARED_EXAMPLES = path.resolve(__dirname, '../../../../shared/ngsi-ld/smart-data-models');
const CORE = 'https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context.jsonld';

type Example = Record<string, unknown> & { '@context': string[] };

/** Our own fixtures, and the Smart Data Models examples when ../shared is present. */
function examples(): Example[] {
  const own = CITY_ENTITIES as Example[];
  if (!existsSync(SHARED_EXAMPLES)) return own;
  const shared = readdirSync(SHARED_EXAMPLES)
    .map((dir) => path.join(SHARED_EXAMPLES, dir, 'example-normalized.jsonld'))
    .filter((file) => existsSync(file))
    .map((file) => JSON.parse(readFileSync(file, 'utf8')) as Example);
  return [...own, ...shared];
}

/**
 * A preloaded context directory standing in for each remote Smart Data Models @context: every
 * term the examples use, mapped into a vocabulary of its own (as the real contexts do).
 */
function preloadedContexts(all: Example[]): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'urbis-contexts-'));
  const urls: Record<string, string> = {};
  const terms = new Map<string, Set<string>>();
  for (const example of all) {
    for (const url of example['@context'].filter((item) => item !== CORE)) {
      const names = terms.get(url) ?? new Set<string>();
      names.add(example['type'] as string);
      for (const [name, value] of Object.entries(example)) {
        if (name === 'id' || name === 'type' || name === '@context') continue;
        names.add(name);
        for (const sub of Object.keys(value as object)) if (!['type', 'value', 'object', 'observedAt', 'unitCode'].includes(sub)) names.add(sub);
      }
      terms.set(url, names);
    }
  }
  [...terms].forEach(([url, names], i) => {
    const vocabulary = `https://smartdatamodels.example/${i}/`;
    writeFileSync(path.join(dir, `${i}.jsonld`), JSON.stringify({ '@context': Object.fromEntries([...names].map((name) => [name, `${vocabulary}${name}`])) }));
    urls[url] = `${i}.jsonld`;
  });
  writeFileSync(path.join(dir, 'urls.json'), JSON.stringify(urls));
  return dir;
}

describe('interoperability and the observation ingest path', () => {
  const all = examples();
  let broker: BrokerHarness;
  let publisher: EventPublisher;
  let reader: TopicReader;

  beforeAll(async () => {
    // Anonymous NGSI-LD access, as a conformance suite without tokens needs it (never in production).
    broker = await startBroker('data_interop', { NGSILD_CONTEXTS_DIR: preloadedContexts(all), AUTH_ANONYMOUS_PATH_PREFIX: '/ngsi-ld/' });
    publisher = new EventPublisher({ kafka: createKafka({ clientId: 'interop-test', brokers: broker.kafka.bootstrapServers, logLevel: 'nothing' }) });
    await publisher.connect();
    reader = await new TopicReader(broker.kafka.bootstrapServers, ['data.entity.changed.v1', 'devices.observation.decoded.v1.dlq']).start();
  });
  afterAll(async () => {
    await reader?.stop();
    await publisher?.disconnect();
    await broker?.stop();
  });

  it('serves the FIWARE ngsijs client: create, get, query and delete', async () => {
    const connection = new NGSI.Connection(broker.url, { headers: { Authorization: `Bearer ${await broker.token('operator')}` } });
    const id = entityId('Road');
    await connection.ld.createEntity({ id, type: 'Road', name: { type: 'Property', value: 'Gran Via' }, '@context': CORE });
    const { entity } = await connection.ld.getEntity({ id });
    expect(entity).toMatchObject({ id, type: 'Road', name: { type: 'Property', value: 'Gran Via' } });
    const found = await connection.ld.queryEntities({ type: 'Road', count: true, keyValues: true });
    expect(found.results).toEqual(expect.arrayContaining([expect.objectContaining({ id, name: 'Gran Via' })]));
    expect(found.count).toBeGreaterThanOrEqual(1);
    await connection.ld.deleteEntity({ id });
    await expect(connection.ld.getEntity({ id })).rejects.toBeDefined();
  });

  it('serves a client without a token on NGSI-LD routes when anonymous access is configured, and nothing else', async () => {
    const id = entityId('Conformance');
    const anonymous = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
      fetch(`${broker.url}${path}`, { method, headers: { 'content-type': 'application/json', ...headers }, ...(body !== undefined && { body: JSON.stringify(body) }) });
    expect((await anonymous('POST', '/ngsi-ld/v1/entities/', { id, type: 'Conformance' }, { 'NGSILD-Tenant': 'etsi' })).status).toBe(201);
    expect((await anonymous('GET', `/ngsi-ld/v1/entities/${id}`, undefined, { 'NGSILD-Tenant': 'etsi' })).status).toBe(200);
    expect((await anonymous('GET', '/data/v1/retention-policies')).status).toBe(401);
    expect((await anonymous('GET', `/ngsi-ld/v1/entities/${id}`, undefined, { authorization: 'Bearer not-a-token' })).status).toBe(401);
  });

  it.each(all.map((example) => [example['type'] as string, example]))('round-trips %s (Smart Data Models) through create and retrieve unchanged', async (_type, example) => {
    const created = await broker.call('POST', '/ngsi-ld/v1/entities', { body: example, headers: { 'content-type': 'application/ld+json' } });
    expect([created.status, created.text]).toEqual([201, '']);
    const contexts = example['@context'].filter((url) => url !== CORE);
    const read = await broker.call<Example>('GET', `/ngsi-ld/v1/entities/${encodeURIComponent(example['id'] as string)}`, {
      headers: { accept: 'application/ld+json', link: contextLink(contexts[0] as string) },
    });
    expect(read.status).toBe(200);
    const { '@context': _sent, ...sent } = example;
    const { '@context': _received, ...received } = read.body;
    expect(received).toEqual(sent);
  });

  describe('observations from devices', () => {
    const observation = (tenant: string, deviceId: string, entity: string, value: number, extra: Partial<EventOf<'devices.observation.decoded.v1'>['payload']> = {}) =>
      createEvent('devices.observation.decoded.v1', {
        tenant,
        source: 'devices',
        payload: {
          deviceId,
          entity: { id: entity, type: 'AirQualityObserved' },
          observedAt: new Date().toISOString(),
          attributes: [
            { name: 'no2', type: 'Property', value, unitCode: 'GQ' },
            { name: 'location', type: 'GeoProperty', value: { type: 'Point', coordinates: [-3.7, 40.4] } },
          ],
          ...extra,
        },
      });

    it('upserts current state and history once per event, and publishes data.entity.changed.v1 per reading, also within one batch', async () => {
      const id = entityId('AirQualityObserved');
      const first = observation('alpha', 'aq-1', id, 30);
      const second = observation('alpha', 'aq-1', id, 31);
      // One produce request: one consumer batch holds the duplicate and both readings of the entity,
      // and each reading is still a change of its own (its event, its history instance).
      await publisher.publish('devices.observation.decoded.v1', [first, first, second], { key: `alpha/${id}` });
      await eventually(async () => {
        const read = await broker.call<Record<string, unknown>>('GET', `/ngsi-ld/v1/entities/${id}?options=keyValues`);
        return read.status === 200 && read.body['no2'] === 31;
      }, { what: 'the second observation to be current' });
      const near = await broker.call<unknown[]>('GET', `/ngsi-ld/v1/entities?type=AirQualityObserved&georel=${encodeURIComponent('near;maxDistance==10')}&geometry=Point&coordinates=[-3.7,40.4]`);
      expect(near.body.map((entity) => (entity as { id: string }).id)).toContain(id);

      const db = new Client({ connectionString: broker.database.url });
      await db.connect();
      try {
        const history = await db.query<{ value: number }>(
          `SELECT (instance->>'value')::float AS value FROM attribute_instance WHERE entity_id = $1 AND attr = 'https://uri.etsi.org/ngsi-ld/default-context/no2' ORDER BY ts`,
          [id],
        );
        expect(history.rows.map((row) => row.value)).toEqual([30, 31]);
      } finally {
        await db.end();
      }
      const changed = await reader.waitFor((message) => message.topic === 'data.entity.changed.v1' && (message.value['payload'] as { entityId: string }).entityId === id, 2);
      expect(changed.map((message) => (message.value['payload'] as { change: string }).change)).toEqual(['created', 'updated']);
      expect(changed[0]?.key).toBe(`alpha/${id}`);
    });

    it('dead-letters an observation it cannot store, with the reason, and carries on', async () => {
      const bad = observation('alpha', 'aq-2', entityId('AirQualityObserved'), 1, {
        attributes: [{ name: 'location', type: 'GeoProperty', value: { type: 'Point', coordinates: [500, 500] } }],
      });
      const good = observation('alpha', 'aq-3', entityId('AirQualityObserved'), 2);
      await publisher.publish('devices.observation.decoded.v1', [bad, good], { key: 'alpha/aq' });
      const [dead] = await reader.waitFor((message) => message.topic === 'devices.observation.decoded.v1.dlq' && message.value['id'] === bad.id);
      expect(Object.values(dead?.headers ?? {}).join(' ')).toMatch(/geometry|longitude|position/i);
      await eventually(async () => (await broker.call('GET', `/ngsi-ld/v1/entities/${good.payload.entity.id}`)).status === 200, { what: 'the good observation' });
    });
  });
});
