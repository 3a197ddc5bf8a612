/**
 * The few Cayenne LPP data types the district's bins send, as their firmware encodes them:
 * channel byte, type byte, big-endian value.
 */
export type LppEntry =
  | { channel: number; type: 'percentage'; value: number }
  | { channel: number; type: 'temperature'; value: number }
  | { channel: number; type: 'gps'; value: { latitude: number; longitude: number; altitude: number } };

const TYPE_ID = { percentage: 120, temperature: 103, gps: 136 } as const;

export function encodeLpp(entries: readonly LppEntry[]): Buffer {
  return Buffer.concat(
    entries.map((entry) => {
      const head = [entry.channel, TYPE_ID[entry.type]];
      switch (entry.type) {
        case 'percentage':
          return Buffer.from([...head, Math.round(Math.min(100, Math.max(0, entry.value)))]);
        case 'temperature': {
          const body = Buffer.alloc(2);
          body.writeInt16BE(Math.round(entry.value * 10));
          return Buffer.concat([Buffer.from(head), body]);
        }
        case 'gps': {
          const body = Buffer.alloc(9);
          body.writeIntBE(Math.round(entry.value.latitude * 10_000), 0, 3);
          body.writeIntBE(Math.round(entry.value.longitude * 10_000), 3, 3);
          body.writeIntBE(Math.round(entry.value.altitude * 100), 6, 3);
          return Buffer.concat([Buffer.from(head), body]);
        }
      }
    }),
  );
}
