// Time to bulk-provision 10,000 devices through the HTTP API (CSV), on a devices service booted
// on the real components (fresh PostgreSQL database with the migrations, dev broker, dev IdP),
// and side by side in the same run the reference: the same rows loaded into the same table with
// PostgreSQL's COPY (psql \copy) — no validation, no idempotency check, no events, no outbox.
//
//   node -r ts-node/register/transpile-only -r tsconfig-paths/register tools/bench/devices/bulk-bench.ts [rows]
import { execFileSync } from 'node:child_process';
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

    // The reference: the same rows, another tenant (its own copy of the profile), one COPY.
    const [{ id: profileId }] = await h.sql<{ id: string }>(
      `INSERT INTO device_profile (id, tenant, name, entity_type, codec, codec_config, attributes, expected_interval_seconds, limits, version, updated_at)
       SELECT gen_random_uuid(), 'copyref', name, entity_type, codec, codec_config, attributes, expected_interval_seconds, limits, version, now()
         FROM device_profile WHERE id = $1
       RETURNING id::text`,
      [profile.body['id']],
    );
    const copyRows = lines.slice(1).map((line) => {
      const [externalId, name, , tags, latitude, longitude, devEui] = line.split(',');
      const location = JSON.stringify({ type: 'Point', coordinates: [Number(longitude), Number(latitude)] });
      return [
        'copyref',
        externalId,
        externalId,
        name,
        profileId,
        `"{${(tags ?? '').split(';').join(',')}}"`,
        `"${location.replace(/"/g, '""')}"`,
        devEui,
        new Date().toISOString(),
      ].join(',');
    });
    const copyStarted = Date.now();
    execFileSync(
      'psql',
      [
        h.database.url,
        '-v',
        'ON_ERROR_STOP=1',
        '-c',
        '\\copy device (tenant, id, external_id, name, profile_id, tags, location, dev_eui, updated_at) FROM STDIN WITH (FORMAT csv)',
      ],
      { input: copyRows.join('\n') + '\n' },
    );
    const copyMs = Date.now() - copyStarted;
    const [{ copied }] = await h.sql<{ copied: number }>("SELECT count(*)::int AS copied FROM device WHERE tenant = 'copyref'");
    console.log(`  reference: the same ${copied} rows with COPY (psql \\copy, no checks, no events)  ${copyMs} ms`);
  } finally {
    await h.stop();
  }
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
