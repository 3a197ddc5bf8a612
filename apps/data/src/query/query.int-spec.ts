import { applyMigrations, createTestDatabase, type TestDatabase } from '@urbis/testing';
import { Client } from 'pg';
import type { StoredEntity } from '../ngsi-ld/stored';
import { SqlParams } from '../storage/sql-params';
import { parseGeoQuery, geoQueryToSql } from './geo-query';
import { geometrySql, validateGeometry } from './geometry';
import { matchesQ } from './q-match';
import { parseQ } from './q-parser';
import { qToSql } from './q-sql';
import { ENTITIES, expand, Q_CASES, Q_OPTIONS, SCOPE_CASES } from './query-fixtures.test-helpers';
import { matchesScopeQ, parseScopeQ, scopeQToSql } from './scope-query';

/**
 * The compiled queries against the real schema (the data service's migrations on a fresh
 * PostgreSQL + PostGIS database), rows inserted in the stored shape: each must select exactly
 * the expected entities, and the same ones the in-memory matcher selects.
 */
describe('query SQL on PostgreSQL + PostGIS', () => {
  let database: TestDatabase;
  let client: Client;
  const TENANT = 'query-test';

  beforeAll(async () => {
    database = await createTestDatabase('data_query');
    await applyMigrations('data', database.url);
    client = new Client({ connectionString: database.url });
    await client.connect();
    await client.query('INSERT INTO tenant (name) VALUES ($1), ($2)', [TENANT, 'other']);
    for (const entity of ENTITIES) await insert(TENANT, entity);
    // The same entities in another tenant: a query must never see them.
    for (const entity of ENTITIES) await insert('other', entity);
  }, 120_000);

  afterAll(async () => {
    await client?.end();
    await database?.drop();
  });

  async function insert(tenant: string, entity: StoredEntity): Promise<void> {
    const { rows } = await client.query<{ pk: string }>(
      `INSERT INTO entity (tenant, id, types, scopes, attrs, created_at, modified_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING pk`,
      [
        tenant,
        entity.id,
        entity.types,
        entity.scopes,
        JSON.stringify(entity.attrs),
        entity.createdAt,
        entity.modifiedAt,
      ],
    );
    for (const [attr, instances] of Object.entries(entity.attrs)) {
      for (const instance of instances) {
        if (instance.type !== 'GeoProperty') continue;
        const params = new SqlParams();
        params.add(rows[0].pk);
        params.add(attr);
        params.add(instance.datasetId ?? '');
        const geom = geometrySql(validateGeometry(instance.value), params);
        await client.query(
          `INSERT INTO entity_geo (entity_pk, attr, dataset_id, geom) VALUES ($1, $2, $3, ${geom})`,
          params.values,
        );
      }
    }
  }

  async function select(where: (params: SqlParams) => string): Promise<string[]> {
    const params = new SqlParams();
    const tenant = params.add(TENANT);
    const condition = where(params);
    const { rows } = await client.query<{ id: string }>(
      `SELECT e.id FROM entity e WHERE e.tenant = ${tenant} AND ${condition} ORDER BY e.id`,
      params.values,
    );
    return rows.map((row) => row.id);
  }

  it.each(Q_CASES.map((c) => [c.q, c.expandValues?.join(',') ?? '', c] as const))(
    'q %s (expandValues=%s) selects the expected entities, as the matcher does',
    async (_q, _e, c) => {
      const query = parseQ(c.q, { ...Q_OPTIONS, expandValues: c.expandValues });
      const selected = await select((params) => qToSql(query, 'e', params));
      expect(selected).toEqual(c.expected);
      expect(ENTITIES.filter((entity) => matchesQ(query, entity)).map((entity) => entity.id)).toEqual(
        selected,
      );
    },
  );

  it.each(SCOPE_CASES.map((c) => [c.scopeQ, c] as const))(
    'scopeQ %s selects the expected entities, as the matcher does',
    async (_s, c) => {
      const query = parseScopeQ(c.scopeQ);
      const selected = await select((params) => scopeQToSql(query, 'e', params));
      expect(selected).toEqual(c.expected);
      expect(ENTITIES.filter((entity) => matchesScopeQ(query, entity)).map((entity) => entity.id)).toEqual(
        selected,
      );
    },
  );

  const holed = '[[[0,0],[10,0],[10,10],[0,10],[0,0]],[[4,4],[6,4],[6,6],[4,6],[4,4]]]';
  it.each([
    ['near;maxDistance==15000', 'Point', '[13.388930, 52.534473]', undefined, 'AB'],
    ['near;minDistance==15000', 'Point', '[13.388930, 52.534473]', undefined, 'CDE'],
    ['within', 'Polygon', holed, undefined, 'CE'],
    ['contains', 'Point', '[2,2]', undefined, 'CE'],
    ['intersects', 'Point', '[13.3986, 52.5547]', undefined, 'A'],
    ['equals', 'Point', '[13.3986, 52.5547]', undefined, 'A'],
    ['disjoint', 'Point', '[13.3986, 52.5547]', undefined, 'BCDE'],
    ['overlaps', 'Polygon', '[[[9,9],[12,9],[12,12],[9,12],[9,9]]]', undefined, 'C'],
    ['near;maxDistance==2000', 'Point', '[8,40]', 'observationSpace', 'D'],
    ['near;maxDistance==2000', 'Point', '[8,40]', undefined, ''],
    // ~56.7 km from the line, but ~62.7 km from its first vertex: distance is to the geometry.
    ['near;maxDistance==60000', 'LineString', '[[13.0,52.0],[14.0,52.0]]', undefined, 'B'],
  ])(
    'geoQ %s %s %s (geoproperty %s) selects %s',
    async (georel, geometry, coordinates, geoproperty, letters) => {
      const query = parseGeoQuery({ georel, geometry, coordinates, geoproperty }, { expand });
      if (!query) throw new Error('no geo-query');
      const selected = await select((params) => geoQueryToSql(query, 'e', params));
      expect(selected).toEqual([...letters].map((l) => `urn:ngsi-ld:T:${l}`));
    },
  );

  it('a type + equality q over 5,000 entities can use the GIN index on attrs', async () => {
    const rows = Array.from({ length: 5000 }, (_, i) => ({
      id: `urn:ngsi-ld:Car:${i}`,
      attrs: {
        [expand('name')]: [{ type: 'Property', value: `car ${i}` }],
        [expand('speed')]: [{ type: 'Property', value: i % 50 }],
      },
    }));
    await client.query(`INSERT INTO tenant (name) VALUES ('bulk') ON CONFLICT DO NOTHING`);
    await client.query(
      `INSERT INTO entity (tenant, id, types, attrs, created_at, modified_at)
       SELECT 'bulk', r.id, ARRAY[$2], r.attrs, now(), now() FROM jsonb_to_recordset($1::jsonb) AS r(id text, attrs jsonb)`,
      [JSON.stringify(rows), expand('Car')],
    );
    await client.query('ANALYZE entity');
    const params = new SqlParams();
    const condition = qToSql(parseQ('name=="car 1234"', Q_OPTIONS), 'e', params);
    const sql = `SELECT e.id FROM entity e WHERE e.tenant = ${params.add('bulk')} AND e.types && ${params.add([expand('Car')], 'text[]')} AND ${condition}`;
    const { rows: found } = await client.query<{ id: string }>(sql, params.values);
    expect(found.map((r) => r.id)).toEqual(['urn:ngsi-ld:Car:1234']);
    const { rows: plan } = await client.query<{ 'QUERY PLAN': unknown }>(
      `EXPLAIN (FORMAT JSON) ${sql}`,
      params.values,
    );
    expect(JSON.stringify(plan[0]['QUERY PLAN'])).toContain('entity_attrs_idx');
  });
});
