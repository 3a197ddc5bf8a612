import { Partitioners, type PartitionMetadata } from 'kafkajs';
import { randomBytes } from 'node:crypto';
import { KeyHashPartitioner, murmur2 } from './partitioner';

const metadata = (count: number): PartitionMetadata[] =>
  Array.from({ length: count }, (_, partitionId) => ({
    partitionErrorCode: 0,
    partitionId,
    leader: partitionId % 3,
    replicas: [0, 1, 2],
    isr: [0, 1, 2],
  }));

describe('KeyHashPartitioner', () => {
  it('puts every key where kafkajs (and the Java client) puts it', () => {
    const ours = KeyHashPartitioner();
    const kafkajs = Partitioners.DefaultPartitioner();
    const keys: (string | Buffer)[] = [
      '',
      'a',
      'ab',
      'abc',
      'demo/aq-17',
      'bench/meter-00042',
      'städtisch/straßenlaterne-ü',
      '東京/センサー',
      '🚦/crossing-9',
      ...Array.from(
        { length: 2000 },
        (_, i) => `tenant-${i % 7}/device-${i}-${randomBytes(i % 13).toString('hex')}`,
      ),
      ...Array.from({ length: 500 }, (_, i) => randomBytes(i % 40)),
      ...Array.from({ length: 500 }, () => randomBytes(24).toString('latin1')),
    ];
    for (const partitions of [1, 3, 7, 12, 64]) {
      const partitionMetadata = metadata(partitions);
      for (const key of keys) {
        const message = { key, value: 'v' };
        expect([key, ours({ topic: 't', partitionMetadata, message })]).toEqual([
          key,
          kafkajs({ topic: 't', partitionMetadata, message }),
        ]);
      }
    }
  });

  it('matches published murmur2 values of the Java client', () => {
    // From Kafka's UtilsTest.testMurmur2 (clients/src/test/java/org/apache/kafka/common/utils).
    expect(murmur2('21')).toBe(-973932308);
    expect(murmur2('foobar')).toBe(-790332482);
    expect(murmur2('a-little-bit-long-string')).toBe(-985981536);
    expect(murmur2('a-little-bit-longer-string')).toBe(-1486304829);
    expect(murmur2('lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8')).toBe(-58897971);
    expect(murmur2(Buffer.from([97, 98, 99]))).toBe(479470107);
  });

  it("keeps a message's own partition and spreads keyless messages over partitions with a leader", () => {
    const partition = KeyHashPartitioner();
    const partitionMetadata = metadata(4).map((p) => (p.partitionId === 2 ? { ...p, leader: -1 } : p));
    expect(
      partition({ topic: 't', partitionMetadata, message: { key: 'k', value: 'v', partition: 3 } }),
    ).toBe(3);
    const chosen = new Set(
      Array.from({ length: 30 }, () => partition({ topic: 't', partitionMetadata, message: { value: 'v' } })),
    );
    expect([...chosen].sort()).toEqual([0, 1, 3]);
  });
});
