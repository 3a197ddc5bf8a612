// Decoded observations per second per codec, on one core (one Node thread, no I/O): the
// profile decoder on the Smart Data Models fixtures, alone and with what the consumer adds per
// event (the observation event built and validated against its contract).
//
//   node -r ts-node/register/transpile-only -r tsconfig-paths/register tools/bench/devices/decode-bench.ts [seconds-per-codec]
import { createEvent } from '@urbis/contracts';
import { OBSERVATION_FIXTURES } from '../../../apps/devices/src/codecs/__fixtures__/smart-data-models';
import { ProfileDecoder } from '../../../apps/devices/src/codecs/profile-decoder';
import { attributeMapping } from '../../../apps/devices/src/codecs/profile-definition';

const seconds = Number(process.argv[2] ?? 3);

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
    const decoder = new ProfileDecoder({
      id: fixture.profile.name,
      version: 1,
      entityType: fixture.entityType,
      codec: fixture.profile.codec,
      attributes: fixture.profile.attributes.map((a) => attributeMapping.parse(a)),
    });
    const uplink = {
      tenant: 'bench',
      deviceId: 'dev-1',
      payload: fixture.payload,
      receivedAt: new Date().toISOString(),
      fPort: fixture.fPort,
    };
    const codec = fixture.profile.codec.type;
    const decodeOnly = await measure(`${codec} ${fixture.entityType}: decode`, () => decoder.decode(uplink));
    const withEvent = await measure(`${codec} ${fixture.entityType}: decode + validated event`, async () => {
      const observation = await decoder.decode(uplink);
      return createEvent('devices.observation.decoded.v1', {
        tenant: 'bench',
        source: 'devices',
        payload: { deviceId: 'dev-1', ...observation },
      });
    });
    byCodec.set(codec, [...(byCodec.get(codec) ?? []), decodeOnly, withEvent]);
  }
  console.log('\nper codec (mean over its fixtures): decode | decode + validated event');
  for (const [codec, rates] of byCodec) {
    const decode = rates.filter((_, i) => i % 2 === 0);
    const full = rates.filter((_, i) => i % 2 === 1);
    const mean = (values: number[]) => Math.round(values.reduce((a, b) => a + b, 0) / values.length);
    console.log(
      `${codec.padEnd(12)} ${mean(decode).toLocaleString('en-US').padStart(10)} | ${mean(full).toLocaleString('en-US').padStart(10)} obs/s`,
    );
  }
}

void main();
