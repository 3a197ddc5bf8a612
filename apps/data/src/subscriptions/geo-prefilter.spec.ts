import { parseGeoQuery } from '../query';
import { mayMatchGeoQuery } from './geo-prefilter';

const query = (georel: string, geometry = 'Point', coordinates: unknown = [-3.7038, 40.4168]) =>
  parseGeoQuery({ georel, geometry, coordinates }, { expand: (term) => term }) as NonNullable<
    ReturnType<typeof parseGeoQuery>
  >;
const point = (lon: number, lat: number) => ({ type: 'Point', coordinates: [lon, lat] });

describe('the bounding-box prefilter of geoQ', () => {
  it('lets through what can be within maxDistance, and only leaves out what cannot', () => {
    const near = query('near;maxDistance==150');
    expect(mayMatchGeoQuery(near, [point(-3.7038, 40.4168)])).toBe(true);
    expect(mayMatchGeoQuery(near, [point(-3.7038, 40.418)])).toBe(true); // ~130 m north
    expect(mayMatchGeoQuery(near, [point(-3.70215, 40.41806)])).toBe(true); // ~200 m north-east: in the box, PostGIS decides
    expect(mayMatchGeoQuery(near, [point(-3.69, 40.4168)])).toBe(false); // ~1.2 km east
    expect(mayMatchGeoQuery(near, [point(-3.7038, 40.43)])).toBe(false); // ~1.5 km north
    expect(mayMatchGeoQuery(near, [point(2.35, 48.85), point(-3.7038, 40.4169)])).toBe(true); // any instance
    expect(mayMatchGeoQuery(near, [])).toBe(false);
  });

  it('compares boxes for within, intersects and the other relations of a region', () => {
    const square = [
      [
        [-3.71, 40.41],
        [-3.7, 40.41],
        [-3.7, 40.42],
        [-3.71, 40.42],
        [-3.71, 40.41],
      ],
    ];
    for (const georel of ['within', 'intersects', 'contains', 'overlaps', 'equals']) {
      const region = query(georel, 'Polygon', square);
      expect([georel, mayMatchGeoQuery(region, [point(-3.705, 40.415)])]).toEqual([georel, true]);
      expect([georel, mayMatchGeoQuery(region, [point(-3.6, 40.415)])]).toEqual([georel, false]);
      expect([
        georel,
        mayMatchGeoQuery(region, [
          {
            type: 'LineString',
            coordinates: [
              [-3.8, 40.415],
              [-3.6, 40.415],
            ],
          },
        ]),
      ]).toEqual([georel, true]);
    }
  });

  it('never leaves out what a distant entity can satisfy, nor decides near the poles or the antimeridian', () => {
    expect(mayMatchGeoQuery(query('disjoint'), [point(-3.7038, 40.4168)])).toBe(true);
    expect(mayMatchGeoQuery(query('near;minDistance==100'), [point(150, -30)])).toBe(true);
    expect(mayMatchGeoQuery(query('near;maxDistance==1000', 'Point', [10, 85]), [point(-170, 85)])).toBe(
      true,
    );
    expect(mayMatchGeoQuery(query('near;maxDistance==100000', 'Point', [179.9, 0]), [point(-179.9, 0)])).toBe(
      true,
    );
    expect(mayMatchGeoQuery(query('near;maxDistance==100'), [{ type: 'Unknown' }])).toBe(true);
  });
});
