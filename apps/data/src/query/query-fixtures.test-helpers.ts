import type { StoredAttribute, StoredEntity } from '../ngsi-ld/stored';
import type { QParseOptions } from './q-parser';

/** A stand-in @context: terms and `ex:` names under https://example.org/, IRIs unchanged. */
export const EX = 'https://example.org/';
export const expand = (term: string): string =>
  /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(term) || term.startsWith('urn:')
    ? term
    : term.startsWith('ex:')
      ? `${EX}${term.slice(3)}`
      : `${EX}${term}`;
export const Q_OPTIONS: QParseOptions = { expand, expandVocab: expand };

const at = '2024-01-01T00:00:00.000Z';
const prop = (value: unknown, extra: Record<string, unknown> = {}): StoredAttribute => ({
  type: 'Property',
  value: value as StoredAttribute['value'],
  createdAt: at,
  modifiedAt: at,
  ...extra,
});
const attrs = (members: Record<string, StoredAttribute | StoredAttribute[]>): StoredEntity['attrs'] =>
  Object.fromEntries(Object.entries(members).map(([name, a]) => [expand(name), Array.isArray(a) ? a : [a]]));

function entity(
  id: string,
  type: string,
  times: [string, string],
  scopes: string[],
  members: Record<string, StoredAttribute | StoredAttribute[]>,
): StoredEntity {
  return {
    id,
    types: [expand(type)],
    scopes,
    attrs: attrs(members),
    createdAt: times[0],
    modifiedAt: times[1],
  };
}

/** Five entities covering every attribute type, multi-instance attributes, metadata and odd values. */
export const ENTITIES: StoredEntity[] = [
  entity(
    'urn:ngsi-ld:T:A',
    'Vehicle',
    ['2024-01-01T00:00:00.000Z', '2024-01-01T00:00:00.000Z'],
    ['/Madrid/Gardens/ParqueNorte', '/CompanyA/OrganizationB/UnitC'],
    {
      speed: [
        prop(120, { observedAt: '2020-08-01T12:00:00Z', unitCode: 'KMH', [expand('accuracy')]: prop(0.5) }),
        prop(118, { datasetId: 'urn:ds:gps' }),
      ],
      name: prop('Eiffel Tower'),
      almostFull: prop(false),
      address: prop({ city: 'Berlin', street: 'Ulrich Strasse', tags: ['a', 'b'] }),
      color: {
        type: 'LanguageProperty',
        languageMap: { fr: 'rouge', en: 'red', de: 'rot' },
        createdAt: at,
        modifiedAt: at,
      },
      category: { type: 'VocabProperty', vocab: `${EX}commercial`, createdAt: at, modifiedAt: at },
      managedBy: { type: 'Relationship', object: 'urn:ngsi-ld:Building:B', createdAt: at, modifiedAt: at },
      tags: { type: 'ListProperty', valueList: ['x', 'y', 3], createdAt: at, modifiedAt: at },
      config: { type: 'JsonProperty', json: { threshold: 10, mode: 'eco' }, createdAt: at, modifiedAt: at },
      dateObserved: prop({ '@type': 'DateTime', '@value': '2020-01-01T10:00:00Z' }),
      scores: prop([1, 5, 9]),
      location: {
        type: 'GeoProperty',
        value: { type: 'Point', coordinates: [13.3986, 52.5547] },
        createdAt: at,
        modifiedAt: at,
      },
    },
  ),
  entity(
    'urn:ngsi-ld:T:B',
    'Vehicle',
    ['2024-01-02T00:00:00.000Z', '2024-01-02T00:00:00.000Z'],
    ['/Madrid/Gardens'],
    {
      speed: prop(80, { observedAt: '2020-08-01T14:00:00+02:00' }),
      name: prop('Pisa Tower'),
      almostFull: prop(true),
      address: prop({ city: 'Paris' }),
      color: { type: 'LanguageProperty', languageMap: { en: 'blue' }, createdAt: at, modifiedAt: at },
      category: { type: 'VocabProperty', vocab: `${EX}residential`, createdAt: at, modifiedAt: at },
      managedBy: {
        type: 'Relationship',
        object: ['urn:ngsi-ld:Building:C', 'urn:ngsi-ld:Building:D'],
        createdAt: at,
        modifiedAt: at,
      },
      tags: { type: 'ListProperty', valueList: ['z'], createdAt: at, modifiedAt: at },
      dateObserved: prop('2021-06-01T00:00:00.5Z'),
      scores: prop(4),
      location: {
        type: 'GeoProperty',
        value: { type: 'Point', coordinates: [13.39, 52.51] },
        createdAt: at,
        modifiedAt: at,
      },
    },
  ),
  entity('urn:ngsi-ld:T:C', 'Building', ['2024-01-03T00:00:00.000Z', '2024-01-05T00:00:00.000Z'], [], {
    name: prop('zebra'),
    speed: prop('fast'),
    openingTime: prop('08:30:00Z'),
    foundation: prop('1889-03-31'),
    airQualityLevel: prop(4),
    neighbours: { type: 'ListRelationship', objectList: ['urn:a', 'urn:b'], createdAt: at, modifiedAt: at },
    location: {
      type: 'GeoProperty',
      value: {
        type: 'Polygon',
        coordinates: [
          [
            [0, 0],
            [10, 0],
            [10, 10],
            [0, 10],
            [0, 0],
          ],
          [
            [4, 4],
            [6, 4],
            [6, 6],
            [4, 6],
            [4, 4],
          ],
        ],
      },
      createdAt: at,
      modifiedAt: at,
    },
  }),
  entity(
    'urn:ngsi-ld:T:D',
    'Building',
    ['2024-01-04T00:00:00.000Z', '2024-01-05T00:00:00.000Z'],
    ['/CompanyB'],
    {
      name: prop('😀 smile'),
      airQualityLevel: prop(6),
      speed: prop(100.0),
      location: {
        type: 'GeoProperty',
        value: { type: 'Point', coordinates: [5, 5] },
        createdAt: at,
        modifiedAt: at,
      },
      observationSpace: {
        type: 'GeoProperty',
        value: { type: 'Point', coordinates: [8, 40] },
        createdAt: at,
        modifiedAt: at,
      },
    },
  ),
  entity(
    'urn:ngsi-ld:T:E',
    'Building',
    ['2024-01-05T00:00:00.000Z', '2024-01-05T00:00:00.000Z'],
    ['Madrid/Districts'],
    {
      name: prop('Ａ'),
      dateObserved: prop('2019-02-29T00:00:00Z'),
      weird: prop({ deep: [[1]] }),
      badTime: prop('25:00:00'),
      location: {
        type: 'GeoProperty',
        value: { type: 'Point', coordinates: [2, 2] },
        createdAt: at,
        modifiedAt: at,
      },
    },
  ),
];

