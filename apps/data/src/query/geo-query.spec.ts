import { parseGeoQuery, parseGeoRel } from './geo-query';
import { validateGeometry } from './geometry';
import { QueryError } from './query-error';
import { EX, expand } from './query-fixtures.test-helpers';

function refusal(run: () => unknown): QueryError {
  try {
    run();
  } catch (error) {
    if (error instanceof QueryError) return error;
    throw error;
  }
  throw new Error('accepted');
}

describe('parseGeoRel (clause 4.10)', () => {
  it('reads the seven relations and near with one distance', () => {
    for (const relation of ['within', 'contains', 'intersects', 'equals', 'disjoint', 'overlaps']) {
      expect(parseGeoRel(relation)).toEqual({ relation });
    }
    expect(parseGeoRel('near;maxDistance==2000')).toEqual({ relation: 'near', maxDistance: 2000 });
    expect(parseGeoRel('near;minDistance==15.5')).toEqual({ relation: 'near', minDistance: 15.5 });
    expect(parseGeoRel('near%3BmaxDistance%3D%3D10')).toEqual({ relation: 'near', maxDistance: 10 });
  });

  it.each([
    ['near', 'exactly one distance'],
    ['near;maxDistance==5;minDistance==1', 'exactly one distance'],
    ['near;maxDistance==0', 'positive number'],
    ['near;maxDistance==-100', 'positive number'],
    ['near;maxDistance==inf', 'positive number'],
    ['near;maxDistance==1e400', 'positive number'],
    ['near;distance==5', 'expected maxDistance'],
    ['touches', 'not a geo-relationship'],
  ])('refuses %j (%s)', (georel, message) => {
    const error = refusal(() => parseGeoRel(georel));
    expect(error.problemType).toBe('BadRequestData');
    expect(error.parameter).toBe('georel');
    expect(error.message).toContain(message);
  });
});

describe('parseGeoQuery', () => {
  it('is absent without georel, geometry and coordinates, and defaults geoproperty to location', () => {
    expect(parseGeoQuery({ geoproperty: 'place' }, { expand })).toBeUndefined();
    expect(
      parseGeoQuery(
        { georel: 'within', geometry: 'Polygon', coordinates: '[[[0,0],[1,0],[1,1],[0,0]]]' },
        { expand },
      ),
    ).toEqual({
      georel: { relation: 'within' },
      geometry: {
        type: 'Polygon',
        coordinates: [
          [
            [0, 0],
            [1, 0],
            [1, 1],
            [0, 0],
          ],
        ],
      },
      geoproperty: `${EX}location`,
    });
    expect(
      parseGeoQuery(
        {
          georel: 'near;maxDistance==1',
          geometry: 'Point',
          coordinates: [8, 40],
          geoproperty: 'observationSpace',
        },
        { expand },
      ),
    ).toMatchObject({
      geoproperty: `${EX}observationSpace`,
    });
  });

  it.each([
    [{ georel: 'within', geometry: 'Point' }, 'coordinates', 'coordinates is missing'],
    [{ coordinates: '[1,2]' }, 'georel', 'georel and geometry are missing'],
    [{ georel: 'within', geometry: 'Circle', coordinates: '[1,2]' }, 'geometry', 'must be one of Point'],
    [{ georel: 'within', geometry: 'Point', coordinates: '1,2' }, 'coordinates', 'not a JSON array'],
    [{ georel: 'within', geometry: 'Point', coordinates: '[[1,2]]' }, 'coordinates', 'must be a position'],
    [
      { georel: 'within', geometry: 'Point', coordinates: '[200,2]' },
      'coordinates',
      'longitude 200 is outside [-180, 180]',
    ],
    [
      { georel: 'within', geometry: 'Point', coordinates: '[2,-91]' },
      'coordinates',
      'latitude -91 is outside [-90, 90]',
    ],
    [
      { georel: 'within', geometry: 'Polygon', coordinates: '[[0,0],[1,0],[1,1],[0,0]]' },
      'coordinates',
      'must be an array of linear rings: arrays nested 3 deep, not 2',
    ],
    [
      { georel: 'within', geometry: 'Polygon', coordinates: '[[[0,0],[1,0],[1,1],[0,1]]]' },
      'coordinates',
      'is not closed',
    ],
    [
      { georel: 'within', geometry: 'Polygon', coordinates: '[[[0,0],[1,0],[0,0]]]' },
      'coordinates',
      'at least 4 positions',
    ],
    [
      { georel: 'within', geometry: 'LineString', coordinates: '[[0,0]]' },
      'coordinates',
      'at least 2 positions',
    ],
    [
      { georel: 'within', geometry: 'Point', coordinates: '[1,2]', geoproperty: 'a b' },
      'geoproperty',
      'not an attribute name',
    ],
  ])('refuses %j (%s: %s)', (input, parameter, message) => {
    const error = refusal(() => parseGeoQuery(input, { expand }));
    expect(error.problemType).toBe('BadRequestData');
    expect(error.parameter).toBe(parameter);
    expect(error.message).toContain(message);
  });
});

describe('validateGeometry (GeoProperty values)', () => {
  it('accepts the GeoJSON geometries, collections included, and keeps only their geometry members', () => {
    expect(validateGeometry({ type: 'Point', coordinates: [1, 2, 3], bbox: [0] })).toEqual({
      type: 'Point',
      coordinates: [1, 2, 3],
    });
    expect(
      validateGeometry({
        type: 'GeometryCollection',
        geometries: [{ type: 'MultiPoint', coordinates: [[1, 2]] }],
      }),
    ).toEqual({ type: 'GeometryCollection', geometries: [{ type: 'MultiPoint', coordinates: [[1, 2]] }] });
    expect(
      validateGeometry({
        type: 'MultiPolygon',
        coordinates: [
          [
            [
              [0, 0],
              [1, 0],
              [1, 1],
              [0, 0],
            ],
          ],
        ],
      }),
    ).toBeDefined();
  });

  it.each([
    ['a string', 'must be a GeoJSON geometry object'],
    [{ type: 'Feature', geometry: {} }, 'value.type must be one of'],
    [{ type: 'Point', coordinates: ['1', 2] }, 'value.coordinates must be a position'],
    [{ type: 'Point', coordinates: [1, 2, 3, 4] }, 'must have 2 or 3 numbers'],
    [{ type: 'MultiLineString', coordinates: [[[0, 0]]] }, 'value.coordinates[0] needs at least 2 positions'],
    [
      { type: 'GeometryCollection', geometries: [{ type: 'Point' }] },
      'value.geometries[0].coordinates must be a position',
    ],
  ])('refuses %j (%s)', (value, message) => {
    const error = refusal(() => validateGeometry(value));
    expect(error.problemType).toBe('BadRequestData');
    expect(error.message).toContain(message);
  });
});
