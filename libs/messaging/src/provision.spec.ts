import { Kafka } from 'kafkajs';
import { provisionTopics } from './provision';

/** A stand-in admin client recording calls: the logic under test is "list first, create only what is missing". */
function fakeKafka(existing: string[]) {
  const calls: string[][] = [];
  const admin = {
    connect: async () => undefined,
    disconnect: async () => undefined,
    listTopics: async () => existing,
    createTopics: async ({ topics }: { topics: { topic: string }[] }) => {
      calls.push(topics.map((t) => t.topic));
      return true;
    },
  };
  return { kafka: { admin: () => admin } as unknown as Kafka, calls };
}

describe('provisionTopics', () => {
  it('does not call createTopics when every topic exists', async () => {
    const { kafka, calls } = fakeKafka(['a', 'b']);
    await expect(
      provisionTopics(kafka, ['a', 'b'], { partitions: 3, replicationFactor: 3 }),
    ).resolves.toEqual([]);
    expect(calls).toEqual([]);
  });

  it('creates only the missing topics, once each', async () => {
    const { kafka, calls } = fakeKafka(['a']);
    await expect(
      provisionTopics(kafka, ['a', 'b', 'c', 'b'], { partitions: 3, replicationFactor: 3 }),
    ).resolves.toEqual(['b', 'c']);
    expect(calls).toEqual([['b', 'c']]);
  });
});