export interface QCase {
  q: string;
  expected: string[];
  expandValues?: string[];
}

const ids = (letters: string): string[] => [...letters].map((l) => `urn:ngsi-ld:T:${l}`);

/** Each q with the entities (by letter) it must select; hand-derived from the spec's rules. */
export const Q_CASES: QCase[] = [
  ['speed==120', 'A'],
  ['speed==118', 'A'],
  ['speed==80', 'B'],
  ['speed>100', 'A'],
  ['speed>=100', 'AD'],
  ['speed<100', 'B'],
  ['speed==80..110', 'BD'],
  ['speed==100,120', 'AD'],
  ['speed!=120', 'BCD'],
  ['speed', 'ABCD'],
  ['!speed', 'E'],
  ['speed=="fast"', 'C'],
  ['name=="Eiffel Tower"', 'A'],
  ['name=="Pisa Tower"|name=="Eiffel Tower"', 'AB'],
  ['(name=="Pisa Tower"|name=="Eiffel Tower");almostFull==false', 'A'],
  ['name=="Pisa Tower";almostFull==false|airQualityLevel==6', 'D'],
  ['name~=Tower', 'AB'],
  ['name~="(?i)^eiffel"', 'A'],
  ['name!~=Tower', 'CDE'],
  ['name>"z"', 'CDE'],
  ['name>"Ａ"', 'D'],
  ['address[city]=="Berlin"', 'A'],
  ['address[postcode]=="Berlin"', ''],
  ['address[city]', 'AB'],
  ['address[tags]=="b"', 'A'],
  ['color[en]=="red"', 'A'],
  ['color[en]=="rouge"', ''],
  ['color[*]=="rouge"', 'A'],
  ['color=="rot"', 'A'],
  ['color[*]!="red"', 'B'],
  ['category==commercial', ''],
  ['category=="https://example.org/commercial"', 'A'],
  ['managedBy==urn:ngsi-ld:Building:B', 'A'],
  ['managedBy==urn:ngsi-ld:Building:D', 'B'],
  ['managedBy>"urn:a"', ''],
  ['managedBy=="urn:ngsi-ld:Building:B",urn:ngsi-ld:Building:C', 'AB'],
  ['managedBy~=Building', ''],
  ['tags=="y"', 'A'],
  ['tags==3', 'A'],
  ['config[threshold]>5', 'A'],
  ['config[mode]=="eco"', 'A'],
  ['dateObserved>2020-06-01T00:00:00Z', 'B'],
  ['dateObserved<2020-06-01T00:00:00Z', 'A'],
  ['dateObserved==2020-01-01T10:00:00.000Z', 'A'],
  ['dateObserved==2019-03-01T00:00:00Z', ''],
  ['dateObserved', 'ABE'],
  ['speed.observedAt==2020-08-01T12:00:00Z', 'AB'],
  ['speed.observedAt>2020-08-01T11:00:00Z', 'AB'],
  ['speed.observedAt>"2020-08-01T11:00:00Z"', 'AB'],
  ['speed.observedAt<2020-08-01T13:00:00 01:00', ''],
  ['speed.unitCode=="KMH"', 'A'],
  ['speed.accuracy==0.5', 'A'],
  ['speed.accuracy', 'A'],
  ['!speed.accuracy', 'BCDE'],
  ['speed.datasetId==urn:ds:gps', 'A'],
  ['openingTime>08:00:00Z', 'C'],
  ['openingTime>09:00:00+01:00', 'C'],
  ['openingTime<08:00:00Z', ''],
  ['foundation==1889-03-31', 'C'],
  ['foundation>1900-01-01', ''],
  ['badTime>00:00:00Z', ''],
  ['createdAt>2000-01-01T00:00:00Z', 'ABCDE'],
  ['modifiedAt<2024-01-03T00:00:00Z', 'AB'],
  ['createdAt==2024-01-02T00:00:00Z', 'B'],
  ['createdAt!=2024-01-02T00:00:00Z', 'ACDE'],
  ['airQualityLevel>=4;airQualityLevel<7', 'CD'],
  ['neighbours==urn:b', 'C'],
  ['scores==5', 'A'],
  ['scores==2..6', 'AB'],
  ['scores==6..8', ''],
  ['scores!=6..8', 'AB'],
  ['almostFull==true', 'B'],
  ['almostFull!=true', 'A'],
  ['location[type]=="Point"', 'ABDE'],
  ['https://example.org/name=="Eiffel Tower"', 'A'],
  ['ex:name=="Pisa Tower"', 'B'],
  ['name=="Eiffel Tower" | speed==80', 'AB'],
  ['speed==120;(name=="x"|speed.accuracy==0.5)', 'A'],
  ['weird[deep]==1', ''],
  ['weird[deep]', 'E'],
  ['name=="Eiffel Tower"|(speed>=100;(airQualityLevel==6|name~=smile))', 'AD'],
].map(([q, letters]) => ({ q, expected: ids(letters) }));

