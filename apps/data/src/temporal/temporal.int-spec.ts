import { createEvent } from '@urbis/contracts';
import { createKafka, EventPublisher } from '@urbis/messaging';
import { eventually, TEST_CLIENTS, until } from '@urbis/testing';
import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import type { DataConfig } from '../config';
import { type BrokerHarness, CONTEXT_LINK_REL, entityId, startBroker } from '../test-support/broker.test-helpers';
import { HistoryPartitions, partitionName } from './history-partitions';

const NGSI = '/ngsi-ld/v1';
const ERRORS = 'https://uri.etsi.org/ngsi-ld/errors/';
const MAX_INSTANCES = 5;
/** Instances in one response: more series than 8 share it out (fewer per attribute). */
const MAX_RESPONSE_INSTANCES = 40;

type Instance = { type: string; value?: unknown; object?: unknown; observedAt?: string; instanceId: string; datasetId?: string; createdAt?: string; modifiedAt?: string; deletedAt?: string };
type TemporalEntity = { id: string; type: string; [attribute: string]: unknown };

const at = (minute: number) => new Date(Date.UTC(2026, 10, 30, 10, minute)).toISOString().replace('.000Z', 'Z');
const speed = (value: number, minute: number, extra: Record<string, unknown> = {}) => ({ type: 'Property', value, observedAt: at(minute), ...extra });

/** Population statistics as PostgreSQL's stddev_samp computes them. */
function stats(values: number[]) {
  const sum = values.reduce((a, b) => a + b, 0);
  const avg = sum / values.length;
  const stddev = values.length > 1 ? Math.sqrt(values.reduce((a, b) => a + (b - avg) ** 2, 0) / (values.length - 1)) : null;
  return { totalCount: values.length, distinctCount: new Set(values).size, sum, avg, min: Math.min(...values), max: Math.max(...values), stddev, sumsq: values.reduce((a, b) => a + b * b, 0) };
}

