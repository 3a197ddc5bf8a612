import { join } from 'node:path';
import { ManagedProcess, startProcess } from './processes';
import { DEV_LORAWAN_SECRET, DEV_MQTT_PORT } from './stack';

/** What the simulator says once its district is provisioned and connected (`SIMULATOR ready {...}`). */
export interface DistrictReady {
  tenant: string;
  devices: Record<string, number>;
  examples: { streetlight?: string; parkingSpot?: string; airQuality?: string };
  gateways: string[];
}

export interface RunningDistrict {
  process: ManagedProcess;
  ready: DistrictReady;
}

const READY = /^SIMULATOR ready (\{.*\})$/m;

/**
 * Runs tools/simulator as a process of the stack (its own log, stopped with the rest): a district
 * of tenant demo on the stack's fixed ports, provisioned by the development client.
 */
export async function startDistrictProcess(root: string, devices: number, timeoutMs = 600_000): Promise<RunningDistrict> {
  let output = '';
  let announce: (ready: DistrictReady) => void = () => undefined;
  const announced = new Promise<DistrictReady>((resolve) => (announce = resolve));
  const simulator = startProcess(
    'simulator',
    process.execPath,
    [
      '-r',
      '@swc-node/register',
      join(root, 'tools/simulator/main.ts'),
      '--devices',
      String(devices),
      '--mqtt-url',
      `mqtt://127.0.0.1:${DEV_MQTT_PORT}`,
      '--lorawan-secret',
      DEV_LORAWAN_SECRET,
      '--stats-every',
      '60',
    ],
    {
      cwd: root,
      env: { TS_NODE_PROJECT: join(root, 'tools/tsconfig.tools.json') },
      logFile: join(root, '.urbis/logs/simulator.log'),
      onOutput: (chunk) => {
        output += chunk;
        const match = READY.exec(output);
        if (match?.[1]) announce(JSON.parse(match[1]) as DistrictReady);
      },
    },
  );
  let timer: NodeJS.Timeout | undefined;
  const outcome = await Promise.race([
    announced,
    simulator.exited.then((code) => new Error(`the simulator exited (code ${code}) before its district was ready; see .urbis/logs/simulator.log`)),
    new Promise<Error>((resolve) => (timer = setTimeout(() => resolve(new Error(`the district was not ready within ${timeoutMs / 1000} s`)), timeoutMs))),
  ]);
  clearTimeout(timer);
  if (outcome instanceof Error) {
    await simulator.stop();
    throw outcome;
  }
  return { process: simulator, ready: outcome };
}
