import { ActiveContext, type LocalContext } from '../contexts/active-context';
import { CORE_CONTEXT } from '../contexts/core-context';
import { NgsiLdError } from './errors';
import { parseAttributes, parseEntity } from './entity-input';

const context = ActiveContext.from([{ brand: 'https://vehicles.example/brand', Car: 'https://vehicles.example/Car' }, CORE_CONTEXT['@context'] as unknown as LocalContext]);
const options = { context, now: '2026-12-01T00:00:00.000Z' };
const DEFAULT = 'https://uri.etsi.org/ngsi-ld/default-context/';

describe('parseEntity', () => {
  it('expands names, infers concise attribute types and keeps values verbatim', () => {
    const parsed = parseEntity(
      { id: 'urn:ngsi-ld:Car:1', type: 'Car', brand: 'Seat', speed: { value: 80, unitCode: 'KMH' }, owner: { object: 'urn:ngsi-ld:Person:1' }, location: { type: 'Point', coordinates: [1, 2] } },
      { ...options, requireId: true, requireType: true },
    );
    expect(parsed.types).toEqual(['https://vehicles.example/Car']);
    expect(parsed.attrs['https://vehicles.example/brand']).toEqual([{ type: 'Property', value: 'Seat', createdAt: options.now, modifiedAt: options.now }]);
    expect(parsed.attrs[`${DEFAULT}speed`]?.[0]).toMatchObject({ type: 'Property', value: 80, unitCode: 'KMH' });
    expect(parsed.attrs[`${DEFAULT}owner`]?.[0]).toMatchObject({ type: 'Relationship', object: 'urn:ngsi-ld:Person:1' });
    expect(parsed.attrs['https://uri.etsi.org/ngsi-ld/location']?.[0]).toMatchObject({ type: 'GeoProperty', value: { type: 'Point', coordinates: [1, 2] } });
  });

  it('parses sub-attributes under their expanded names and vocab values as IRIs', () => {
    const parsed = parseEntity(
      { id: 'urn:a:1', type: 'T', state: { type: 'Property', value: 'on', brand: { type: 'Property', value: 'x' } }, kind: { type: 'VocabProperty', vocab: 'Car' } },
      { ...options, requireId: true, requireType: true },
    );
    expect(parsed.attrs[`${DEFAULT}state`]?.[0]?.['https://vehicles.example/brand']).toMatchObject({ type: 'Property', value: 'x' });
    expect(parsed.attrs[`${DEFAULT}kind`]?.[0]?.vocab).toBe('https://vehicles.example/Car');
  });

  it('keeps nulls for merge patches only', () => {
    expect(parseEntity({ gone: null }, { ...options, requireId: false, requireType: false, allowNull: true }).attrs[`${DEFAULT}gone`]).toBeNull();
    expect(() => parseEntity({ gone: null }, { ...options, requireId: false, requireType: false })).toThrow(NgsiLdError);
  });

  it('reads a partial update fragment without value or type', () => {
    const attrs = parseAttributes({ level: { observedAt: '2026-12-01T10:00:00Z' } }, { ...options, partial: true });
    expect(attrs[`${DEFAULT}level`]?.[0]).toEqual({ observedAt: '2026-12-01T10:00:00Z', createdAt: options.now, modifiedAt: options.now });
  });

  it.each([
    [{ id: 'urn:a:1', type: 'T', scope: 'Madrid' }, /scope/],
    [{ id: 'urn:a:1', type: 'T', n: { type: 'LanguageProperty', languageMap: { 'not a tag': 'x' } } }, /language tag/],
    [{ id: 'urn:a:1', type: 'T', n: { type: 'ListRelationship', objectList: ['not a uri'] } }, /URI/],
    [{ id: 'urn:a:1', type: 'T', n: { type: 'Property', value: 1, object: 'urn:x:1' } }, /cannot have a "object"/],
    [{ id: 'urn:a:1', type: [] }, /type must not be empty/],
  ])('refuses %j', (body, message) => {
    expect(() => parseEntity(body, { ...options, requireId: true, requireType: true })).toThrow(message);
  });
});
