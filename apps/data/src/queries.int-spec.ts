import { type BrokerHarness, contextLink, startBroker } from './test-support/broker.test-helpers';

const NGSI = '/ngsi-ld/v1';
const ERRORS = 'https://uri.etsi.org/ngsi-ld/errors/';

type Entity = { id: string; type: string | string[]; [attribute: string]: unknown };

/** A small district, in its own tenant so that counts are exact. */
function district(run: string): Entity[] {
  const spot = (n: number, status: string, lon: number, lat: number, extra: Record<string, unknown> = {}): Entity => ({
    id: `urn:ngsi-ld:ParkingSpot:${run}:${n}`,
    type: 'ParkingSpot',
    status: { type: 'Property', value: status, observedAt: `2026-11-30T1${n}:00:00Z` },
    category: { type: 'Property', value: ['onStreet'] },
    location: { type: 'GeoProperty', value: { type: 'Point', coordinates: [lon, lat] } },
    refParkingSite: { type: 'Relationship', object: `urn:ngsi-ld:ParkingSite:${run}:${n % 2}` },
    ...extra,
  });
  return [
    spot(1, 'free', -3.7038, 40.4168, { scope: '/Madrid/Centro', address: { type: 'Property', value: { city: 'Madrid', street: 'Gran Via' } } }),
    spot(2, 'occupied', -3.7040, 40.4170, { scope: '/Madrid/Centro' }),
    spot(3, 'free', -3.6900, 40.4300, { scope: '/Madrid/Chamberi', address: { type: 'Property', value: { city: 'Madrid', street: 'Arapiles' } } }),
    spot(4, 'closed', 2.1734, 41.3851, { scope: '/Barcelona' }),
    { id: `urn:ngsi-ld:AirQualityObserved:${run}:1`, type: 'AirQualityObserved', NO2: { type: 'Property', value: 45, unitCode: 'GQ' }, pm10: { type: 'Property', value: 18 }, location: { type: 'GeoProperty', value: { type: 'Point', coordinates: [-3.7035, 40.4165] } } },
    { id: `urn:ngsi-ld:AirQualityObserved:${run}:2`, type: ['AirQualityObserved', 'Device'], NO2: { type: 'Property', value: 12 } },
  ];
}

