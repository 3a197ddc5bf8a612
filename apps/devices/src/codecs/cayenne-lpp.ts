import { DecodeError } from './decode-error';

type Reader = (bytes: Buffer, offset: number) => number | Record<string, number>;

interface LppType {
  name: string;
  size: number;
  read: Reader;
}

const s16 =
  (divisor: number): Reader =>
  (b, o) =>
    b.readInt16BE(o) / divisor;
const u16 =
  (divisor: number): Reader =>
  (b, o) =>
    b.readUInt16BE(o) / divisor;
const u32 =
  (divisor: number): Reader =>
  (b, o) =>
    b.readUInt32BE(o) / divisor;
const u8 =
  (divisor: number): Reader =>
  (b, o) =>
    b.readUInt8(o) / divisor;
const xyz =
  (divisor: number): Reader =>
  (b, o) => ({
    x: b.readInt16BE(o) / divisor,
    y: b.readInt16BE(o + 2) / divisor,
    z: b.readInt16BE(o + 4) / divisor,
  });
const round = (value: number, digits: number) => Number(value.toFixed(digits));

/** Cayenne LPP data types (IPSO object id − 3200), with the extended set most LoRaWAN stacks decode. */
export const LPP_TYPES: ReadonlyMap<number, LppType> = new Map<number, LppType>([
  [0, { name: 'digital_input', size: 1, read: u8(1) }],
  [1, { name: 'digital_output', size: 1, read: u8(1) }],
  [2, { name: 'analog_input', size: 2, read: s16(100) }],
  [3, { name: 'analog_output', size: 2, read: s16(100) }],
  [100, { name: 'generic_sensor', size: 4, read: u32(1) }],
  [101, { name: 'illuminance', size: 2, read: u16(1) }],
  [102, { name: 'presence', size: 1, read: u8(1) }],
  [103, { name: 'temperature', size: 2, read: s16(10) }],
  [104, { name: 'humidity', size: 1, read: u8(2) }],
  [113, { name: 'accelerometer', size: 6, read: xyz(1000) }],
  [115, { name: 'barometer', size: 2, read: u16(10) }],
  [116, { name: 'voltage', size: 2, read: u16(100) }],
  [117, { name: 'current', size: 2, read: u16(1000) }],
  [118, { name: 'frequency', size: 4, read: u32(1) }],
  [120, { name: 'percentage', size: 1, read: u8(1) }],
  [121, { name: 'altitude', size: 2, read: (b, o) => b.readInt16BE(o) }],
  [125, { name: 'concentration', size: 2, read: u16(1) }],
  [128, { name: 'power', size: 2, read: u16(1) }],
  [130, { name: 'distance', size: 4, read: u32(1000) }],
  [131, { name: 'energy', size: 4, read: u32(1000) }],
  [132, { name: 'direction', size: 2, read: u16(1) }],
  [133, { name: 'unixtime', size: 4, read: u32(1) }],
  [134, { name: 'gyrometer', size: 6, read: xyz(100) }],
  [135, { name: 'colour', size: 3, read: (b, o) => ({ r: b[o], g: b[o + 1], b: b[o + 2] }) }],
  [
    136,
    {
      name: 'gps',
      size: 9,
      read: (b, o) => ({
        latitude: round(b.readIntBE(o, 3) / 10_000, 4),
        longitude: round(b.readIntBE(o + 3, 3) / 10_000, 4),
        altitude: round(b.readIntBE(o + 6, 3) / 100, 2),
      }),
    },
  ],
  [142, { name: 'switch', size: 1, read: u8(1) }],
]);

export const LPP_TYPE_NAMES: ReadonlySet<string> = new Set([...LPP_TYPES.values()].map((type) => type.name));

/** A field a Cayenne LPP payload can produce: `<type>_<channel>` (channel 0–255). */
export function isCayenneField(field: string): boolean {
  const match = /^([a-z_]+)_(\d{1,3})$/.exec(field);
  return !!match && LPP_TYPE_NAMES.has(match[1]) && Number(match[2]) <= 255;
}

