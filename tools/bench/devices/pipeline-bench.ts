// End-to-end decoding throughput of one devices service instance: uplink events on the dev
// broker in, observations durable in the outbox out (consumer, decoder, one transaction per
// batch with dedupe, observation + Device-entity events). Per codec, on a fresh database.
//
//   node -r ts-node/register/transpile-only -r tsconfig-paths/register tools/bench/devices/pipeline-bench.ts [uplinks-per-codec]
import { OBSERVATION_FIXTURES } from '../../../apps/devices/src/codecs/__fixtures__/smart-data-models';
import { DECODING_CONSUMER } from '../../../apps/devices/src/decoding/uplink-decoding.service';
import {
  startDevicesHarness,
  uplinkEvent,
} from '../../../apps/devices/src/test-support/harness.test-helpers';

async function main(): Promise<void> {
  const count = Number(process.argv[2] ?? 20_000);
  const codecs = ['json', 'cayenne-lpp', 'jsonata'];
  const h = await startDevicesHarness({ LOG_LEVEL: process.env['BENCH_LOG_LEVEL'] ?? 'silent' });
  try {
    for (const codec of codecs) {
      const fixture = OBSERVATION_FIXTURES.find((f) => f.profile.codec.type === codec);
      if (!fixture) throw new Error(`no ${codec} fixture`);
      const profile = await h.call('tenantAdmin', 'POST', '/devices/v1/profiles', fixture.profile);
      // 100 devices, so that keys spread over partitions as a city's would.
      const devices = Array.from({ length: 100 }, (_, i) => `${codec}-${i}`);
      const bulk = await h.call('operator', 'POST', '/devices/v1/devices:bulk', {
        devices: devices.map((id) => ({ id, externalId: id, profileId: profile.body['id'] })),
      });
      if ((bulk.body['summary'] as { created: number }).created !== devices.length)
        throw new Error('bulk failed');
      const before = await processed(h);
      const events = Array.from({ length: count }, (_, i) =>
        uplinkEvent('alpha', devices[i % devices.length], fixture.payload, {
          ...(fixture.fPort !== undefined && {
            transport: 'lorawan' as const,
            lorawan: {
              devEui: '70B3D57ED0000001',
              fCnt: i,
              fPort: fixture.fPort,
              networkServer: 'chirpstack-v4' as const,
              gateways: [{ gatewayId: 'gw-1' }],
            },
          }),
        }),
      );
      const started = Date.now();
      for (let i = 0; i < events.length; i += 1000)
        await h.publish('connectivity.uplink.received.v1', events.slice(i, i + 1000));
      const published = Date.now();
      for (let last = -1, stalled = 0; ;) {
        const now = (await processed(h)) - before;
        if (now >= count) break;
        stalled = now === last ? stalled + 1 : 0;
        if (stalled > 600) throw new Error(`${codec}: stalled at ${now} of ${count} decoded`);
        last = now;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const done = Date.now();
      console.log(
        `${codec.padEnd(12)} ${count} uplinks: published in ${published - started} ms, decoded and durable in ${done - started} ms = ${Math.round((count * 1000) / (done - started))} obs/s`,
      );
    }
  } finally {
    await h.stop();
  }
}

async function processed(h: Awaited<ReturnType<typeof startDevicesHarness>>): Promise<number> {
  const [row] = await h.sql<{ n: number }>(
    'SELECT count(*)::int AS n FROM processed_event WHERE consumer = $1',
    [DECODING_CONSUMER],
  );
  return row.n;
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
