import { SqlParams } from '../storage/sql-params';
import { matchesQ } from './q-match';
import { parseQ } from './q-parser';
import { qToSql } from './q-sql';
import { QueryError } from './query-error';
import { ENTITIES, Q_CASES, Q_OPTIONS } from './query-fixtures.test-helpers';

/** mulberry32: a small seeded generator, so a failure can be replayed from its seed. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const ALPHABET = [
  ...'abcdeAZT019.,;|()[]{}=!<>~"\\ %:/#*+-_@$\'',
  '\u00e9',
  '\u{1F600}',
  '\t',
  '2020-01-01T00:00:00Z',
  '..',
  '==',
  '!~=',
  '(?i)',
  '%3D',
  '%22',
  '%',
];
const ATOMS = [
  'speed',
  'name',
  'address[city]',
  'color[*]',
  'speed.observedAt',
  'speed.accuracy',
  'createdAt',
  'ex:name',
  'https://example.org/tags',
  'config[mode]',
  'scores',
];
const VALUES = [
  '1',
  '-2.5e3',
  '"Eiffel Tower"',
  'true',
  'false',
  'urn:ngsi-ld:X:1',
  '2020-08-01T12:00:00Z',
  '2018-12-04',
  '12:00:00Z',
  '1..5',
  '"a".."z"',
  '1,2,3',
  'fast',
];
const ORDERED_VALUES = [
  '1',
  '-2.5e3',
  '"Eiffel Tower"',
  'urn:ngsi-ld:X:1',
  '2020-08-01T12:00:00Z',
  '2018-12-04',
  '12:00:00Z',
  'fast',
];
const OPS = ['==', '!=', '>', '>=', '<', '<=', '~=', '!~='];

function validQuery(next: () => number, depth = 0): string {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)];
  const roll = next();
  if (depth < 3 && roll < 0.25)
    return `(${validQuery(next, depth + 1)}${pick([';', '|'])}${validQuery(next, depth + 1)})`;
  if (depth < 3 && roll < 0.4)
    return `${validQuery(next, depth + 1)}${pick([';', '|'])}${validQuery(next, depth + 1)}`;
  const attribute = pick(ATOMS);
  if (roll < 0.5) return `${pick(['', '!'])}${attribute}`;
  const op = pick(OPS);
  if (op.includes('~')) {
    return `${attribute === 'createdAt' ? 'name' : attribute}${op}${pick(['Tow.*', '"(?i)^e"', 'x|y', 'a(b|c)'])}`;
  }
  const value = pick(op === '==' || op === '!=' ? VALUES : ORDERED_VALUES);
  return `${attribute}${op}${value}`;
}

function mutate(text: string, next: () => number): string {
  const chars = [...text];
  const edits = 1 + Math.floor(next() * 3);
  for (let i = 0; i < edits; i++) {
    const at = Math.floor(next() * (chars.length + 1));
    const kind = next();
    if (kind < 0.33) chars.splice(at, 1);
    else if (kind < 0.66) chars.splice(at, 0, ALPHABET[Math.floor(next() * ALPHABET.length)]);
    else if (chars.length > 1)
      [chars[at % chars.length], chars[(at + 1) % chars.length]] = [
        chars[(at + 1) % chars.length],
        chars[at % chars.length],
      ];
  }
  return chars.join('');
}

/** Parses, and when that succeeds also compiles and evaluates: nothing may throw but QueryError. */
function exercise(q: string): 'accepted' | 'refused' {
  try {
    const query = parseQ(q, Q_OPTIONS);
    const sql = qToSql(query, 'e', new SqlParams());
    expect(typeof sql).toBe('string');
    for (const entity of ENTITIES) matchesQ(query, entity);
    return 'accepted';
  } catch (error) {
    if (!(error instanceof QueryError)) throw new Error(`q ${JSON.stringify(q)} threw ${String(error)}`);
    expect(error.message).toMatch(/\S/);
    return 'refused';
  }
}

describe('q parser under random and mutated input', () => {
  const seed = Number(process.env['Q_FUZZ_SEED'] ?? 20261201);

  it(`random text only ever yields a query or a QueryError, quickly (seed ${seed})`, () => {
    const next = random(seed);
    let slowest = 0;
    for (let i = 0; i < 4000; i++) {
      const length = Math.floor(next() * 60);
      const q = Array.from({ length }, () => ALPHABET[Math.floor(next() * ALPHABET.length)]).join('');
      const started = performance.now();
      exercise(q);
      slowest = Math.max(slowest, performance.now() - started);
    }
    expect(slowest).toBeLessThan(250);
  });

  it(`generated queries parse, and their mutations yield a query or a QueryError (seed ${seed})`, () => {
    const next = random(seed + 1);
    const outcomes = { accepted: 0, refused: 0 };
    for (let i = 0; i < 3000; i++) {
      const q = validQuery(next);
      expect(exercise(q)).toBe('accepted');
      outcomes[exercise(mutate(q, next))]++;
    }
    for (const { q } of Q_CASES) for (let i = 0; i < 20; i++) outcomes[exercise(mutate(q, next))]++;
    // Both outcomes must occur, or the mutations test nothing.
    expect(outcomes.accepted).toBeGreaterThan(100);
    expect(outcomes.refused).toBeGreaterThan(100);
  });

  it('long and deeply nested input stays linear and bounded', () => {
    const started = performance.now();
    expect(exercise('('.repeat(10_000))).toBe('refused');
    expect(exercise(`name~=${'a'.repeat(5_000)}`)).toBe('refused');
    expect(exercise(`a==${'1,'.repeat(5_000)}1`)).toBe('refused');
    expect(exercise(`a[${'b.'.repeat(3_000)}c]`)).toBe('accepted');
    expect(exercise(`"${'\\"'.repeat(5_000)}`)).toBe('refused');
    expect(performance.now() - started).toBeLessThan(2_000);
  });
});
