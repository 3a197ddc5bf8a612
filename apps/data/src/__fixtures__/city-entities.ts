// Entities modelled on the Smart Data Models examples (normalized NGSI-LD), the project's own
// copies for tests that must run without ../shared. Their @contexts are served from a preloaded
// directory in the tests (the real ones live on GitHub, which these machines cannot reach).

export const PARKING_CONTEXT = 'https://raw.githubusercontent.com/smart-data-models/dataModel.Parking/master/context.jsonld';
export const ENVIRONMENT_CONTEXT = 'https://raw.githubusercontent.com/smart-data-models/dataModel.Environment/master/context.jsonld';

export const CITY_ENTITIES: Record<string, unknown>[] = [
  {
    id: 'urn:ngsi-ld:ParkingSpot:urbis:plaza-mayor:17',
    type: 'ParkingSpot',
    category: { type: 'Property', value: ['onStreet'] },
    location: { type: 'GeoProperty', value: { type: 'Point', coordinates: [-3.7074, 40.4155] } },
    name: { type: 'Property', value: 'PM-17' },
    refParkingSite: { type: 'Relationship', object: 'urn:ngsi-ld:ParkingSite:urbis:plaza-mayor' },
    status: { type: 'Property', value: 'occupied', observedAt: '2026-11-30T08:15:00Z', parkingPermit: { type: 'Property', value: 'residents' } },
    '@context': ['https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context.jsonld', PARKING_CONTEXT],
  },
  {
    id: 'urn:ngsi-ld:AirQualityObserved:urbis:escuelas-aguirre',
    type: 'AirQualityObserved',
    dateObserved: { type: 'Property', value: { '@type': 'DateTime', '@value': '2026-11-30T08:00:00Z' } },
    no2: { type: 'Property', value: 41.2, unitCode: 'GQ' },
    pm10: { type: 'Property', value: 17, unitCode: 'GQ' },
    address: { type: 'Property', value: { addressCountry: 'ES', addressLocality: 'Madrid', streetAddress: 'Calle de Alcala 219' } },
    location: { type: 'GeoProperty', value: { type: 'Point', coordinates: [-3.6823, 40.4215] } },
    refPointOfInterest: { type: 'Relationship', object: 'urn:ngsi-ld:PointOfInterest:urbis:retiro' },
    '@context': [ENVIRONMENT_CONTEXT],
  },
];
