// connectivity's main.ts in a child process, for the tests that kill it.
import { freePort, type ServiceProcess, startServiceProcess } from '@urbis/testing';

export interface ChildService extends ServiceProcess {
  mqttUrl: string;
}

/** Starts apps/connectivity/src/main.ts with `env` on free ports; resolves once it is ready. */
export async function startChildService(env: Record<string, string>): Promise<ChildService> {
  const mqttPort = await freePort();
  const service = await startServiceProcess('connectivity', { ...env, MQTT_PORT: String(mqttPort) });
  return { ...service, mqttUrl: `mqtt://127.0.0.1:${mqttPort}` };
}
