import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { encodeCayenneLpp } from './cayenne-lpp';
import { DecodeError, ProfileDefinitionError } from './decode-error';
import { OBSERVATION_FIXTURES, type ObservationFixture } from './__fixtures__/smart-data-models';
import { ProfileDecoder, type RawUplink } from './profile-decoder';
import { attributeMapping, type DecodingProfile } from './profile-definition';

const receivedAt = '2026-11-22T10:00:00.000Z';

function decoderOf(fixture: Pick<ObservationFixture, 'profile'>): ProfileDecoder {
  return new ProfileDecoder({
    id: 'p',
    version: 1,
    entityType: fixture.profile.entityType,
    codec: fixture.profile.codec,
    attributes: fixture.profile.attributes.map((a) => attributeMapping.parse(a)),
  });
}

const uplink = (payload: Buffer, fPort?: number): RawUplink => ({
  tenant: 'alpha',
  deviceId: 'dev-1',
  payload,
  receivedAt,
  fPort,
});

describe('ProfileDecoder with the Smart Data Models fixtures', () => {
  it.each(OBSERVATION_FIXTURES.map((f) => [`${f.entityType} (${f.profile.codec.type})`, f] as const))(
    '%s decodes to the expected attributes',
    async (_name, fixture) => {
      const observation = await decoderOf(fixture).decode(uplink(fixture.payload, fixture.fPort));
      expect(observation.entity).toEqual({
        id: `urn:ngsi-ld:${fixture.entityType}:alpha:dev-1`,
        type: fixture.entityType,
      });
      expect(observation.observedAt).toBe(receivedAt);
      expect(observation.attributes).toEqual(fixture.expected.map((a) => ({ ...a, observedAt: receivedAt })));
    },
  );

  it('covers all three codecs', () => {
    expect(new Set(OBSERVATION_FIXTURES.map((f) => f.profile.codec.type))).toEqual(
      new Set(['json', 'cayenne-lpp', 'jsonata']),
    );
  });
});

describe('the fixtures against the Smart Data Models schemas (/work/shared/ngsi-ld/smart-data-models)', () => {
  const root = path.resolve(__dirname, '../../../../../shared/ngsi-ld/smart-data-models');
  const present = existsSync(root);
  const propertyNames = (value: unknown, into: Set<string>): Set<string> => {
    if (Array.isArray(value)) value.forEach((item) => propertyNames(item, into));
    else if (typeof value === 'object' && value !== null) {
      for (const [key, item] of Object.entries(value)) {
        if (key === 'properties' && typeof item === 'object' && item !== null) {
          Object.keys(item).forEach((name) => into.add(name));
        }
        propertyNames(item, into);
      }
    }
    return into;
  };

  (present ? it : it.skip).each(OBSERVATION_FIXTURES.map((f) => [f.entityType, f] as const))(
    '%s: every attribute the profile produces is a property of the model (skipped when the models are absent)',
    (entityType, fixture) => {
      const known = new Set<string>();
      // The model's own schema and the shared ones it refers to (common, weather, environment).
      for (const file of readdirSync(root).filter((name) => name.endsWith('.json'))) {
        propertyNames(JSON.parse(readFileSync(path.join(root, file), 'utf8')), known);
      }
      propertyNames(JSON.parse(readFileSync(path.join(root, entityType, 'schema.json'), 'utf8')), known);
      const example = JSON.parse(
        readFileSync(path.join(root, entityType, 'example-normalized.jsonld'), 'utf8'),
      );
      (Array.isArray(example) ? example : [example]).forEach((entity: object) =>
        Object.keys(entity).forEach((key) => known.add(key)),
      );
      // Readings a device adds that the model does not list (battery) are allowed when named as such.
      const unknown = fixture.profile.attributes
        .map((a) => a.name)
        .filter((name) => !known.has(name) && !/^battery/.test(name));
      expect(unknown).toEqual([]);
    },
  );
});

describe('ProfileDecoder: profiles that cannot work are refused when written', () => {
  const base: DecodingProfile = {
    id: 'p',
    version: 1,
    entityType: 'WeatherObserved',
    codec: { type: 'json' },
    attributes: [attributeMapping.parse({ name: 'temperature', source: 't' })],
  };

  const issuesOf = (profile: DecodingProfile) => {
    try {
      new ProfileDecoder(profile);
    } catch (error) {
      if (error instanceof ProfileDefinitionError) return error.issues;
      throw error;
    }
    return [];
  };

  it('a JSONata syntax error, with its position', () => {
    expect(issuesOf({ ...base, codec: { type: 'jsonata', expression: '{ "t": payload.temp ' } })).toEqual([
      { path: 'codec.expression', message: expect.stringMatching(/^JSONata S0\d+ at position \d+: /) },
    ]);
  });

  it('a Cayenne LPP source that maps to nothing', () => {
    const issues = issuesOf({
      ...base,
      codec: { type: 'cayenne-lpp' },
      attributes: [attributeMapping.parse({ name: 'temperature', source: 'temp_1' })],
    });
    expect(issues).toEqual([
      { path: 'attributes.0.source', message: expect.stringContaining('maps to nothing') },
    ]);
  });

  it('no attributes, duplicate attributes, scale or unitCode on a GeoProperty', () => {
    expect(issuesOf({ ...base, attributes: [] })).toEqual([
      { path: 'attributes', message: expect.any(String) },
    ]);
    const issues = issuesOf({
      ...base,
      attributes: [
        attributeMapping.parse({ name: 'temperature', source: 't' }),
        attributeMapping.parse({ name: 'temperature', source: 'u' }),
        attributeMapping.parse({
          name: 'location',
          source: 'g',
          type: 'GeoProperty',
          scale: 2,
          unitCode: 'MTR',
        }),
      ],
    });
    expect(issues.map((issue) => issue.path)).toEqual([
      'attributes.1.name',
      'attributes.2.scale',
      'attributes.2.unitCode',
    ]);
  });

  it('attribute names reserved by NGSI-LD, bad sources and unit codes fail the mapping schema', () => {
    expect(attributeMapping.safeParse({ name: 'id', source: 'x' }).success).toBe(false);
    expect(attributeMapping.safeParse({ name: 'ok', source: 'a..b' }).success).toBe(false);
    expect(attributeMapping.safeParse({ name: 'ok', source: 'a', unitCode: 'celsius' }).success).toBe(false);
  });
});

