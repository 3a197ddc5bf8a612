import type { QNode } from './q-ast';
import { parseQ } from './q-parser';
import { QueryError } from './query-error';
import { EX, Q_OPTIONS } from './query-fixtures.test-helpers';

const parse = (q: string, expandValues?: string[]): QNode => parseQ(q, { ...Q_OPTIONS, expandValues });
const attr = (name: string, extra: Record<string, unknown> = {}) => ({
  kind: 'attribute',
  attribute: `${EX}${name}`,
  subAttributes: [],
  metadata: undefined,
  member: [],
  ...extra,
});

function refusal(q: string): QueryError {
  try {
    parse(q);
  } catch (error) {
    if (error instanceof QueryError) return error;
    throw error;
  }
  throw new Error(`q accepted: ${q}`);
}

describe('parseQ: the examples of clause 4.9', () => {
  it('reads a comparison with a number, a string, a boolean and a URI', () => {
    expect(parse('speed>50')).toEqual({
      kind: 'compare',
      target: attr('speed'),
      operator: '>',
      operand: { kind: 'value', value: { type: 'number', value: 50 } },
    });
    expect(parse('brandName=="Mercedes"')).toMatchObject({
      operand: { value: { type: 'string', value: 'Mercedes' } },
    });
    expect(parse('isParked==true')).toMatchObject({ operand: { value: { type: 'boolean', value: true } } });
    expect(parse('isParked==urn:ngsi-ld:OffStreetParking:Downtown1')).toMatchObject({
      operand: { value: { type: 'string', value: 'urn:ngsi-ld:OffStreetParking:Downtown1' } },
    });
  });

  it('gives ; (and) precedence over | (or), and parentheses group', () => {
    expect(parse('a==1|b==2;c==3')).toMatchObject({
      kind: 'or',
      operands: [
        { kind: 'compare' },
        { kind: 'and', operands: [{ target: attr('b') }, { target: attr('c') }] },
      ],
    });
    expect(parse('(a==1|b==2);c==3')).toMatchObject({
      kind: 'and',
      operands: [{ kind: 'or' }, { kind: 'compare', target: attr('c') }],
    });
    expect(parse('((a))')).toEqual({ kind: 'exists', target: attr('a'), negated: false });
  });

  it('reads ranges and value lists', () => {
    expect(parse('temperature==10..20')).toMatchObject({
      operand: { kind: 'range', from: { type: 'number', value: 10 }, to: { type: 'number', value: 20 } },
    });
    expect(parse('name=="a".."c"')).toMatchObject({
      operand: { kind: 'range', from: { value: 'a' }, to: { value: 'c' } },
    });
    expect(parse('color=="red","blue",3')).toMatchObject({
      operand: { kind: 'list', values: [{ value: 'red' }, { value: 'blue' }, { value: 3 }] },
    });
  });

  it('reads existence, non-existence and patterns', () => {
    expect(parse('speed')).toEqual({ kind: 'exists', target: attr('speed'), negated: false });
    expect(parse('!speed')).toEqual({ kind: 'exists', target: attr('speed'), negated: true });
    expect(parse('name~=Tow.*')).toEqual({
      kind: 'pattern',
      target: attr('name'),
      negated: false,
      pattern: 'Tow.*',
      ignoreCase: false,
    });
    expect(parse('name!~="(?i)^eiffel(tower)?"')).toMatchObject({
      negated: true,
      pattern: '^eiffel(tower)?',
      ignoreCase: true,
    });
    expect(parse('name~=(?i)a|b==1')).toMatchObject({
      kind: 'or',
      operands: [{ pattern: 'a', ignoreCase: true }, {}],
    });
  });

  it('reads sub-attributes, metadata and compound members', () => {
    expect(parse('speed.accuracy>1')).toMatchObject({
      target: attr('speed', { subAttributes: [`${EX}accuracy`] }),
    });
    expect(parse('speed.observedAt>2020-01-01T00:00:00Z')).toMatchObject({
      target: attr('speed', { metadata: 'observedAt' }),
    });
    expect(parse('sensor.rawdata[airquality.particulate]==40')).toMatchObject({
      target: attr('sensor', { subAttributes: [`${EX}rawdata`], member: ['airquality', 'particulate'] }),
    });
    expect(parse('address[city][street]')).toMatchObject({
      target: attr('address', { member: ['city', 'street'] }),
    });
    expect(parse('a[b[c].d]')).toMatchObject({ target: attr('a', { member: ['b', 'c', 'd'] }) });
    expect(parse('color[*]=="red"')).toMatchObject({ target: attr('color', { member: ['*'] }) });
    expect(parse('createdAt>2020-01-01T00:00:00Z')).toMatchObject({
      target: { kind: 'entity', member: 'createdAt' },
    });
  });

  it('expands names, prefixes and keeps IRIs, and expands values for expandValues', () => {
    expect(parse('ex:speed')).toMatchObject({ target: { attribute: `${EX}speed` } });
    expect(parse('https://uri.etsi.org/ngsi-ld/name=="x"')).toMatchObject({
      target: { attribute: 'https://uri.etsi.org/ngsi-ld/name' },
    });
    expect(parse('category==commercial', ['category'])).toMatchObject({
      operand: { value: { value: `${EX}commercial` } },
    });
    expect(parse('category==commercial')).toMatchObject({ operand: { value: { value: 'commercial' } } });
  });

  it('reads date, time and dateTime values, including a + that form-decoding turned into a space', () => {
    expect(parse('a>2018-12-04T12:00:00Z')).toMatchObject({
      operand: { value: { type: 'dateTime', text: '2018-12-04T12:00:00Z' } },
    });
    expect(parse('a>2018-12-04T12:00:00')).toMatchObject({
      operand: { value: { type: 'dateTime', text: '2018-12-04T12:00:00Z' } },
    });
    expect(parse('a>2018-12-04T12:00:00 02:00')).toMatchObject({
      operand: { value: { type: 'dateTime', text: '2018-12-04T12:00:00+02:00' } },
    });
    expect(parse('a==2018-12-04')).toMatchObject({
      operand: { value: { type: 'date', text: '2018-12-04' } },
    });
    expect(parse('a<12:00:00.5Z')).toMatchObject({
      operand: { value: { type: 'time', text: '12:00:00.5Z' } },
    });
    expect(parse('a.observedAt=="2018-12-04T12:00:00Z"')).toMatchObject({
      operand: { value: { type: 'dateTime' } },
    });
    expect(parse('a=="2018-12-04T12:00:00Z"')).toMatchObject({ operand: { value: { type: 'string' } } });
  });

  it('accepts spaces between tokens and still-percent-encoded text', () => {
    expect(parse(' a == 1 ; ( b | c ) ')).toMatchObject({ kind: 'and' });
    expect(parse('name%3D%3D%22Eiffel%20Tower%22%3Bspeed%3E50')).toMatchObject({
      kind: 'and',
      operands: [{ operand: { value: { value: 'Eiffel Tower' } } }, { operator: '>' }],
    });
    expect(parse('name=="100%25"')).toMatchObject({ operand: { value: { value: '100%25' } } });
  });
});