describe('NGSI-LD queries, batch operations and discovery (clauses 5.7, 5.6.7 - 5.6.10, 6.14 - 6.23)', () => {
  let broker: BrokerHarness;
  const run = Date.now().toString(36);
  const tenant = `q${run}`;
  const headers = { 'NGSILD-Tenant': tenant };
  const as = { user: 'platformAdmin' as const, headers };
  const get = <T = Entity[]>(query: string, extra: Record<string, string> = {}) => broker.call<T>('GET', `${NGSI}/entities?${query}`, { ...as, headers: { ...headers, ...extra } });
  const ids = (response: { body: Entity[] }) => response.body.map((entity) => entity.id.split(':').slice(-2).join(':')).sort();

  beforeAll(async () => {
    broker = await startBroker('data_queries');
    const created = await broker.call<string[]>('POST', `${NGSI}/entityOperations/create`, { ...as, body: district(run) });
    expect(created.status).toBe(201);
  });
  afterAll(async () => {
    await broker?.stop();
  });

  describe('GET /entities', () => {
    it('selects by type, type expressions, id lists and idPattern', async () => {
      expect(ids(await get('type=ParkingSpot'))).toEqual([`${run}:1`, `${run}:2`, `${run}:3`, `${run}:4`]);
      expect(ids(await get('type=AirQualityObserved;Device'))).toEqual([`${run}:2`]);
      expect(ids(await get('type=Device,ParkingSpot')).length).toBe(5);
      expect(ids(await get(`id=urn:ngsi-ld:ParkingSpot:${run}:1,urn:ngsi-ld:ParkingSpot:${run}:3`))).toEqual([`${run}:1`, `${run}:3`]);
      expect(ids(await get(`idPattern=${encodeURIComponent(`^urn:ngsi-ld:ParkingSpot:${run}:[12]$`)}`))).toEqual([`${run}:1`, `${run}:2`]);
      expect((await get('idPattern=%28unclosed')).status).toBe(400);
    });

    it('filters with q: comparisons, lists, ranges, patterns, compound paths, relationships and metadata', async () => {
      const q = async (text: string) => ids(await get(`type=ParkingSpot,AirQualityObserved&q=${encodeURIComponent(text)}`));
      expect(await q('status=="free"')).toEqual([`${run}:1`, `${run}:3`]);
      expect(await q('status!="free";status!="closed"')).toEqual([`${run}:2`]);
      expect(await q('status=="closed"|NO2>40')).toEqual([`${run}:1`, `${run}:4`]);
      expect(await q('NO2==10..20')).toEqual([`${run}:2`]);
      expect(await q('status=="occupied","closed"')).toEqual([`${run}:2`, `${run}:4`]);
      expect(await q('status~="^fr"')).toEqual([`${run}:1`, `${run}:3`]);
      expect(await q('address[street]=="Arapiles"')).toEqual([`${run}:3`]);
      expect(await q(`refParkingSite=="urn:ngsi-ld:ParkingSite:${run}:0"`)).toEqual([`${run}:2`, `${run}:4`]);
      expect(await q('status.observedAt>=2026-11-30T13:00:00Z')).toEqual([`${run}:3`, `${run}:4`]);
      expect(await q('pm10')).toEqual([`${run}:1`]);
      expect(await q('(status=="free"|status=="closed");address[city]=="Madrid"')).toEqual([`${run}:1`, `${run}:3`]);
    });

    it('answers a bad q, scopeQ or geo-query with 400 BadRequestData saying where', async () => {
      for (const bad of ['q=status==', 'q=status=="free"|', 'q=((a==1)', 'scopeQ=Madrid', 'georel=near&geometry=Point', 'georel=near;maxDistance==10&geometry=Point&coordinates=[200,100]', 'georel=crosses&geometry=Point&coordinates=[1,1]']) {
        const response = await get(`type=ParkingSpot&${bad}`);
        expect([bad, response.status]).toEqual([bad, 400]);
        expect(response.body).toMatchObject({ type: `${ERRORS}BadRequestData`, detail: expect.any(String) });
      }
    });

    it('filters by scopeQ', async () => {
      expect(ids(await get('type=ParkingSpot&scopeQ=/Madrid/%23'))).toEqual([`${run}:1`, `${run}:2`, `${run}:3`]);
      expect(ids(await get('type=ParkingSpot&scopeQ=/Madrid/Centro,/Barcelona'))).toEqual([`${run}:1`, `${run}:2`, `${run}:4`]);
    });

    it('answers geo-queries: near with maxDistance and minDistance, within, and on another geoproperty', async () => {
      const near = await get(`georel=${encodeURIComponent('near;maxDistance==200')}&geometry=Point&coordinates=${encodeURIComponent('[-3.7038,40.4168]')}`);
      expect(ids(near)).toEqual([`${run}:1`, `${run}:1`, `${run}:2`]);
      const far = await get(`type=ParkingSpot&georel=${encodeURIComponent('near;minDistance==100000')}&geometry=Point&coordinates=${encodeURIComponent('[-3.7038,40.4168]')}`);
      expect(ids(far)).toEqual([`${run}:4`]);
      const square = JSON.stringify([[[-3.71, 40.41], [-3.69, 40.41], [-3.69, 40.42], [-3.71, 40.42], [-3.71, 40.41]]]);
      const within = await get(`type=ParkingSpot&georel=within&geometry=Polygon&coordinates=${encodeURIComponent(square)}`);
      expect(ids(within)).toEqual([`${run}:1`, `${run}:2`]);
      const other = await get(`type=ParkingSpot&georel=within&geometry=Polygon&coordinates=${encodeURIComponent(square)}&geoproperty=observationSpace`);
      expect(other.body).toEqual([]);
    });

    it('pages with limit and offset, counts with count=true, and refuses a limit above the maximum', async () => {
      const first = await get('type=ParkingSpot&limit=2&count=true');
      expect(first.body).toHaveLength(2);
      expect(first.headers.get('ngsild-results-count')).toBe('4');
      const rest = await get('type=ParkingSpot&limit=2&offset=2');
      expect([...ids(first), ...ids(rest)].sort()).toEqual([`${run}:1`, `${run}:2`, `${run}:3`, `${run}:4`]);
      const onlyCount = await get('type=ParkingSpot&limit=0&count=true');
      expect(onlyCount.body).toEqual([]);
      expect(onlyCount.headers.get('ngsild-results-count')).toBe('4');
      const tooMany = await get('type=ParkingSpot&limit=100000');
      expect(tooMany.status).toBe(403);
      expect(tooMany.body).toMatchObject({ type: `${ERRORS}TooManyResults` });
      expect((await get('type=ParkingSpot&limit=-1')).status).toBe(400);
    });

    it('refuses a query that selects nothing in particular', async () => {
      const response = await get('limit=10');
      expect(response.status).toBe(400);
      expect((await get('local=true&limit=1')).status).toBe(200);
    });

    it('selects by attrs (entities having one) and renders keyValues, concise and GeoJSON', async () => {
      expect(ids(await get('attrs=pm10,address'))).toEqual([`${run}:1`, `${run}:1`, `${run}:3`]);
      const keyValues = await get(`id=urn:ngsi-ld:ParkingSpot:${run}:1&options=keyValues&attrs=status`);
      expect(keyValues.body).toEqual([{ id: `urn:ngsi-ld:ParkingSpot:${run}:1`, type: 'ParkingSpot', status: 'free' }]);
      const geo = await get<{ type: string; features: { id: string; type: string; geometry: unknown; properties: Record<string, unknown> }[] }>(
        `id=urn:ngsi-ld:ParkingSpot:${run}:1&options=keyValues&attrs=status,location`,
        { accept: 'application/geo+json' },
      );
      expect(geo.headers.get('content-type')).toContain('application/geo+json');
      expect(geo.body).toEqual({
        type: 'FeatureCollection',
        features: [
          {
            id: `urn:ngsi-ld:ParkingSpot:${run}:1`,
            type: 'Feature',
            geometry: { type: 'Point', coordinates: [-3.7038, 40.4168] },
            properties: { type: 'ParkingSpot', status: 'free', location: { type: 'Point', coordinates: [-3.7038, 40.4168] } },
          },
        ],
      });
    });
  });

  describe('POST /entityOperations/query', () => {
    it('takes entities, attrs, q and geoQ in the body', async () => {
      const response = await broker.call<Entity[]>('POST', `${NGSI}/entityOperations/query?count=true`, {
        ...as,
        body: {
          type: 'Query',
          entities: [{ type: 'ParkingSpot' }],
          attrs: ['status'],
          q: 'status=="free"',
          geoQ: { georel: 'near;maxDistance==2000', geometry: 'Point', coordinates: [-3.7038, 40.4168] },
        },
      });
      expect(response.status).toBe(200);
      expect(response.headers.get('ngsild-results-count')).toBe('2');
      expect(ids(response)).toEqual([`${run}:1`, `${run}:3`]);
      expect(Object.keys(response.body[0] ?? {}).sort()).toEqual(['id', 'status', 'type']);
      const bad = await broker.call('POST', `${NGSI}/entityOperations/query`, { ...as, body: { entities: [{ type: 'ParkingSpot' }] } });
      expect(bad.status).toBe(400);
    });
  });

  describe('batch operations', () => {
    const op = (name: string, body: unknown, query = '') => broker.call<Record<string, unknown> | string[]>('POST', `${NGSI}/entityOperations/${name}${query}`, { ...as, body });
    const batchId = (n: number) => `urn:ngsi-ld:Bin:${run}:${n}`;

    it('creates what it can: 207 with the errors of the others', async () => {
      const mixed = await op('create', [{ id: batchId(1), type: 'Bin', fill: 0.1 }, { id: batchId(1), type: 'Bin' }, { id: 'bad id', type: 'Bin' }, { id: batchId(2), type: 'Bin', fill: 0.2 }]);
      expect(mixed.status).toBe(207);
      expect(mixed.body).toEqual({
        success: [batchId(1), batchId(2)],
        errors: [
          { entityId: batchId(1), error: expect.objectContaining({ type: `${ERRORS}AlreadyExists` }) },
          { entityId: 'bad id', error: expect.objectContaining({ type: `${ERRORS}BadRequestData` }) },
        ],
      });
      expect((await op('create', { id: batchId(3), type: 'Bin' })).status).toBe(400);
    });

    it('upserts: 201 with the ids it created, 204 when it only replaced or updated', async () => {
      const created = await op('upsert', [{ id: batchId(1), type: 'Bin', fill: 0.5 }, { id: batchId(3), type: 'Bin', fill: 0.3 }]);
      expect(created.status).toBe(201);
      expect(created.body).toEqual([batchId(3)]);
      expect((await op('upsert', [{ id: batchId(3), type: 'Bin', temperature: 4 }], '?options=update')).status).toBe(204);
      const bin3 = await broker.call('GET', `${NGSI}/entities/${batchId(3)}?options=keyValues`, as);
      expect(bin3.body).toEqual({ id: batchId(3), type: 'Bin', fill: 0.3, temperature: 4 });
      expect((await op('upsert', [{ id: batchId(3), type: 'Bin', fill: 0.9 }])).status).toBe(204);
      expect((await broker.call('GET', `${NGSI}/entities/${batchId(3)}?options=keyValues`, as)).body).toEqual({ id: batchId(3), type: 'Bin', fill: 0.9 });
    });

    it('updates (noOverwrite keeps existing attributes), merges and deletes, 207 for unknown entities', async () => {
      expect((await op('update', [{ id: batchId(1), fill: 0.6, lid: 'closed' }])).status).toBe(204);
      expect((await op('update', [{ id: batchId(1), fill: 0.99 }], '?options=noOverwrite')).status).toBe(204);
      expect((await broker.call('GET', `${NGSI}/entities/${batchId(1)}?options=keyValues`, as)).body).toEqual({ id: batchId(1), type: 'Bin', fill: 0.6, lid: 'closed' });
      const merged = await op('merge', [{ id: batchId(1), lid: null, fill: 0.7 }, { id: batchId(99), fill: 1 }]);
      expect(merged.status).toBe(207);
      expect(merged.body).toEqual({ success: [batchId(1)], errors: [{ entityId: batchId(99), error: expect.objectContaining({ type: `${ERRORS}ResourceNotFound` }) }] });
      expect((await broker.call('GET', `${NGSI}/entities/${batchId(1)}?options=keyValues`, as)).body).toEqual({ id: batchId(1), type: 'Bin', fill: 0.7 });
      const deleted = await op('delete', [batchId(1), batchId(2), batchId(99)]);
      expect(deleted.status).toBe(207);
      expect((deleted.body as { success: string[] }).success).toEqual([batchId(1), batchId(2)]);
      expect((await op('delete', [batchId(3)])).status).toBe(204);
    });
  });

  describe('discovery', () => {
    it('lists types and attributes, with details, and describes one of each', async () => {
      const types = await broker.call<{ type: string; typeList: string[] }>('GET', `${NGSI}/types`, as);
      expect(types.body).toMatchObject({ type: 'EntityTypeList', typeList: expect.arrayContaining(['ParkingSpot', 'AirQualityObserved', 'Device']) });
      const details = await broker.call<{ typeName: string; attributeNames: string[] }[]>('GET', `${NGSI}/types?details=true`, as);
      expect(details.body.find((entry) => entry.typeName === 'AirQualityObserved')).toMatchObject({ type: 'EntityType', attributeNames: expect.arrayContaining(['NO2', 'pm10', 'location']) });
      const parking = await broker.call<Record<string, unknown>>('GET', `${NGSI}/types/ParkingSpot`, as);
      expect(parking.body).toMatchObject({ type: 'EntityTypeInfo', typeName: 'ParkingSpot', entityCount: 4 });
      expect(parking.body['attributeDetails']).toEqual(
        expect.arrayContaining([expect.objectContaining({ type: 'Attribute', attributeName: 'refParkingSite', attributeTypes: ['Relationship'] })]),
      );
      expect((await broker.call('GET', `${NGSI}/types/Nothing`, as)).status).toBe(404);
      const attributes = await broker.call<{ attributeList: string[] }>('GET', `${NGSI}/attributes`, as);
      expect(attributes.body.attributeList).toEqual(expect.arrayContaining(['status', 'NO2', 'location']));
      const no2 = await broker.call<Record<string, unknown>>('GET', `${NGSI}/attributes/NO2`, as);
      expect(no2.body).toMatchObject({ type: 'Attribute', attributeName: 'NO2', attributeCount: 2, attributeTypes: ['Property'], typeNames: expect.arrayContaining(['AirQualityObserved', 'Device']) });
      expect((await broker.call('GET', `${NGSI}/attributes/nothing`, as)).status).toBe(404);
    });

    it('refuses a Link header whose @context is not an absolute URL', async () => {
      const link = contextLink(`data:never-fetched`);
      expect((await broker.call('GET', `${NGSI}/types`, { ...as, headers: { ...headers, link } })).status).toBe(400);
    });
  });
});
