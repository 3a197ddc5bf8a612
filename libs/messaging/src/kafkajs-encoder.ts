// kafkajs 2.2.4 (pinned: no release since, ADR 0001) encodes each record, and each header of each
// record, with an Encoder of its own that starts with a zero-filled 512-byte `Buffer.alloc` (a
// separate ArrayBuffer each), and it writes every varint through a `Buffer.from([...])` and 64-bit
// `Long` objects. For an event with its four headers that is most of the CPU and of the garbage of
// producing it. This file makes the Encoder draw its buffers from Node's pool, unzeroed, and write
// varints in place. The bytes it produces are the same (kafkajs-encoder.spec.ts compares them with
// kafkajs's own encoder on random input); only ever the written part of a buffer is sent
// (`Encoder#buffer` is `buf.slice(0, offset)`), so unzeroed capacity is never on the wire.
import { readFileSync } from 'node:fs';

interface KafkajsEncoder {
  buf: Buffer;
  offset: number;
  ensureAvailable(length: number): void;
  writeUVarInt(value: number): KafkajsEncoder;
  writeVarInt(value: number): KafkajsEncoder;
  writeVarLong(value: unknown): KafkajsEncoder;
  writeEncoder(value: unknown): KafkajsEncoder;
  writeEncoderArray(value: unknown): KafkajsEncoder;
  writeVarIntArray(array: unknown[], type?: string): KafkajsEncoder;
}
interface KafkajsEncoderClass {
  new (initialSize?: number): KafkajsEncoder;
  prototype: KafkajsEncoder;
  nextPowerOfTwo(value: number): number;
  sizeOfVarLong(value: unknown): number;
}

/** The kafkajs version this was written against and tested with. */
const PATCHED_VERSION = '2.2.4';
/** kafkajs's initial capacity (511 rounded up to a power of two), now taken at the first write. */
const INITIAL_CAPACITY = 512;
/** Below this, a zigzag-encoded integer is still exact as a double (2^53). */
const EXACT = 2 ** 52;

function kafkajsVersion(): string | undefined {
  try {
    const manifest = JSON.parse(readFileSync(require.resolve('kafkajs/package.json'), 'utf8')) as {
      version?: string;
    };
    return manifest.version;
  } catch {
    return undefined;
  }
}

/** Zigzag of a safe integer below 2^52 in magnitude, as kafkajs's 64-bit zigzag gives it. */
const zigzag = (value: number): number => (value >= 0 ? value * 2 : -value * 2 - 1);
const isSmallInteger = (value: unknown): value is number =>
  typeof value === 'number' && Number.isInteger(value) && Math.abs(value) < EXACT;

const PATCHED = Symbol.for('urbis.kafkajs-encoder.patched');

function patch(Encoder: KafkajsEncoderClass & { [PATCHED]?: true }): void {
  if (Encoder[PATCHED]) return; // a second copy of this module: patched already
  Encoder[PATCHED] = true;
  const nextPowerOfTwo = Encoder.nextPowerOfTwo.bind(Encoder);
  const writeVarLong = Encoder.prototype.writeVarLong;
  const sizeOfVarLong = Encoder.sizeOfVarLong.bind(Encoder);

  // The constructor's only use of it: `this.buf = Buffer.alloc(Encoder.nextPowerOfTwo(initialSize))`.
  // An empty buffer costs nothing; the capacity comes with the first write.
  Encoder.nextPowerOfTwo = () => 0;

  Encoder.prototype.ensureAvailable = function ensureAvailable(this: KafkajsEncoder, length: number): void {
    const needed = this.offset + length;
    if (needed <= this.buf.length) return;
    // Below 4 KiB a slice of Node's shared pool; above, an unzeroed buffer of its own.
    const grown = Buffer.allocUnsafe(Math.max(INITIAL_CAPACITY, nextPowerOfTwo(needed)));
    this.buf.copy(grown, 0, 0, this.offset);
    this.buf = grown;
  };

  Encoder.prototype.writeUVarInt = function writeUVarInt(
    this: KafkajsEncoder,
    value: number,
  ): KafkajsEncoder {
    this.ensureAvailable(5);
    while ((value & 0xffffff80) !== 0) {
      this.buf[this.offset++] = (value & 0x7f) | 0x80;
      value >>>= 7;
    }
    this.buf[this.offset++] = value & 0x7f;
    return this;
  };

  Encoder.prototype.writeVarLong = function fastWriteVarLong(
    this: KafkajsEncoder,
    value: unknown,
  ): KafkajsEncoder {
    if (!isSmallInteger(value)) return writeVarLong.call(this, value);
    let remaining = zigzag(value);
    this.ensureAvailable(8);
    while (remaining >= 0x80) {
      this.buf[this.offset++] = (remaining % 0x80) | 0x80;
      remaining = Math.floor(remaining / 0x80);
    }
    this.buf[this.offset++] = remaining;
    return this;
  };

  // kafkajs copies an encoder into another through its `buffer` getter, a new Buffer view each
  // time; these copy the written bytes directly (same checks, same errors).
  const isEncoder = (value: unknown): value is KafkajsEncoder =>
    value != null && Buffer.isBuffer((value as KafkajsEncoder).buf);
  const append = (target: KafkajsEncoder, source: KafkajsEncoder): void => {
    source.buf.copy(target.buf, target.offset, 0, source.offset);
    target.offset += source.offset;
  };
  Encoder.prototype.writeEncoder = function writeEncoder(
    this: KafkajsEncoder,
    value: unknown,
  ): KafkajsEncoder {
    if (!isEncoder(value)) throw new Error('value should be an instance of Encoder');
    this.ensureAvailable(value.offset);
    append(this, value);
    return this;
  };
  Encoder.prototype.writeEncoderArray = function writeEncoderArray(
    this: KafkajsEncoder,
    value: unknown,
  ): KafkajsEncoder {
    if (!Array.isArray(value) || !value.every(isEncoder))
      throw new Error('all values should be an instance of Encoder[]');
    let length = 0;
    for (const encoder of value) length += encoder.offset;
    this.ensureAvailable(length);
    for (const encoder of value) append(this, encoder);
    return this;
  };
  const writeVarIntArray = Encoder.prototype.writeVarIntArray;
  Encoder.prototype.writeVarIntArray = function fastWriteVarIntArray(
    this: KafkajsEncoder,
    array: unknown[],
    type?: string,
  ): KafkajsEncoder {
    // kafkajs filters the array down to its objects first: a copy, even when all of them are
    if (type === 'object' || !array.every((item) => typeof item === 'object'))
      return writeVarIntArray.call(this, array, type);
    this.writeVarInt(array.length);
    return this.writeEncoderArray(array);
  };

  Encoder.sizeOfVarLong = (value: unknown): number => {
    if (!isSmallInteger(value)) return sizeOfVarLong(value);
    let remaining = zigzag(value);
    let bytes = 1;
    while (remaining >= 0x80) {
      bytes += 1;
      remaining = Math.floor(remaining / 0x80);
    }
    return bytes;
  };
}

function applyPatch(): boolean {
  if (kafkajsVersion() !== PATCHED_VERSION) return false;
  patch(require('kafkajs/src/protocol/encoder') as KafkajsEncoderClass);
  return true;
}

/** Whether kafkajs's encoder was patched (false for a kafkajs other than 2.2.4: then it is left as it is). */
export const kafkajsEncoderPatched: boolean = applyPatch();
