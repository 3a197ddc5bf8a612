// The side-by-side reference for decode-bench: for each fixture, the simplest decoder one would
// write by hand for that one device type (the way an IoT-Agent JSON mapping or a network
// server's JS codec does it) — no profile compilation, no size, depth or time limits, no JSON
// checks. It must produce the same observation as the profile decoder (checked before timing),
// so the difference is what the platform's generality and guards cost.
import jsonata from 'jsonata';
import type { ObservationFixture } from '../../../apps/devices/src/codecs/__fixtures__/smart-data-models';
import type { DecodedObservation, RawUplink } from '../../../apps/devices/src/codecs/profile-decoder';

type Fields = Record<string, unknown>;

/** Cayenne LPP, only the types the fixtures use: [type byte, name, size, read]. */
const LPP: Record<number, [string, number, (b: Buffer, o: number) => unknown]> = {
  0x65: ['illuminance', 2, (b, o) => b.readUInt16BE(o)],
  0x67: ['temperature', 2, (b, o) => b.readInt16BE(o) / 10],
  0x68: ['humidity', 1, (b, o) => b.readUInt8(o) / 2],
  0x73: ['barometer', 2, (b, o) => b.readUInt16BE(o) / 10],
  0x78: ['percentage', 1, (b, o) => b.readUInt8(o)],
  0x88: [
    'gps',
    9,
    (b, o) => ({
      latitude: b.readIntBE(o, 3) / 10_000,
      longitude: b.readIntBE(o + 3, 3) / 10_000,
      altitude: b.readIntBE(o + 6, 3) / 100,
    }),
  ],
};

function lpp(bytes: Buffer): Fields {
  const fields: Fields = {};
  for (let offset = 0; offset + 2 <= bytes.length;) {
    const channel = bytes[offset] as number;
    const type = LPP[bytes[offset + 1] as number];
    if (!type) throw new Error(`LPP type ${bytes[offset + 1]} not handled by the reference`);
    fields[`${type[0]}_${channel}`] = type[2](bytes, offset + 2);
    offset += 2 + type[1];
  }
  return fields;
}

export function referenceDecoder(
  fixture: ObservationFixture,
): (uplink: RawUplink) => Promise<DecodedObservation> {
  const { profile } = fixture;
  const mappings = profile.attributes.map((a) => ({
    ...a,
    type: a.type ?? 'Property',
    path: a.source.split('.'),
  }));
  const codec = profile.codec;
  const fieldsOf: (uplink: RawUplink) => Promise<Fields> | Fields =
    codec.type === 'json'
      ? (uplink) => JSON.parse(uplink.payload.toString('utf8')) as Fields
      : codec.type === 'cayenne-lpp'
        ? (uplink) => lpp(uplink.payload)
        : (() => {
            const expression = jsonata(codec.expression);
            return async (uplink: RawUplink) => {
              const first = uplink.payload[0];
              const payload =
                first === 0x7b || first === 0x5b
                  ? (JSON.parse(uplink.payload.toString('utf8')) as unknown)
                  : null;
              return (await expression.evaluate({
                payload,
                bytes: [...uplink.payload],
                hex: uplink.payload.toString('hex'),
                fPort: uplink.fPort,
                deviceId: uplink.deviceId,
                receivedAt: uplink.receivedAt,
              })) as Fields;
            };
          })();
  return async (uplink) => {
    const fields = await fieldsOf(uplink);
    const attributes: DecodedObservation['attributes'] = [];
    for (const mapping of mappings) {
      let value: unknown = fields;
      for (const segment of mapping.path) value = (value as Fields | undefined)?.[segment];
      if (value === undefined || value === null) continue;
      if (mapping.type === 'GeoProperty') {
        const point = value as { latitude: number; longitude: number; type?: string };
        if (point.type === undefined)
          value = { type: 'Point', coordinates: [point.longitude, point.latitude] };
      } else if (mapping.scale !== undefined && typeof value === 'number') {
        value = Number((value * mapping.scale).toPrecision(12));
      }
      attributes.push({
        name: mapping.name,
        type: mapping.type,
        value: value as DecodedObservation['attributes'][number]['value'],
        ...(mapping.unitCode !== undefined && { unitCode: mapping.unitCode }),
        observedAt: uplink.receivedAt,
      });
    }
    return {
      entity: {
        id: `urn:ngsi-ld:${profile.entityType}:${uplink.tenant}:${uplink.deviceId}`,
        type: profile.entityType,
      },
      observedAt: uplink.receivedAt,
      attributes,
    };
  };
}
