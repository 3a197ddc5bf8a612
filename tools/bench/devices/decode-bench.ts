// Decoded observations per second per codec, on one core (one Node thread, no I/O): the
// profile decoder on the Smart Data Models fixtures, alone and with what the consumer adds per
// event (the observation event built and validated against its contract), side by side with a
// hand-written decoder of each fixture (reference-decoders.ts) in the same run.
//
//   node -r ts-node/register/transpile-only -r tsconfig-paths/register tools/bench/devices/decode-bench.ts [seconds-per-codec]
import { createEvent } from '@urbis/contracts';
import { isDeepStrictEqual } from 'node:util';
import { OBSERVATION_FIXTURES } from '../../../apps/devices/src/codecs/__fixtures__/smart-data-models';
import { DEFAULT_JSONATA_LIMITS } from '../../../apps/devices/src/codecs/jsonata-codec';
import { DEFAULT_DECODER_LIMITS, ProfileDecoder } from '../../../apps/devices/src/codecs/profile-decoder';
import { attributeMapping } from '../../../apps/devices/src/codecs/profile-definition';
import { referenceDecoder } from './reference-decoders';

const seconds = Number(process.argv[2] ?? 3);
// The guards run as in production; only JSONata's wall-clock limit is wider, because on a shared
// machine a descheduled evaluation would otherwise be cut off (that is the guard working, not the codec).
const BENCH_LIMITS = { ...DEFAULT_DECODER_LIMITS, jsonata: { ...DEFAULT_JSONATA_LIMITS, timeoutMs: 1000 } };

async function measure(label: string, run: () => Promise<unknown>): Promise<number> {
  for (let i = 0; i < 2000; i++) await run(); // warm-up (JIT, decoder caches)
  let count = 0;
  const started = process.hrtime.bigint();
  const until = started + BigInt(seconds * 1e9);
  while (process.hrtime.bigint() < until) {
    for (let i = 0; i < 500; i++) await run();
    count += 500;
  }
  const elapsed = Number(process.hrtime.bigint() - started) / 1e9;
  const rate = count / elapsed;
  console.log(`${label.padEnd(52)} ${Math.round(rate).toLocaleString('en-US').padStart(10)} obs/s`);
  return rate;
}

async function main(): Promise<void> {
  console.log(`node ${process.version}, ${seconds} s per measurement, one thread`);
  const byCodec = new Map<string, number[]>();
  for (const fixture of OBSERVATION_FIXTURES) {
    const decoder = new ProfileDecoder(
      {
        id: fixture.profile.name,
        version: 1,
        entityType: fixture.entityType,
        codec: fixture.profile.codec,
        attributes: fixture.profile.attributes.map((a) => attributeMapping.parse(a)),
      },
      BENCH_LIMITS,
    );
    const uplink = {
      tenant: 'bench',
      deviceId: 'dev-1',
      payload: fixture.payload,
      receivedAt: new Date().toISOString(),
      fPort: fixture.fPort,
    };
    const codec = fixture.profile.codec.type;
    const reference = referenceDecoder(fixture);
    const [ours, theirs] = [await decoder.decode(uplink), await reference(uplink)];
    if (!isDeepStrictEqual(ours, theirs)) {
      throw new Error(
        `the reference decodes ${fixture.entityType} differently:\n${JSON.stringify(ours)}\n${JSON.stringify(theirs)}`,
      );
    }
    const byHand = await measure(`${codec} ${fixture.entityType}: hand-written reference`, () =>
      reference(uplink),
    );
    const decodeOnly = await measure(`${codec} ${fixture.entityType}: decode`, () => decoder.decode(uplink));
    const withEvent = await measure(`${codec} ${fixture.entityType}: decode + validated event`, async () => {
      const observation = await decoder.decode(uplink);
      return createEvent('devices.observation.decoded.v1', {
        tenant: 'bench',
        source: 'devices',
        payload: { deviceId: 'dev-1', ...observation },
      });
    });
    byCodec.set(codec, [...(byCodec.get(codec) ?? []), decodeOnly, withEvent, byHand]);
  }
  console.log(
    '\nper codec (mean over its fixtures): decode | decode + validated event | hand-written reference',
  );
  for (const [codec, rates] of byCodec) {
    const column = (k: number) => rates.filter((_, i) => i % 3 === k);
    const mean = (values: number[]) =>
      Math.round(values.reduce((a, b) => a + b, 0) / values.length)
        .toLocaleString('en-US')
        .padStart(10);
    console.log(`${codec.padEnd(12)} ${mean(column(0))} | ${mean(column(1))} | ${mean(column(2))} obs/s`);
  }
}

void main();