describe('NGSI-LD temporal API (clauses 5.6.11 - 5.6.18, 5.7.3, 5.7.4, 6.18 - 6.24)', () => {
  let broker: BrokerHarness;
  let db: Pool;
  const run = Date.now().toString(36);
  const type = `Vehicle${run}`;

  const call = <T = TemporalEntity>(method: string, path: string, options: Parameters<BrokerHarness['call']>[2] = {}) => broker.call<T>(method, `${NGSI}${path}`, options);
  const retrieve = (id: string, query = '') => call<TemporalEntity>('GET', `/temporal/entities/${encodeURIComponent(id)}${query ? `?${query}` : ''}`);
  const create = (body: object) => call('POST', '/temporal/entities', { body });
  const values = (instances: unknown) => (instances as Instance[]).map((instance) => instance.value);
  const problem = (response: { status: number; body: unknown }, status: number, kind = 'BadRequestData') => {
    expect([response.status, (response.body as { type: string }).type]).toEqual([status, `${ERRORS}${kind}`]);
    return (response.body as { detail: string }).detail;
  };

  beforeAll(async () => {
    broker = await startBroker('data_temporal', { NGSILD_TEMPORAL_MAX_INSTANCES: String(MAX_INSTANCES), NGSILD_TEMPORAL_MAX_RESPONSE_INSTANCES: String(MAX_RESPONSE_INSTANCES) });
    db = new Pool({ connectionString: broker.database.url, max: 2 });
  });
  afterAll(async () => {
    await db?.end();
    await broker?.stop();
  });

  describe('create, retrieve and the normalized temporal representation (4.5.9)', () => {
    const id = entityId(type);

    beforeAll(async () => {
      const created = await create({ id, type, speed: [speed(50, 0), speed(52, 10), speed(48, 20)], fuel: speed(80, 5) });
      expect([created.status, created.headers.get('location')]).toEqual([201, `${NGSI}/temporal/entities/${encodeURIComponent(id)}`]);
    });

    it('answers the instances in time order, each with its instanceId, and links the @context', async () => {
      const read = await retrieve(id);
      expect(read.status).toBe(200);
      expect(read.headers.get('link')).toContain(CONTEXT_LINK_REL);
      expect(read.body).toMatchObject({ id, type });
      const instances = read.body['speed'] as Instance[];
      expect(instances.map((instance) => [instance.type, instance.value, instance.observedAt])).toEqual([
        ['Property', 50, at(0)],
        ['Property', 52, at(10)],
        ['Property', 48, at(20)],
      ]);
      expect(new Set(instances.map((instance) => instance.instanceId)).size).toBe(3);
      for (const instance of instances) expect(instance.instanceId).toMatch(/^urn:ngsi-ld:attribute:instance:[0-9a-f-]{36}$/);
      expect(values(read.body['fuel'])).toEqual([80]);
      expect(instances[0]).not.toHaveProperty('createdAt');
    });

    it('adds createdAt and modifiedAt with options=sysAttrs, and answers JSON-LD with the @context in the body', async () => {
      const read = await call<TemporalEntity>('GET', `/temporal/entities/${id}?options=sysAttrs`, { headers: { accept: 'application/ld+json' } });
      expect(read.headers.get('content-type')).toContain('application/ld+json');
      expect(read.body['@context']).toBeDefined();
      expect(read.body).toHaveProperty('createdAt');
      expect((read.body['speed'] as Instance[])[0]).toEqual(expect.objectContaining({ createdAt: expect.any(String), modifiedAt: expect.any(String) }));
    });

    it('a second POST of the same entity adds instances: 204', async () => {
      const again = await create({ id, type, speed: speed(51, 30) });
      expect([again.status, again.text]).toEqual([204, '']);
      expect(values((await retrieve(id)).body['speed'])).toEqual([50, 52, 48, 51]);
      await call('DELETE', `/temporal/entities/${id}/attrs/speed/${((await retrieve(id)).body['speed'] as Instance[])[3]?.instanceId}`);
    });

    it.each([
      ['timerel=before&timeAt=' + at(10), [50]],
      ['timerel=after&timeAt=' + at(10), [52, 48]],
      ['timerel=between&timeAt=' + at(5) + '&endTimeAt=' + at(20), [52]],
      ['lastN=2', [52, 48]],
      ['timerel=before&timeAt=' + at(30) + '&lastN=1', [48]],
      ['attrs=fuel', undefined],
    ])('selects instances by time: %s', async (query, expected) => {
      const read = await retrieve(id, query);
      expect(read.status).toBe(200);
      if (expected) expect(values(read.body['speed'])).toEqual(expected);
      else expect(Object.keys(read.body).sort()).toEqual(['fuel', 'id', 'type']);
    });

    it('selects by createdAt and modifiedAt (when the broker wrote the instances)', async () => {
      const read = await retrieve(id, `timeproperty=modifiedAt&timerel=after&timeAt=${encodeURIComponent(new Date(Date.now() - 3_600_000).toISOString())}`);
      expect(values(read.body['speed'])).toEqual([50, 52, 48]);
      const none = await retrieve(id, `timeproperty=createdAt&timerel=before&timeAt=2020-01-01T00:00:00Z`);
      expect(none.body['speed']).toEqual([]);
    });

    it.each([
      ['timerel=during&timeAt=2026-01-01T00:00:00Z', /timerel must be one of before, after, between/],
      ['timerel=after', /timerel=after needs timeAt/],
      ['timerel=between&timeAt=2026-01-01T00:00:00Z', /between needs endTimeAt/],
      ['timerel=between&timeAt=2026-01-02T00:00:00Z&endTimeAt=2026-01-01T00:00:00Z', /endTimeAt .* must be after timeAt/],
      ['timerel=after&timeAt=noon', /timeAt must be an ISO 8601 date-time/],
      ['timeAt=2026-01-01T00:00:00Z', /timeAt needs timerel/],
      ['timeproperty=deletedAt', /timeproperty must be one of/],
      ['lastN=0', /lastN must be a positive integer/],
      ['lastN=-5', /lastN must be a positive integer/],
      ['lastN=abc', /lastN must be a positive integer/],
      ['lastN=1000001', /lastN=1000001 is above this broker's maximum/],
      ['lastN=1&lastN=2', /given more than once/],
      ['options=keyValues', /options=keyValues is not supported on temporal routes/],
      ['options=temporalValues,aggregatedValues&aggrMethods=avg', /conflicting representations/],
      ['aggrMethods=avg', /apply only with options=aggregatedValues/],
    ])('refuses %s with 400 BadRequestData', async (query, detail) => {
      expect(problem(await retrieve(id, query), 400)).toMatch(detail);
    });

    it('404 ResourceNotFound for an entity without history, 400 for an id that is not a URI', async () => {
      problem(await retrieve(entityId(type)), 404, 'ResourceNotFound');
      problem(await retrieve('not a uri'), 400);
    });
  });

  describe('temporalValues (the simplified temporal representation)', () => {
    const id = entityId(type);

    beforeAll(async () => {
      const created = await create({
        id,
        type,
        speed: [speed(60, 0, { datasetId: 'urn:ngsi-ld:Dataset:gps' }), speed(62, 10, { datasetId: 'urn:ngsi-ld:Dataset:gps' }), speed(80, 0), speed(90, 20)],
        driver: [
          { type: 'Relationship', object: 'urn:ngsi-ld:Person:ana', observedAt: at(0) },
          { type: 'Relationship', object: 'urn:ngsi-ld:Person:ben', observedAt: at(15) },
        ],
        name: { type: 'LanguageProperty', languageMap: { en: 'Bus 1', es: 'Autobús 1' }, observedAt: at(0) },
      });
      expect(created.status).toBe(201);
    });

    it('pairs values and times per attribute type, one object per datasetId', async () => {
      const read = await retrieve(id, 'options=temporalValues');
      expect(read.status).toBe(200);
      expect(read.body['speed']).toEqual(
        expect.arrayContaining([
          { type: 'Property', values: [[80, at(0)], [90, at(20)]] },
          { type: 'Property', datasetId: 'urn:ngsi-ld:Dataset:gps', values: [[60, at(0)], [62, at(10)]] },
        ]),
      );
      expect(read.body['driver']).toEqual({ type: 'Relationship', objects: [['urn:ngsi-ld:Person:ana', at(0)], ['urn:ngsi-ld:Person:ben', at(15)]] });
      expect(read.body['name']).toEqual({ type: 'LanguageProperty', languageMaps: [[{ en: 'Bus 1', es: 'Autobús 1' }, at(0)]] });
    });

    it('normalized lists every datasetId instance in the attribute array', async () => {
      const read = await retrieve(id, 'attrs=speed');
      expect((read.body['speed'] as Instance[]).map((instance) => instance.datasetId ?? '@none').sort()).toEqual(['@none', '@none', 'urn:ngsi-ld:Dataset:gps', 'urn:ngsi-ld:Dataset:gps']);
    });
  });

  describe('aggregatedValues (4.5.19)', () => {
    const id = entityId(type);
    // Four hours of readings, irregular, plus one boolean and one text attribute.
    const readings = [10, 12.5, 11, 30, 28, 31.5, 5, 5, 9, 40];
    const minutes = [0, 20, 50, 65, 90, 110, 130, 150, 170, 200];

    beforeAll(async () => {
      const created = await create({
        id,
        type,
        speed: readings.map((value, i) => speed(value, minutes[i] as number)),
        moving: [true, false, true, true].map((value, i) => ({ type: 'Property', value, observedAt: at(i * 30) })),
        status: ['ok', 'fault', 'ok'].map((value, i) => ({ type: 'Property', value, observedAt: at(i * 30) })),
      });
      expect(created.status).toBe(201);
    });

    const aggregated = (query: string) => retrieve(id, `options=aggregatedValues&${query}`);
    type Periods = Record<string, [unknown, string, string][]>;

    it('computes every method per hour from the first instance, as the test computes them', async () => {
      const methods = ['totalCount', 'distinctCount', 'sum', 'avg', 'min', 'max', 'stddev', 'sumsq'] as const;
      const read = await aggregated(`attrs=speed&aggrMethods=${methods.join(',')}&aggrPeriodDuration=PT1H`);
      expect(read.status).toBe(200);
      const attribute = read.body['speed'] as Periods & { type: string };
      expect(attribute.type).toBe('Property');
      const hours = [0, 1, 2, 3].map((hour) => readings.filter((_, i) => Math.floor((minutes[i] as number) / 60) === hour));
      for (const method of methods) {
        const expected = hours.map((hour, h) => [stats(hour)[method], at(h * 60), at((h + 1) * 60)]);
        const got = attribute[method] as [number, string, string][];
        expect(got.map(([, start, end]) => [start, end])).toEqual(expected.map(([, start, end]) => [start, end]));
        got.forEach(([value], h) => (expected[h]?.[0] === null ? expect(value).toBeNull() : expect(value).toBeCloseTo(expected[h]?.[0] as number, 9)));
      }
    });

    it('reads whole hours from the hourly rollups, exact after instances change or go', async () => {
      const methods = ['totalCount', 'sum', 'avg', 'min', 'max', 'stddev', 'sumsq'] as const;
      const check = async (current: number[], currentMinutes: number[]) => {
        const read = await aggregated(`attrs=speed&aggrMethods=${methods.join(',')}&aggrPeriodDuration=PT2H&timerel=between&timeAt=${at(0)}&endTimeAt=${at(240)}`);
        const attribute = read.body['speed'] as Periods;
        const halves = [0, 1].map((half) => current.filter((_, i) => Math.floor((currentMinutes[i] as number) / 120) === half));
        for (const method of methods) {
          const got = attribute[method] as [number, string, string][];
          expect(got.map(([, start, end]) => [start, end])).toEqual([[at(0), at(120)], [at(120), at(240)]]);
          got.forEach(([value], h) => expect(value).toBeCloseTo(stats(halves[h] as number[])[method] as number, 6));
        }
      };
      const { rows } = await db.query<{ n: string }>('SELECT sum(instances) AS n FROM attribute_rollup WHERE entity_id = $1 AND attr LIKE $2', [id, '%speed']);
      expect(Number(rows[0]?.n)).toBe(readings.length);
      await check(readings, minutes);
      // (the API answers at most MAX_INSTANCES of them here)
      const { rows: instances } = await db.query<{ id: string }>("SELECT 'urn:ngsi-ld:attribute:instance:' || instance_id AS id FROM attribute_instance WHERE entity_id = $1 AND attr LIKE $2 ORDER BY ts", [id, '%speed']);
      expect((await call('PATCH', `/temporal/entities/${id}/attrs/speed/${instances[0]?.id}`, { body: { value: 100 } })).status).toBe(204);
      expect((await call('DELETE', `/temporal/entities/${id}/attrs/speed/${instances[9]?.id}`)).status).toBe(204);
      await check([100, ...readings.slice(1, 9)], minutes.slice(0, 9));
      expect((await call('PATCH', `/temporal/entities/${id}/attrs/speed/${instances[0]?.id}`, { body: { value: readings[0] } })).status).toBe(204);
      expect((await call('POST', `/temporal/entities/${id}/attrs`, { body: { speed: speed(readings[9] as number, minutes[9] as number) } })).status).toBe(204);
      await check(readings, minutes);
    });

    it('PT0S (the default) is one period over the whole range; from timeAt when given', async () => {
      const whole = await aggregated('attrs=speed&aggrMethods=avg,totalCount');
      const all = stats(readings);
      const attribute = whole.body['speed'] as Periods;
      expect(attribute['totalCount']).toEqual([[10, at(0), at(200)]]);
      expect(attribute['avg']?.[0]?.[0]).toBeCloseTo(all.avg, 9);
      const from = await aggregated(`attrs=speed&aggrMethods=max&aggrPeriodDuration=PT2H&timerel=between&timeAt=${at(60)}&endTimeAt=${at(180)}`);
      expect((from.body['speed'] as Periods)['max']).toEqual([
        [31.5, at(60), at(180)],
      ]);
    });

    it('calendar periods (P1M) and lastN periods', async () => {
      const monthly = await aggregated('attrs=speed&aggrMethods=sum&aggrPeriodDuration=P1M');
      expect((monthly.body['speed'] as Periods)['sum']?.[0]?.[0]).toBeCloseTo(stats(readings).sum, 9);
      const last = await aggregated('attrs=speed&aggrMethods=totalCount&aggrPeriodDuration=PT1H&lastN=2');
      expect((last.body['speed'] as Periods)['totalCount']).toEqual([
        [3, at(120), at(180)],
        [1, at(180), at(240)],
      ]);
    });

    it('booleans count as 1 and 0; text has counts, min and max only', async () => {
      const read = await aggregated('attrs=moving,status&aggrMethods=sum,avg,min,max,distinctCount,totalCount');
      expect(read.body['moving']).toMatchObject({ sum: [[3, at(0), at(90)]], min: [[0, at(0), at(90)]], max: [[1, at(0), at(90)]], distinctCount: [[2, at(0), at(90)]] });
      expect(read.body['status']).toMatchObject({ totalCount: [[3, at(0), at(60)]], distinctCount: [[2, at(0), at(60)]], min: [['fault', at(0), at(60)]], max: [['ok', at(0), at(60)]], sum: [[null, at(0), at(60)]] });
    });

    it.each([
      ['', /needs aggrMethods/],
      ['aggrMethods=median', /"median" is not one of totalCount, distinctCount/],
      ['aggrMethods=avg&aggrPeriodDuration=1H', /aggrPeriodDuration must be an ISO 8601 duration/],
      ['aggrMethods=avg&aggrPeriodDuration=PT', /aggrPeriodDuration must be an ISO 8601 duration/],
      ['aggrMethods=avg&aggrPeriodDuration=P1H', /aggrPeriodDuration must be an ISO 8601 duration/],
      ['aggrMethods=avg&aggrPeriodDuration=P100000000D', /too long/],
    ])('refuses %j with 400', async (query, detail) => {
      expect(problem(await aggregated(query), 400)).toMatch(detail);
    });
  });

  describe('cut responses: 206 Partial Content with Content-Range (6.3.10)', () => {
    const id = entityId(type);
    const range = (header: string | null) => /^date-time (.+Z)-(.+Z)\/(.+)$/.exec(header ?? '')?.slice(1);

    beforeAll(async () => {
      // 12 speeds every 5 minutes; 4 fuel levels every 15 minutes from minute 2.
      const created = await create({ id, type, speed: Array.from({ length: 12 }, (_, i) => speed(i, i * 5)), fuel: Array.from({ length: 4 }, (_, i) => speed(100 - i, 2 + i * 15)) });
      expect(created.status).toBe(201);
    });

    it(`forwards: the first ${MAX_INSTANCES} of the longest attribute, every attribute cut to the same range`, async () => {
      const read = await retrieve(id);
      expect(read.status).toBe(206);
      expect(range(read.headers.get('content-range'))).toEqual([at(0), at(20), '*']);
      expect(values(read.body['speed'])).toEqual([0, 1, 2, 3, 4]);
      expect(values(read.body['fuel'])).toEqual([100, 99]);
      const next = await retrieve(id, `timerel=after&timeAt=${at(21)}`);
      expect(range(next.headers.get('content-range'))).toEqual([at(21), at(45), '*']);
      expect(values(next.body['speed'])).toEqual([5, 6, 7, 8, 9]);
    });

    it('backwards with lastN above the maximum, with lastN as the size; whole (200) when lastN is within it', async () => {
      const read = await retrieve(id, 'lastN=8');
      expect(read.status).toBe(206);
      expect(range(read.headers.get('content-range'))).toEqual([at(55), at(35), '8']);
      expect(values(read.body['speed'])).toEqual([7, 8, 9, 10, 11]);
      expect(values(read.body['fuel'])).toEqual([97]);
      const within = await retrieve(id, 'lastN=3');
      expect([within.status, within.headers.get('content-range')]).toEqual([200, null]);
      expect(values(within.body['speed'])).toEqual([9, 10, 11]);
    });

    it('shares the response maximum out between many series: 10 entities get 4 instances each', async () => {
      const crowd = `Crowd${run}`;
      for (let n = 0; n < 10; n++) expect((await create({ id: `urn:ngsi-ld:${crowd}:${n}`, type: crowd, speed: Array.from({ length: 5 }, (_, i) => speed(i, i)) })).status).toBe(201);
      const read = await call<TemporalEntity[]>('GET', `/temporal/entities?type=${crowd}&limit=10`);
      expect([read.status, range(read.headers.get('content-range'))]).toEqual([206, [at(0), at(3), '*']]);
      expect(read.body.map((entity) => values(entity['speed']))).toEqual(Array.from({ length: 10 }, () => [0, 1, 2, 3]));
    });

    it('cuts temporalValues and aggregation periods the same way', async () => {
      const simplified = await retrieve(id, 'options=temporalValues&attrs=speed');
      expect(simplified.status).toBe(206);
      expect((simplified.body['speed'] as { values: unknown[] }).values).toHaveLength(MAX_INSTANCES);
      const periods = await retrieve(id, 'options=aggregatedValues&attrs=speed&aggrMethods=totalCount&aggrPeriodDuration=PT5M');
      expect([periods.status, range(periods.headers.get('content-range'))]).toEqual([206, [at(0), at(20), '*']]);
    });
  });

  describe('queries: GET /temporal/entities and POST /temporal/entityOperations/query', () => {
    const kind = `Bus${run}`;
    const ids = [1, 2, 3].map((n) => `urn:ngsi-ld:${kind}:${n}`);

    beforeAll(async () => {
      for (const [i, id] of ids.entries()) {
        const created = await call('POST', '/entities', {
          body: { id, type: kind, speed: speed(10 * (i + 1), i), scope: i === 2 ? '/Madrid/Norte' : '/Madrid/Centro', location: { type: 'GeoProperty', value: { type: 'Point', coordinates: [-3.7 + i, 40.4] } } },
        });
        expect(created.status).toBe(201);
        await call('PATCH', `/entities/${id}/attrs`, { body: { speed: speed(10 * (i + 1) + 1, 30 + i) } });
      }
    });

    it('selects by type, pages with limit/offset and counts (NGSILD-Results-Count)', async () => {
      const page = await call<TemporalEntity[]>('GET', `/temporal/entities?type=${kind}&limit=2&count=true`);
      expect(page.status).toBe(200);
      expect(page.headers.get('ngsild-results-count')).toBe('3');
      expect(page.body.map((entity) => entity.id)).toEqual(ids.slice(0, 2));
      expect(values(page.body[0]?.['speed'])).toEqual([10, 11]);
      const rest = await call<TemporalEntity[]>('GET', `/temporal/entities?type=${kind}&limit=2&offset=2`);
      expect(rest.body.map((entity) => entity.id)).toEqual(ids.slice(2));
    });

    it('selects by id, idPattern, q (current state), scopeQ and a geo-query', async () => {
      const select = async (query: string) => (await call<TemporalEntity[]>('GET', `/temporal/entities?${query}`)).body.map((entity) => entity.id);
      expect(await select(`id=${ids[1]}`)).toEqual([ids[1]]);
      expect(await select(`idPattern=${encodeURIComponent(`^urn:ngsi-ld:${kind}:[23]$`)}`)).toEqual(ids.slice(1));
      expect(await select(`type=${kind}&q=${encodeURIComponent('speed>15')}`)).toEqual(ids.slice(1));
      expect(await select(`type=${kind}&scopeQ=${encodeURIComponent('/Madrid/Norte')}`)).toEqual([ids[2]]);
      expect(await select(`type=${kind}&georel=${encodeURIComponent('near;maxDistance==1000')}&geometry=Point&coordinates=${encodeURIComponent('[-2.7,40.4]')}`)).toEqual([ids[1]]);
    });

    it('takes a Query body with EntitySelectors and temporalQ', async () => {
      const found = await call<TemporalEntity[]>('POST', '/temporal/entityOperations/query?count=true', {
        body: { type: 'Query', entities: [{ id: ids[0], type: kind }, { idPattern: `${kind}:3$` }], temporalQ: { timerel: 'after', timeAt: at(30), lastN: 1 } },
      });
      expect(found.status).toBe(200);
      expect(found.headers.get('ngsild-results-count')).toBe('2');
      expect(found.body.map((entity) => [entity.id, values(entity['speed'])])).toEqual([
        [ids[0], [11]],
        [ids[2], [31]],
      ]);
    });

    it('refuses a query that selects nothing in particular, and bad bodies', async () => {
      expect(problem(await call('GET', '/temporal/entities?timerel=after&timeAt=2026-01-01T00:00:00Z'), 400)).toMatch(/needs at least one of id, idPattern, type/);
      expect(problem(await call('POST', '/temporal/entityOperations/query', { body: { type: 'Subscription' } }), 400)).toMatch(/"type": "Query"/);
      expect(problem(await call('POST', '/temporal/entityOperations/query', { body: { type: 'Query', entities: [{ type: kind }], temporalQ: { timerel: 'between', timeAt: at(0) } } }), 400)).toMatch(/needs endTimeAt/);
      problem(await call('GET', `/temporal/entities?type=${kind}&limit=5000`), 403, 'TooManyResults');
      problem(await call('GET', `/temporal/entities?idPattern=${encodeURIComponent('([')}`), 400);
    });
  });

  describe('history of the entity API and of observations', () => {
    it('every entity write lands in history; DELETE /entities keeps it, DELETE /temporal/entities erases it', async () => {
      const id = entityId(type);
      expect((await call('POST', '/entities', { body: { id, type, speed: { type: 'Property', value: 1 } } })).status).toBe(201);
      await call('PATCH', `/entities/${id}/attrs/speed`, { body: { value: 2 } });
      await call('DELETE', `/entities/${id}/attrs/speed`);
      expect((await call('DELETE', `/entities/${id}`)).status).toBe(204);
      const kept = await retrieve(id, 'options=sysAttrs');
      expect(kept.status).toBe(200);
      expect(kept.body).toHaveProperty('deletedAt');
      const instances = kept.body['speed'] as Instance[];
      expect(instances.map((instance) => instance.value)).toEqual([1, 2, 'urn:ngsi-ld:null']);
      expect(instances[2]).toHaveProperty('deletedAt');
      const byType = await call<TemporalEntity[]>('GET', `/temporal/entities?id=${id}&type=${type}`);
      expect(byType.body.map((entity) => entity.id)).toEqual([id]);
      expect((await call('DELETE', `/temporal/entities/${id}`)).status).toBe(204);
      problem(await retrieve(id), 404, 'ResourceNotFound');
      problem(await call('DELETE', `/temporal/entities/${id}`), 404, 'ResourceNotFound');
    });

    it('DELETE /temporal/entities leaves the current entity alone', async () => {
      const id = entityId(type);
      await call('POST', '/entities', { body: { id, type, speed: { type: 'Property', value: 7 } } });
      expect((await call('DELETE', `/temporal/entities/${id}`)).status).toBe(204);
      expect((await call('GET', `/entities/${id}`)).status).toBe(200);
    });

    it('observations from Kafka become instances with their observedAt, aggregated like any other', async () => {
      const publisher = new EventPublisher({ kafka: createKafka({ clientId: 'temporal-test', brokers: broker.kafka.bootstrapServers, logLevel: 'nothing' }) });
      await publisher.connect();
      try {
        const id = entityId('AirQualityObserved');
        const readings = [31, 35, 40];
        const events = readings.map((value, i) =>
          createEvent('devices.observation.decoded.v1', {
            tenant: 'alpha',
            source: 'devices',
            payload: { deviceId: 'aq-7', entity: { id, type: 'AirQualityObserved' }, observedAt: at(i * 10), attributes: [{ name: 'no2', type: 'Property', value, unitCode: 'GQ' }] },
          }),
        );
        await publisher.publish('devices.observation.decoded.v1', events, { key: `alpha/${id}` });
        await eventually(async () => ((await retrieve(id)).body?.['no2'] as Instance[] | undefined)?.length === 3, { what: 'three observations in the history' });
        const read = await retrieve(id);
        expect((read.body['no2'] as Instance[]).map((instance) => [instance.value, instance.observedAt])).toEqual(readings.map((value, i) => [value, at(i * 10)]));
        const avg = await retrieve(id, 'options=aggregatedValues&aggrMethods=avg,max&aggrPeriodDuration=PT1H');
        expect(avg.body['no2']).toEqual({ type: 'Property', avg: [[stats(readings).avg, at(0), at(60)]], max: [[40, at(0), at(60)]] });
      } finally {
        await publisher.disconnect();
      }
    });
  });

  describe('temporal writes (5.6.12 - 5.6.18)', () => {
    const id = entityId(type);
    const dataset = 'urn:ngsi-ld:Dataset:radar';

    beforeAll(async () => {
      expect((await create({ id, type, speed: [speed(1, 0), speed(2, 1), speed(3, 2, { datasetId: dataset })], fuel: speed(9, 0) })).status).toBe(201);
    });

    it('appends instances (204) and refuses an unknown entity (404) or an empty body (400)', async () => {
      const added = await call('POST', `/temporal/entities/${id}/attrs`, { body: { speed: [speed(4, 3), speed(5, 4)] } });
      expect([added.status, added.text]).toEqual([204, '']);
      expect(values((await retrieve(id, `attrs=speed`)).body['speed']).sort()).toEqual([1, 2, 3, 4, 5]);
      problem(await call('POST', `/temporal/entities/${entityId(type)}/attrs`, { body: { speed: speed(1, 0) } }), 404, 'ResourceNotFound');
      problem(await call('POST', `/temporal/entities/${id}/attrs`, { body: {} }), 400);
      problem(await call('POST', `/temporal/entities/${id}/attrs`, { body: { speed: { type: 'Property', value: 1, observedAt: 'soon' } } }), 400);
    });

    it('modifies one instance (PATCH .../attrs/{attr}/{instanceId}) and deletes one', async () => {
      const before = (await retrieve(id, 'attrs=speed')).body['speed'] as Instance[];
      const target = before.find((instance) => instance.value === 2) as Instance;
      const patched = await call('PATCH', `/temporal/entities/${id}/attrs/speed/${target.instanceId}`, { body: { speed: { type: 'Property', value: 20, observedAt: at(1) } } });
      expect(patched.status).toBe(204);
      const after = (await retrieve(id, 'attrs=speed')).body['speed'] as Instance[];
      expect(after.find((instance) => instance.instanceId === target.instanceId)?.value).toBe(20);
      expect((await call('DELETE', `/temporal/entities/${id}/attrs/speed/${target.instanceId}`)).status).toBe(204);
      expect(((await retrieve(id, 'attrs=speed')).body['speed'] as Instance[]).map((instance) => instance.instanceId)).not.toContain(target.instanceId);
      problem(await call('DELETE', `/temporal/entities/${id}/attrs/speed/${target.instanceId}`), 404, 'ResourceNotFound');
      problem(await call('PATCH', `/temporal/entities/${id}/attrs/speed/urn:ngsi-ld:attribute:instance:00000000-0000-4000-8000-000000000000`, { body: { value: 1 } }), 404, 'ResourceNotFound');
      problem(await call('PATCH', `/temporal/entities/${id}/attrs/speed/not-an-instance`, { body: { value: 1 } }), 400);
      problem(await call('PATCH', `/temporal/entities/${id}/attrs/speed/${after[0]?.instanceId}`, { body: { type: 'Relationship', object: 'urn:x:y' } }), 400);
    });

    it('deletes the default instances, one datasetId, or all of an attribute', async () => {
      expect((await call('DELETE', `/temporal/entities/${id}/attrs/speed`)).status).toBe(204);
      expect(((await retrieve(id, 'attrs=speed')).body['speed'] as Instance[]).map((instance) => instance.datasetId)).toEqual([dataset]);
      problem(await call('DELETE', `/temporal/entities/${id}/attrs/speed`), 404, 'ResourceNotFound');
      expect((await call('DELETE', `/temporal/entities/${id}/attrs/speed?datasetId=${dataset}`)).status).toBe(204);
      expect((await call('DELETE', `/temporal/entities/${id}/attrs/fuel?deleteAll=true`)).status).toBe(204);
      expect(Object.keys((await retrieve(id)).body).sort()).toEqual(['id', 'type']);
      problem(await call('DELETE', `/temporal/entities/${id}/attrs/fuel?deleteAll=true&datasetId=${dataset}`), 400);
    });

    it('refuses bad temporal entities', async () => {
      problem(await create({ type, speed: speed(1, 0) }), 400);
      problem(await create({ id: 'bus 7', type }), 400);
      problem(await create({ id: entityId(type), speed: speed(1, 0) }), 400);
      problem(await create({ id: entityId(type), type, speed: [speed(1, 0), null] }), 400);
      problem(await create({ id: entityId(type), type, speed: { type: 'Propertee', value: 1 } }), 400);
    });

    it('reads need a token, writes a writer role; an unknown tenant is 404 NonexistentTenant', async () => {
      expect((await call('GET', `/temporal/entities/${id}`, { user: null })).status).toBe(401);
      expect((await call('GET', `/temporal/entities/${id}`, { user: 'tenantAdmin' })).status).toBe(200);
      // an auditor reads what data-access policies grant it: here nothing
      expect((await call('GET', `/temporal/entities/${id}`, { user: 'auditor' })).status).toBe(403);
      expect((await call('POST', `/temporal/entities/${id}/attrs`, { user: 'auditor', body: { speed: speed(1, 0) } })).status).toBe(403);
      problem(await call('GET', `/temporal/entities/${id}`, { user: 'platformAdmin', headers: { 'NGSILD-Tenant': `nobody${run}` } }), 404, 'NonexistentTenant');
    });
  });

  describe('data-access policies on the history (as on the current state)', () => {
    const [client, secret] = TEST_CLIENTS.cityDashboard;
    const kiosk = `Kiosk${run}`;
    const id = `urn:ngsi-ld:${kiosk}:1`;
    let publisher: EventPublisher;
    let dashboard: string;
    const asDashboard = <T = TemporalEntity>(method: string, path: string, body?: unknown) => call<T>(method, path, { user: null, headers: { authorization: `Bearer ${dashboard}` }, ...(body !== undefined && { body }) });

    beforeAll(async () => {
      publisher = new EventPublisher({ kafka: createKafka({ clientId: 'temporal-access-test', brokers: broker.kafka.bootstrapServers, logLevel: 'nothing' }) });
      await publisher.connect();
      dashboard = await broker.idp.token(client, secret);
      expect((await create({ id, type: kiosk, status: speed(1, 0), revenue: speed(250, 0) })).status).toBe(201);
    });
    afterAll(() => publisher?.disconnect());

    it('shows a client without a grant no history and refuses its temporal writes; a grant shows its attributes only', async () => {
      expect((await asDashboard<TemporalEntity[]>('GET', `/temporal/entities?type=${kiosk}`)).body).toEqual([]);
      expect((await asDashboard('GET', `/temporal/entities/${id}`)).status).toBe(403);
      expect((await asDashboard('POST', `/temporal/entities/${id}/attrs`, { status: speed(2, 1) })).status).toBe(403);
      expect((await asDashboard('DELETE', `/temporal/entities/${id}`)).status).toBe(403);
      const policyId = randomUUID();
      const policy = { policyId, tenant: 'alpha', version: 1, subject: { kind: 'client', id: client }, actions: ['read'], resources: [{ kind: 'attribute', entityType: kiosk, attributes: ['status'] }], purpose: 'kiosk status', updatedAt: new Date().toISOString() };
      await publisher.publish('security.policy.changed.v2', [createEvent('security.policy.changed.v2', { tenant: 'alpha', source: 'security', payload: { policyId, change: 'created', version: 1, policy: policy as never, changedAt: policy.updatedAt } })], { key: `alpha/${policyId}` });
      const listed = await until(async () => (await asDashboard<TemporalEntity[]>('GET', `/temporal/entities?type=${kiosk}`)).body, (entities) => entities.length > 0, { what: 'the grant to reach the data service' });
      expect(Object.keys(listed[0] ?? {}).sort()).toEqual(['id', 'status', 'type']);
      const read = await asDashboard('GET', `/temporal/entities/${id}`);
      expect([read.status, Object.keys(read.body).sort()]).toEqual([200, ['id', 'status', 'type']]);
      expect((await asDashboard('POST', `/temporal/entities/${id}/attrs`, { status: speed(2, 1) })).status).toBe(403);
      expect(values((await retrieve(id)).body['status'])).toEqual([1]);
    });
  });

  describe('history partitions', () => {
    const partitions = (config: Partial<DataConfig['history']> = {}) =>
      new HistoryPartitions(
        db,
        { history: { monthsAhead: 3, maintenanceIntervalMs: 3_600_000, ...config } } as DataConfig,
        { info: () => undefined, warn: () => undefined, error: () => undefined } as never,
        { addWorker: () => undefined } as never,
      );
    const inDefault = async () => Number((await db.query<{ n: string }>('SELECT count(*) AS n FROM attribute_instance_default')).rows[0]?.n);

    it('history imported for any month lands in a partition of its own, never in the default one', async () => {
      const id = entityId(type);
      expect((await create({ id, type, speed: [{ type: 'Property', value: 1, observedAt: '2019-03-15T00:00:00Z' }, { type: 'Property', value: 2, observedAt: '2031-07-01T00:00:00Z' }] })).status).toBe(201);
      const { rows } = await db.query<{ partition: string }>('SELECT tableoid::regclass::text AS partition FROM attribute_instance WHERE entity_id = $1 ORDER BY ts', [id]);
      expect(rows.map((row) => row.partition)).toEqual(['attribute_instance_y2019m03', 'attribute_instance_y2031m07']);
      expect(await inDefault()).toBe(0);
    });

    it('maintenance creates months ahead and moves rows that reached the default partition into their month', async () => {
      await db.query(
        `INSERT INTO attribute_instance_default (tenant, entity_id, attr, instance_id, ts, created_at, modified_at, instance)
         VALUES ('alpha', 'urn:ngsi-ld:Stray:1', 'https://x/speed', gen_random_uuid(), '2011-05-05T00:00:00Z', now(), now(), '{"type":"Property","value":5}')`,
      );
      await partitions({ monthsAhead: 6 }).maintain();
      expect(await inDefault()).toBe(0);
      const { rows } = await db.query<{ partition: string; num: number }>("SELECT tableoid::regclass::text AS partition, num FROM attribute_instance WHERE entity_id = 'urn:ngsi-ld:Stray:1'");
      expect(rows).toEqual([{ partition: 'attribute_instance_y2011m05', num: 5 }]);
      const { rows: ahead } = await db.query<{ name: string }>("SELECT relname AS name FROM pg_class WHERE relname = $1", [partitionName(new Date(Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth() + 6, 1)))]);
      expect(ahead).toHaveLength(1);
    });
  });
});