Q_CASES.push({ q: 'category==commercial', expected: ids('A'), expandValues: ['category'] });
Q_CASES.push({ q: 'category==commercial,residential', expected: ids('AB'), expandValues: ['category'] });

export interface ScopeCase {
  scopeQ: string;
  expected: string[];
}

export const SCOPE_CASES: ScopeCase[] = [
  ['/Madrid/Gardens', 'B'],
  ['/Madrid/#', 'ABE'],
  ['/Madrid/+', 'BE'],
  ['/Madrid/+/+', 'A'],
  ['/#', 'ABDE'],
  ['/CompanyB,/Madrid/Gardens', 'BD'],
  ['/CompanyB|/Madrid/Gardens', 'BD'],
  ['(/Madrid/Gardens/ParqueNorte;/CompanyA/OrganizationB/UnitC)', 'A'],
  ['(/Madrid/Gardens/ParqueNorte;/CompanyA/OrganizationB/UnitC)|/Madrid/Gardens/ParqueNorte', 'A'],
  ['(/Madrid/Gardens/ParqueNorte;/Nowhere/AtAll)', ''],
  ['/Madrid/Districts', 'E'],
  ['/+/Gardens', 'B'],
  ['/Madrid/Gardens;/CompanyA/#', ''],
  ['/Madrid/#;/CompanyA/#', 'A'],
].map(([scopeQ, letters]) => ({ scopeQ, expected: ids(letters) }));
