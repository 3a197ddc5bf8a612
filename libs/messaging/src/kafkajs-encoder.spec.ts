import { randomBytes, randomInt } from 'node:crypto';
import { kafkajsEncoderPatched } from './kafkajs-encoder';

type Encoded = { buffer: Buffer };
type Encoder = Encoded & Record<string, (value: unknown) => Encoder>;
interface Protocol {
  Encoder: new () => Encoder;
  Record: (record: object) => Encoded;
  RecordBatch: (batch: object) => Promise<Encoded>;
  ProduceRequest: (request: object) => { encode(): Promise<Encoded> };
}

const load = (): Protocol => ({
  Encoder: require('kafkajs/src/protocol/encoder'),
  Record: require('kafkajs/src/protocol/recordBatch/record/v0'),
  RecordBatch: require('kafkajs/src/protocol/recordBatch/v0').RecordBatch,
  ProduceRequest: require('kafkajs/src/protocol/requests/produce/v3/request'),
});
/** What kafkajs encodes by itself: a fresh copy of its modules, which this lib has not patched. */
let original: Protocol | undefined;
jest.isolateModules(() => (original = load()));
/** Patched: the copy every kafkajs client of this registry uses. */
const patched = load();

const LONG = require('kafkajs/src/utils/long') as { fromString(value: string): unknown };

const randomString = () =>
  [
    '',
    'demo/aq-17',
    'städtisch/ü',
    '東京',
    '🚦',
    randomBytes(randomInt(0, 300)).toString('base64'),
    randomBytes(randomInt(0, 5000)).toString('hex'),
  ][randomInt(0, 7)] as string;
const randomValue = () => [null, randomString(), randomBytes(randomInt(0, 2000))][randomInt(0, 3)];
const INTEGERS = [
  0,
  1,
  -1,
  63,
  64,
  -64,
  -65,
  127,
  128,
  300,
  -300,
  2 ** 31 - 1,
  -(2 ** 31),
  2 ** 32,
  2 ** 40 + 7,
  -(2 ** 45) - 3,
  2 ** 52 - 1,
  -(2 ** 52 - 1),
  2 ** 52,
  2 ** 53 - 1,
  -(2 ** 53 - 1),
];

describe('kafkajs encoder patch', () => {
  it('applies to the kafkajs this workspace pins (2.2.4)', () => {
    expect(kafkajsEncoderPatched).toBe(true);
    expect(original?.Encoder).not.toBe(patched.Encoder);
  });

  it('writes every varint and varlong exactly as kafkajs does', () => {
    const o = original as Protocol;
    for (const value of [
      ...INTEGERS,
      ...Array.from({ length: 1000 }, (_, i) => Math.round((Math.random() * 2 - 1) * 2 ** (i % 53))),
    ]) {
      for (const method of [
        'writeVarLong',
        ...(Math.abs(value) < 2 ** 31 ? ['writeVarInt', 'writeUVarInt'] : []),
      ]) {
        const theirs = new o.Encoder()[method](value).buffer;
        const ours = new patched.Encoder()[method](value).buffer;
        expect([method, value, ours.toString('hex')]).toEqual([method, value, theirs.toString('hex')]);
      }
    }
    for (const value of ['9007199254740993', '-9223372036854775808', '9223372036854775807']) {
      const long = LONG.fromString(value);
      expect(new patched.Encoder().writeVarLong(long).buffer).toEqual(
        new o.Encoder().writeVarLong(long).buffer,
      );
    }
  });

  it('encodes random records, record batches and produce requests byte for byte as kafkajs does', async () => {
    const o = original as Protocol;
    for (let round = 0; round < 60; round++) {
      const records = Array.from({ length: randomInt(1, 40) }, (_, i) => ({
        key: randomValue(),
        value: randomValue(),
        headers: Object.fromEntries(
          Array.from({ length: randomInt(0, 6) }, (__, h) => [
            `header-${h}-${randomString().slice(0, 20)}`,
            h % 3 === 2
              ? [randomString(), randomBytes(randomInt(0, 90))]
              : h % 3 === 1
                ? randomBytes(randomInt(0, 90))
                : randomString(),
          ]),
        ),
        offsetDelta: i,
        timestampDelta: INTEGERS[randomInt(0, INTEGERS.length)] as number,
      }));
      for (const record of records) {
        expect(patched.Record(record).buffer.equals(o.Record(record).buffer)).toBe(true);
      }
      const batch = {
        records: records.map((record) => patched.Record(record)),
        firstTimestamp: 1796000000000,
        maxTimestamp: 1796000000000,
        producerId: 7,
        producerEpoch: 0,
        firstSequence: round,
      };
      const theirsBatch = { ...batch, records: records.map((record) => o.Record(record)) };
      expect(
        (await patched.RecordBatch(batch)).buffer.equals((await o.RecordBatch(theirsBatch)).buffer),
      ).toBe(true);
      const request = {
        acks: -1,
        timeout: 30_000,
        producerId: 7,
        producerEpoch: 0,
        topicData: [
          {
            topic: 'connectivity.uplink.received.v1',
            partitions: [
              {
                partition: round % 3,
                firstSequence: round,
                messages: records.map(({ key, value, headers }) => ({
                  key,
                  value,
                  headers,
                  timestamp: '1796000000000',
                })),
              },
            ],
          },
        ],
      };
      const ours = (await patched.ProduceRequest(request).encode()).buffer;
      const theirs = (await o.ProduceRequest(request).encode()).buffer;
      expect(ours.length).toBeGreaterThan(0);
      expect(ours.equals(theirs)).toBe(true);
    }
  });

  it('refuses what is not an encoder as kafkajs does', () => {
    const o = original as Protocol;
    for (const [method, value] of [
      ['writeEncoder', {}],
      ['writeEncoder', null],
      ['writeEncoderArray', [{}]],
      ['writeEncoderArray', 'x'],
      ['writeVarIntArray', [null]],
    ] as const) {
      const theirs = (() => {
        try {
          new o.Encoder()[method](value);
          return 'no error';
        } catch (error) {
          return (error as Error).message;
        }
      })();
      const ours = (() => {
        try {
          new patched.Encoder()[method](value);
          return 'no error';
        } catch (error) {
          return (error as Error).message;
        }
      })();
      expect([method, ours]).toEqual([method, theirs]);
      expect(theirs).not.toBe('no error');
    }
  });

  it('takes its buffers from the pool, and sends only what was written, never the unzeroed rest', () => {
    const encoder = new patched.Encoder() as Encoder & { buf: Buffer };
    expect(encoder.buf.length).toBe(0); // kafkajs: a zero-filled 512-byte ArrayBuffer of its own
    encoder.writeVarIntString('abc');
    expect(encoder.buf.length).toBe(512);
    expect(encoder.buf.buffer.byteLength).toBe(Buffer.poolSize); // a slice of Node's shared pool
    expect(encoder.buffer.toString('hex')).toBe('06616263');
  });
});
