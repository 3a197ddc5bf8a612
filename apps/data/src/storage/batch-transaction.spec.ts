import { combined } from './batch-transaction';

describe('combined deferred writes', () => {
  it('leaves one statement as it is', () => {
    const statement = { query: 'DELETE FROM entity WHERE pk = ANY($1::bigint[])', values: [[1, 2]] };
    expect(combined([statement])).toBe(statement);
  });

  it('makes all but the last a data-modifying CTE, placeholders renumbered after the ones before', () => {
    const { query, values } = combined([
      { query: 'UPDATE entity SET attrs = $2::jsonb WHERE pk = $1', values: [7, '{}'] },
      { query: 'INSERT INTO outbox_event (id) VALUES ($1)', values: ['a'] },
      { query: 'INSERT INTO attribute_instance (tenant, attr) VALUES ($1, $2), ($1, $3)', values: ['alpha', 'x', 'y'] },
    ]);
    expect(query).toBe(
      'WITH w0 AS (UPDATE entity SET attrs = $2::jsonb WHERE pk = $1),\nw1 AS (INSERT INTO outbox_event (id) VALUES ($3))\nINSERT INTO attribute_instance (tenant, attr) VALUES ($4, $5), ($4, $6)',
    );
    expect(values).toEqual([7, '{}', 'a', 'alpha', 'x', 'y']);
  });

  it('refuses what it cannot renumber or nest', () => {
    const other = { query: 'DELETE FROM tenant WHERE name = $1', values: ['x'] };
    expect(() => combined([{ query: "SELECT '$'", values: [] }, other])).toThrow(/placeholders/);
    expect(() => combined([{ query: 'DELETE FROM t WHERE a = $2', values: [1] }, other])).toThrow(/\$2 has no value/);
    expect(() => combined([{ query: 'WITH x AS (SELECT 1) DELETE FROM t', values: [] }, other])).toThrow(/WITH/);
  });
});