describe('parseQ refuses, saying where and what was expected', () => {
  it.each([
    ['', 1, 'expected a query term'],
    ['speed==', 8, 'expected a value'],
    ['speed=5', 6, '"==" for equality'],
    ['speed>>5', 7, 'expected a value'],
    ['(speed==5', 1, '"(" is never closed'],
    ['speed==5)', 9, '")" closes no "("'],
    ['speed==5 speed==6', 10, 'expected ";" (and), "|" (or)'],
    ['speed==5;', 10, 'expected an attribute name'],
    ['|speed', 1, 'expected an attribute name'],
    ['speed.', 7, 'a sub-attribute or metadata name'],
    ['address[city', 13, 'expected "." or "]"'],
    ['address[]', 9, 'a member name'],
    ['name=="Eiffel', 7, 'never closed'],
    ['speed>true', 7, 'true and false can only be compared with == or !='],
    ['speed>1..5', 8, 'a range can only follow == or !='],
    ['speed<1,2', 8, 'a list of values can only follow == or !='],
    ['speed==1.."a"', 11, 'both ends of a range must be of one type'],
    ['a==true..false', 4, 'a range needs numbers, strings or date/times'],
    ['speed==1e400', 8, 'not a finite number'],
    ['a>2018-13-04T12:00:00Z', 3, 'not a valid dateTime'],
    ['a>2019-02-29', 3, 'not a valid date'],
    ['a>25:00:00', 3, 'not a valid time'],
    ['name~=', 7, 'expected a regular expression'],
    ['name~="(a"', 7, 'is not valid'],
    ['name~=(a+)+$', 7, 'nests quantifiers'],
    ['name~=(a)\\1', 7, 'escape \\1'],
    ['name~=\\bword', 7, 'escape \\b'],
    ['name~=(?<n>a)', 7, 'named group'],
    ['speed.observedAt.x', 1, 'nothing can follow it'],
    ['speed.observedAt[a]', 1, 'nothing can follow it'],
    ['createdAt[a]', 1, 'it has no members'],
    ['createdAt~=x', 10, 'cannot match a pattern'],
    ['managedBy{name}=="x"', 10, 'linked-entity queries'],
    ['a==\u0000', 4, 'U+0000 is not allowed'],
    ['a=="\uD800"', 5, 'U+D800 is not allowed'],
  ])('%j at character %i: %s', (q, character, message) => {
    const error = refusal(q);
    expect(error.problemType).toBe('BadRequestData');
    expect(error.parameter).toBe('q');
    expect(error.message).toContain(message);
    expect(error.message).toContain(`character ${character}`);
    expect(error.position).toBe(character - 1);
  });

  it('answers TooComplexQuery past its limits', () => {
    expect(refusal(`${'('.repeat(40)}a${')'.repeat(40)}`).problemType).toBe('TooComplexQuery');
    expect(refusal(Array.from({ length: 300 }, (_, i) => `a${i}`).join(';')).problemType).toBe(
      'TooComplexQuery',
    );
    expect(refusal(`a==${Array.from({ length: 150 }, (_, i) => i).join(',')}`).problemType).toBe(
      'TooComplexQuery',
    );
    expect(refusal(`a=="${'x'.repeat(20_000)}"`).problemType).toBe('TooComplexQuery');
  });
});
