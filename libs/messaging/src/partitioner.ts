import type { ICustomPartitioner, PartitionerArgs } from 'kafkajs';

const SEED = 0x9747b28c;
const M = 0x5bd1e995;
// eslint-disable-next-line no-control-regex -- the whole 7-bit range is the point
const ASCII = /^[\x00-\x7f]*$/;

/**
 * murmur2 of the key's UTF-8 bytes, exactly as Kafka's Java client computes it
 * (`Utils.murmur2`), in 32-bit integer arithmetic. kafkajs's own implementation gives the same
 * number but builds a 64-bit `Long` object for every step, a few kilobytes of garbage per message.
 */
export function murmur2(key: Buffer | string): number {
  let data: Uint8Array | string = key;
  if (typeof key === 'string' && !ASCII.test(key)) data = Buffer.from(key, 'utf8');
  // An ASCII string's UTF-16 code units are its UTF-8 bytes: no buffer needed.
  const byte =
    typeof data === 'string'
      ? (i: number) => (data as string).charCodeAt(i)
      : (i: number) => (data as Uint8Array)[i] as number;
  const length = data.length;
  let h = SEED ^ length;
  const length4 = length >>> 2;
  for (let i = 0; i < length4; i++) {
    const i4 = i << 2;
    let k = byte(i4) | (byte(i4 + 1) << 8) | (byte(i4 + 2) << 16) | (byte(i4 + 3) << 24);
    k = Math.imul(k, M);
    k ^= k >>> 24;
    k = Math.imul(k, M);
    h = Math.imul(h, M) ^ k;
  }
  // The last 1-3 bytes (Java's switch with fall-through).
  const tail = length & ~3;
  const rest = length & 3;
  if (rest > 0) {
    if (rest === 3) h ^= byte(tail + 2) << 16;
    if (rest >= 2) h ^= byte(tail + 1) << 8;
    h ^= byte(tail);
    h = Math.imul(h, M);
  }
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}

/**
 * The partitioning of kafkajs's `DefaultPartitioner` (the Java client's): a message's own partition
 * if it names one, else murmur2 of its key, made positive, modulo the topic's partition count;
 * without a key, round robin over the partitions that have a leader. Same partitions, so a key
 * lands where any other client puts it, without the garbage of kafkajs's version (64-bit `Long`
 * arithmetic and a filtered copy of the partition list for every message).
 */
export const KeyHashPartitioner: ICustomPartitioner = () => {
  const counters = new Map<string, number>();
  return ({ topic, partitionMetadata, message }: PartitionerArgs): number => {
    if (message.partition !== null && message.partition !== undefined) return message.partition;
    if (message.key !== null && message.key !== undefined) {
      return (murmur2(message.key) & 0x7fffffff) % partitionMetadata.length;
    }
    const next = (counters.get(topic) ?? Math.floor(Math.random() * 0x7fffffff)) + 1;
    counters.set(topic, next);
    const available = partitionMetadata.filter((partition) => partition.leader >= 0);
    if (available.length === 0) return (next & 0x7fffffff) % partitionMetadata.length;
    return (available[(next & 0x7fffffff) % available.length] as (typeof available)[number]).partitionId;
  };
};
