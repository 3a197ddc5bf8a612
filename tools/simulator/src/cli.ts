import { parseArgs } from 'node:util';
import type { DistrictOptions } from './district';
import { DEVICE_KIND_NAMES, type DeviceKindName } from './kinds';
import { clientCredentials } from './platform-api';

export const USAGE = `Usage: node -r @swc-node/register tools/simulator/main.ts [options]

A simulated city district on a running Urbis (defaults: the local stack of \`npm start\`).

  --devices <n>            devices in all (default 300), split 40 % parking spots, 25 % streetlights,
                           15 % waste containers, 10 % air-quality stations, 10 % traffic counters
  --<kind> <n>             or a count per kind: --air-quality, --parking, --streetlights, --waste, --traffic
  --tenant <tenant>        default demo
  --issuer <url>           realm URL (default http://127.0.0.1:8180/realms/urbis)
  --client-id <id>         client with tenant-admin or platform-admin (default urbis-dev-admin)
  --client-secret <secret> (default urbis-dev-secret; or URBIS_CLIENT_SECRET)
  --devices-url <url>      default http://127.0.0.1:8082
  --connectivity-url <url> default http://127.0.0.1:8081
  --mqtt-url <url>         default mqtt://127.0.0.1:1884
  --lorawan-secret <s>     the tenant's LoRaWAN webhook secret (or URBIS_LORAWAN_WEBHOOK_SECRET)
  --seed <n>               default 1: the same seed, the same district
  --silent <share>         share of devices that fall silent (default 0.03)
  --faults <rate>          chance per reading of a device fault (default 0.01)
  --interval-scale <x>     multiplies every reporting interval (default 1; 0.1 = ten times the traffic)
  --speed <x>              simulated seconds per second for the daily cycles (default 1)
  --id-prefix <p>          prepended to device ids
  --stats-every <s>        print the counts every s seconds (default 30; 0: never)
  --help

Prints "SIMULATOR ready {...}" once provisioned and connected; Ctrl-C stops it.`;

const KIND_FLAGS: Record<string, DeviceKindName> = {
  'air-quality': 'airQuality',
  parking: 'parkingSpot',
  streetlights: 'streetlight',
  waste: 'wasteContainer',
  traffic: 'trafficCounter',
};

export interface CliSettings {
  district: DistrictOptions;
  statsEverySeconds: number;
}

/** The CLI's flags into the district's options; throws a message naming the bad flag. */
export function parseCli(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): CliSettings | 'help' {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    options: {
      devices: { type: 'string' },
      ...Object.fromEntries(Object.keys(KIND_FLAGS).map((flag) => [flag, { type: 'string' as const }])),
      tenant: { type: 'string', default: 'demo' },
      issuer: { type: 'string', default: 'http://127.0.0.1:8180/realms/urbis' },
      'client-id': { type: 'string', default: 'urbis-dev-admin' },
      'client-secret': { type: 'string' },
      'devices-url': { type: 'string', default: 'http://127.0.0.1:8082' },
      'connectivity-url': { type: 'string', default: 'http://127.0.0.1:8081' },
      'mqtt-url': { type: 'string', default: 'mqtt://127.0.0.1:1884' },
      'lorawan-secret': { type: 'string' },
      seed: { type: 'string', default: '1' },
      silent: { type: 'string', default: '0.03' },
      faults: { type: 'string', default: '0.01' },
      'interval-scale': { type: 'string', default: '1' },
      speed: { type: 'string', default: '1' },
      'id-prefix': { type: 'string', default: '' },
      'stats-every': { type: 'string', default: '30' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) return 'help';
  const number = (flag: string, min: number, max: number): number => {
    const raw = (values as Record<string, string | boolean | undefined>)[flag];
    const value = Number(raw);
    if (typeof raw !== 'string' || raw.trim() === '' || !Number.isFinite(value) || value < min || value > max) {
      throw new Error(`--${flag}: expected a number from ${min} to ${max}, got ${String(raw)}`);
    }
    return value;
  };
  const perKind = Object.entries(KIND_FLAGS).filter(([flag]) => (values as Record<string, unknown>)[flag] !== undefined);
  if (perKind.length > 0 && values.devices !== undefined) throw new Error('give --devices or counts per kind, not both');
  const devices =
    perKind.length > 0
      ? (Object.fromEntries(perKind.map(([flag, kind]) => [kind, Math.round(number(flag, 0, 10_000))])) as Partial<Record<DeviceKindName, number>>)
      : values.devices === undefined
        ? 300
        : Math.round(number('devices', 1, 50_000));
  const tenant = values.tenant as string;
  const issuer = (values.issuer as string).replace(/\/$/, '');
  const secret = (values['client-secret'] as string | undefined) ?? env['URBIS_CLIENT_SECRET'] ?? 'urbis-dev-secret';
  const lorawanSecret = (values['lorawan-secret'] as string | undefined) ?? env['URBIS_LORAWAN_WEBHOOK_SECRET'];
  return {
    statsEverySeconds: number('stats-every', 0, 86_400),
    district: {
      tenant,
      devices,
      endpoints: {
        devices: values['devices-url'] as string,
        connectivity: values['connectivity-url'] as string,
        mqtt: values['mqtt-url'] as string,
      },
      accessToken: clientCredentials(issuer, values['client-id'] as string, secret),
      ...(lorawanSecret && { lorawanWebhookSecret: lorawanSecret }),
      seed: Math.round(number('seed', 0, 2 ** 32 - 1)),
      silentShare: number('silent', 0, 1),
      faultRate: number('faults', 0, 1),
      intervalScale: number('interval-scale', 0.001, 1000),
      clock: { speed: number('speed', 0.001, 100_000) },
      idPrefix: values['id-prefix'] as string,
    },
  };
}

export const kindCounts = (devices: readonly { kind: DeviceKindName }[]) =>
  Object.fromEntries(DEVICE_KIND_NAMES.map((kind) => [kind, devices.filter((device) => device.kind === kind).length]));