/**
 * Decodes a Cayenne LPP frame (channel, type, value…) into `{ "<type>_<channel>": value }`.
 * A truncated frame or an unknown type is a DecodeError naming the byte offset.
 */
export function decodeCayenneLpp(bytes: Buffer): Record<string, number | Record<string, number>> {
  if (bytes.length === 0) throw new DecodeError('cayenne-lpp: empty payload');
  const fields: Record<string, number | Record<string, number>> = {};
  let offset = 0;
  while (offset < bytes.length) {
    if (offset + 2 > bytes.length) throw new DecodeError(`cayenne-lpp: truncated header at byte ${offset}`);
    const channel = bytes[offset];
    const typeId = bytes[offset + 1];
    const type = LPP_TYPES.get(typeId);
    if (!type) throw new DecodeError(`cayenne-lpp: unknown data type ${typeId} at byte ${offset + 1}`);
    if (offset + 2 + type.size > bytes.length) {
      throw new DecodeError(
        `cayenne-lpp: ${type.name} on channel ${channel} needs ${type.size} bytes at byte ${offset + 2}, ${bytes.length - offset - 2} left`,
      );
    }
    fields[`${type.name}_${channel}`] = type.read(bytes, offset + 2);
    offset += 2 + type.size;
  }
  return fields;
}

/** Encodes fields the other way: for fixtures, tests and the benchmark. */
export function encodeCayenneLpp(
  entries: { channel: number; type: string; value: number | Record<string, number> }[],
): Buffer {
  const parts: Buffer[] = [];
  for (const { channel, type: name, value } of entries) {
    const [id, type] = [...LPP_TYPES.entries()].find(([, t]) => t.name === name) ?? [];
    if (id === undefined || !type) throw new RangeError(`unknown cayenne-lpp type ${name}`);
    const body = Buffer.alloc(type.size);
    const scalar = typeof value === 'number' ? value : 0;
    const v = typeof value === 'number' ? {} : value;
    switch (name) {
      case 'temperature':
        body.writeInt16BE(Math.round(scalar * 10));
        break;
      case 'analog_input':
      case 'analog_output':
        body.writeInt16BE(Math.round(scalar * 100));
        break;
      case 'humidity':
        body.writeUInt8(Math.round(scalar * 2));
        break;
      case 'barometer':
        body.writeUInt16BE(Math.round(scalar * 10));
        break;
      case 'voltage':
        body.writeUInt16BE(Math.round(scalar * 100));
        break;
      case 'current':
        body.writeUInt16BE(Math.round(scalar * 1000));
        break;
      case 'illuminance':
      case 'concentration':
      case 'power':
      case 'direction':
        body.writeUInt16BE(Math.round(scalar));
        break;
      case 'altitude':
        body.writeInt16BE(Math.round(scalar));
        break;
      case 'generic_sensor':
      case 'frequency':
      case 'unixtime':
        body.writeUInt32BE(Math.round(scalar));
        break;
      case 'distance':
      case 'energy':
        body.writeUInt32BE(Math.round(scalar * 1000));
        break;
      case 'gps':
        body.writeIntBE(Math.round((v['latitude'] ?? 0) * 10_000), 0, 3);
        body.writeIntBE(Math.round((v['longitude'] ?? 0) * 10_000), 3, 3);
        body.writeIntBE(Math.round((v['altitude'] ?? 0) * 100), 6, 3);
        break;
      case 'accelerometer':
      case 'gyrometer': {
        const divisor = name === 'accelerometer' ? 1000 : 100;
        body.writeInt16BE(Math.round((v['x'] ?? 0) * divisor), 0);
        body.writeInt16BE(Math.round((v['y'] ?? 0) * divisor), 2);
        body.writeInt16BE(Math.round((v['z'] ?? 0) * divisor), 4);
        break;
      }
      case 'colour':
        body.set([v['r'] ?? 0, v['g'] ?? 0, v['b'] ?? 0]);
        break;
      default:
        body.writeUInt8(Math.round(scalar));
    }
    parts.push(Buffer.from([channel, id]), body);
  }
  return Buffer.concat(parts);
}
