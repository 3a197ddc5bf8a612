// Time to bulk-provision 10,000 devices through the HTTP API (CSV), on a devices service booted
// on the real components (fresh PostgreSQL database with the migrations, dev broker, dev IdP).
//
//   node -r ts-node/register/transpile-only -r tsconfig-paths/register tools/bench/devices/bulk-bench.ts [rows]
import { OBSERVATION_FIXTURES } from '../../../apps/devices/src/codecs/__fixtures__/smart-data-models';
import { startDevicesHarness } from '../../../apps/devices/src/test-support/harness.test-helpers';

async function main(): Promise<void> {
  const rows = Number(process.argv[2] ?? 10_000);
  const h = await startDevicesHarness();
  try {
    const profile = await h.call(
      'tenantAdmin',
      'POST',
      '/devices/v1/profiles',
      OBSERVATION_FIXTURES[0].profile,
    );
    if (profile.status !== 201) throw new Error(`profile: ${profile.status}`);
    const lines = ['externalId,name,profile,tags,latitude,longitude,devEui'];
    for (let i = 0; i < rows; i++) {
      const n = String(i).padStart(5, '0');
      lines.push(`B-${n},Sensor ${n},air-quality-station,city;aq,40.4${n},-3.7${n},70B3D57ED00${n}`);
    }
    const csv = lines.join('\n');
    const started = Date.now();
    const first = await h.call('operator', 'POST', '/devices/v1/devices:bulk', csv);
    const createdMs = Date.now() - started;
    const again = Date.now();
    const second = await h.call('operator', 'POST', '/devices/v1/devices:bulk', csv);
    const unchangedMs = Date.now() - again;
    console.log(`bulk provisioning, ${rows} CSV rows (${(csv.length / 1024).toFixed(0)} KiB):`);
    console.log(`  first run  ${createdMs} ms  ${JSON.stringify(first.body['summary'])}`);
    console.log(`  re-run     ${unchangedMs} ms  ${JSON.stringify(second.body['summary'])}`);
  } finally {
    await h.stop();
  }
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
