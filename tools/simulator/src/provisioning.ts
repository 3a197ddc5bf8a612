import type { DistrictPlan } from './district-plan';
import { DEVICE_KINDS, type DeviceKindName, type ProfileBody } from './kinds';
import { type BulkRow, PlatformApi, type ProfileView } from './platform-api';

/** Every simulated device carries this tag (and `kind=<kind>`), so the district can be found and told apart. */
export const SIMULATOR_TAG = 'urbis-simulator';

const BULK_MAX_ROWS = 10_000;

/** Runs `work` over the items, at most `limit` at a time. */
export async function inParallel<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  const worker = async () => {
    for (let item = queue.shift(); item !== undefined; item = queue.shift()) await work(item);
  };
  await Promise.all(Array.from({ length: Math.min(limit, queue.length) }, worker));
}

/** The profile a kind's devices get: the kind's own, with the reporting interval the district uses. */
export function profileFor(kind: DeviceKindName, tenant: string, intervalMs: number): ProfileBody {
  return { ...DEVICE_KINDS[kind].profile(tenant), expectedIntervalSeconds: Math.max(1, Math.ceil((intervalMs * 1.5) / 1000)) };
}

/** What the registry stores for a profile, for comparing with what the district wants. */
function comparable(profile: ProfileBody): string {
  return JSON.stringify({
    description: profile.description,
    entityType: profile.entityType,
    codec: profile.codec,
    attributes: profile.attributes.map((a) => ({ name: a.name, source: a.source, type: a.type ?? 'Property', unitCode: a.unitCode, scale: a.scale })),
    expectedIntervalSeconds: profile.expectedIntervalSeconds,
  });
}

export interface ProvisioningOptions {
  plan: DistrictPlan;
  api: PlatformApi;
  intervals: Record<DeviceKindName, number>;
  log: (line: string) => void;
}

const bulkRowOf = (device: DistrictPlan['devices'][number], profile: string): BulkRow => ({
  id: device.id,
  externalId: device.id,
  name: `${DEVICE_KINDS[device.kind].entityType} ${device.id}`,
  profile,
  tags: [SIMULATOR_TAG, `kind=${device.kind}`],
  location: { type: 'Point', coordinates: [device.location.longitude, device.location.latitude] },
  ...(device.devEui !== undefined && { lorawan: { devEui: device.devEui } }),
});

/**
 * Provisions the district through the public APIs, idempotently: the kinds' profiles (created,
 * or replaced when they differ), the devices in bulk (a device whose record changed is
 * updated), every device activated, and a fresh token for each MQTT and HTTP device (older
 * tokens stop working at once). Resolves to the tokens once connectivity knows the devices.
 */
export async function provisionDistrict({ plan, api, intervals, log }: ProvisioningOptions): Promise<Map<string, string>> {
  const { tenant, devices } = plan;
  const kinds = [...new Set(devices.map((device) => device.kind))];

  const existing = new Map((await api.profiles()).map((profile) => [profile.name, profile]));
  const profiles = new Map<DeviceKindName, ProfileView>();
  for (const kind of kinds) {
    const wanted = profileFor(kind, tenant, intervals[kind]);
    const current = existing.get(wanted.name);
    if (!current) profiles.set(kind, await api.createProfile(wanted));
    else if (comparable(current) !== comparable(wanted)) profiles.set(kind, await api.replaceProfile(current.id, wanted));
    else profiles.set(kind, current);
  }
  log(`profiles: ${kinds.map((kind) => profiles.get(kind)?.name).join(', ')}`);

  const profileOf = (kind: DeviceKindName) => profiles.get(kind) as ProfileView;
  let created = 0;
  for (let start = 0; start < devices.length; start += BULK_MAX_ROWS) {
    const chunk = devices.slice(start, start + BULK_MAX_ROWS);
    const outcome = await api.bulkProvision(chunk.map((device) => bulkRowOf(device, profileOf(device.kind).name)));
    created += outcome.summary.created;
    const changed: string[] = [];
    const failed: string[] = [];
    for (const result of outcome.results) {
      if (result.status !== 'error') continue;
      const device = chunk[result.row - 1];
      if (device && result.reason?.includes('record differs')) changed.push(device.id);
      else failed.push(`${device?.id ?? `row ${result.row}`}: ${result.reason ?? 'refused'}`);
    }
    if (failed.length > 0) throw new Error(`bulk provisioning refused ${failed.length} devices:\n  ${failed.slice(0, 10).join('\n  ')}`);
    const byId = new Map(chunk.map((device) => [device.id, device]));
    await inParallel(changed, 8, async (id) => {
      const device = byId.get(id) as DistrictPlan['devices'][number];
      const { name, tags, location, lorawan } = bulkRowOf(device, profileOf(device.kind).name);
      await api.updateDevice(id, { name, tags, location, lorawan, profileId: profileOf(device.kind).id });
    });
    if (changed.length > 0) log(`devices: ${changed.length} updated to the district's plan`);
  }
  log(`devices: ${devices.length} in the registry (${created} new)`);

  const states = new Map((await api.devicesTagged(SIMULATOR_TAG)).map((device) => [device.id, device.state]));
  const decommissioned = devices.filter((device) => states.get(device.id) === 'decommissioned').map((device) => device.id);
  if (decommissioned.length > 0) {
    throw new Error(`devices ${decommissioned.slice(0, 5).join(', ')} are decommissioned and cannot report again; use another id prefix`);
  }
  const inactive = devices.filter((device) => states.get(device.id) !== 'active');
  await inParallel(inactive, 8, async (device) => {
    await api.changeLifecycle(device.id, 'active', 'city simulator');
  });
  if (inactive.length > 0) log(`devices: ${inactive.length} activated`);

  const tokens = new Map<string, string>();
  const withTokens = devices.filter((device) => DEVICE_KINDS[device.kind].transport !== 'lorawan');
  await inParallel(withTokens, 8, async (device) => {
    tokens.set(device.id, await api.issueCredential(device.id, 0));
  });
  log(`credentials: ${tokens.size} device tokens issued`);

  // Connectivity learns devices and tokens from Kafka; logging in before would be refused. The
  // registry snapshot is visible in its API; tokens are not, so they get a moment more.
  const issuedAt = Date.now();
  const last = devices[devices.length - 1];
  if (last) {
    const deadline = Date.now() + 120_000;
    while (!(await api.connectivityKnows(last.id))) {
      if (Date.now() > deadline) throw new Error(`connectivity did not learn device ${last.id} within 120 s`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
  if (tokens.size > 0) await new Promise((resolve) => setTimeout(resolve, Math.max(0, issuedAt + 1_500 - Date.now())));
  return tokens;
}