describe('ProfileDecoder: payloads that cannot be decoded', () => {
  const decode = (profile: Partial<DecodingProfile>, payload: Buffer) =>
    new ProfileDecoder(
      {
        id: 'p',
        version: 1,
        entityType: 'WeatherObserved',
        codec: { type: 'json' },
        attributes: [attributeMapping.parse({ name: 'temperature', source: 't' })],
        ...profile,
      },
      { maxPayloadBytes: 1024, jsonata: { timeoutMs: 50, maxDepth: 100, maxSequence: 1000 } },
    ).decode(uplink(payload));

  it('not JSON, not an object, or nothing mapped', async () => {
    await expect(decode({}, Buffer.from('{"t": '))).rejects.toThrow(/json: payload is not JSON/);
    await expect(decode({}, Buffer.from('[1,2]'))).rejects.toThrow(/must be an object, got an array/);
    await expect(decode({}, Buffer.from('{"x": 1}'))).rejects.toThrow(
      /none of the profile's attributes \(t\)/,
    );
  });

  it('too large', async () => {
    await expect(decode({}, Buffer.alloc(2048, 0x20))).rejects.toThrow(
      /2048 bytes exceeds the 1024-byte limit/,
    );
  });

  it('a truncated or unknown Cayenne LPP frame', async () => {
    const cayenne = {
      codec: { type: 'cayenne-lpp' as const },
      attributes: [attributeMapping.parse({ name: 'temperature', source: 'temperature_1' })],
    };
    const frame = encodeCayenneLpp([{ channel: 1, type: 'temperature', value: 21.5 }]);
    await expect(decode(cayenne, frame.subarray(0, 3))).rejects.toThrow(
      /temperature on channel 1 needs 2 bytes/,
    );
    await expect(decode(cayenne, Buffer.from([1, 250, 0]))).rejects.toThrow(
      /unknown data type 250 at byte 1/,
    );
    await expect(decode(cayenne, frame)).resolves.toMatchObject({ attributes: [{ value: 21.5 }] });
  });

  it('a JSONata expression that loops forever is stopped by its time limit', async () => {
    const started = Date.now();
    await expect(
      decode(
        { codec: { type: 'jsonata', expression: '($f := function($x) { $f($x) }; $f(1))' } },
        Buffer.from('{}'),
      ),
    ).rejects.toThrow(DecodeError);
    await expect(
      decode(
        {
          codec: {
            type: 'jsonata',
            expression: '($loop := function($i) { $i > 1e9 ? $i : $loop($i + 1) }; { "t": $loop(0) })',
          },
        },
        Buffer.from('{}'),
      ),
    ).rejects.toThrow(/exceeded its (50 ms time limit|recursion limit of 100)/);
    await expect(
      decode({ codec: { type: 'jsonata', expression: '{ "t": $count([1..100000]) }' } }, Buffer.from('{}')),
    ).rejects.toThrow(/sequence longer than 1000|D\d+/);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('a JSONata expression that throws, or returns no object', async () => {
    await expect(
      decode({ codec: { type: 'jsonata', expression: '$error("bad frame")' } }, Buffer.from('{}')),
    ).rejects.toThrow(/jsonata: expression D3137: bad frame/);
    await expect(decode({ codec: { type: 'jsonata', expression: '42' } }, Buffer.from('{}'))).rejects.toThrow(
      /must be an object, got number/,
    );
  });

  it('a GeoProperty that is not a position, a Relationship that is not a URI', async () => {
    await expect(
      decode(
        { attributes: [attributeMapping.parse({ name: 'location', source: 'g', type: 'GeoProperty' })] },
        Buffer.from('{"g": "here"}'),
      ),
    ).rejects.toThrow(/GeoProperty needs GeoJSON/);
    await expect(
      decode(
        { attributes: [attributeMapping.parse({ name: 'refDevice', source: 'r', type: 'Relationship' })] },
        Buffer.from('{"r": "not a uri"}'),
      ),
    ).rejects.toThrow(/Relationship needs a URI/);
  });
});
