// The city simulator's command line: `node -r @swc-node/register tools/simulator/main.ts --devices 300`.
import { kindCounts, parseCli, USAGE } from './src/cli';
import { startDistrict } from './src/district';

const stamp = () => new Date().toISOString().slice(11, 19);
const log = (line: string) => console.log(`${stamp()} ${line}`);

async function main(): Promise<void> {
  let settings: ReturnType<typeof parseCli>;
  try {
    settings = parseCli(process.argv.slice(2));
  } catch (error) {
    console.error(`${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`);
    process.exit(2);
  }
  if (settings === 'help') {
    console.log(USAGE);
    return;
  }
  const { district: options, statsEverySeconds } = settings;
  log(`provisioning district ${options.tenant} at ${options.endpoints.devices}`);
  const district = await startDistrict({ ...options, log });

  const first = (kind: string) => district.devices.find((device) => device.kind === kind && device.silentAfter === undefined)?.id;
  // One machine-readable line for whoever started the simulator (npm start prints commands from it).
  console.log(
    `SIMULATOR ready ${JSON.stringify({
      tenant: district.tenant,
      devices: kindCounts(district.devices),
      examples: { streetlight: first('streetlight'), parkingSpot: first('parkingSpot'), airQuality: first('airQuality') },
      gateways: district.plan.gateways.map((gateway) => gateway.id),
    })}`,
  );

  const timer =
    statsEverySeconds > 0
      ? setInterval(() => {
          const s = district.stats();
          log(
            `readings ${s.readings.sent} sent, ${s.readings.acknowledged} acknowledged, ${s.readings.failed} failed · ` +
              `MQTT ${s.mqttSessions.connected}/${s.mqttSessions.of} · commands ${s.commands.received} (${s.commands.succeeded} succeeded, ${s.commands.failed} failed) · ` +
              `twin reports ${s.twinReports.acknowledged}`,
          );
        }, statsEverySeconds * 1000)
      : undefined;

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    clearInterval(timer);
    log(`${signal}: stopping the district`);
    await district.stop();
    const s = district.stats();
    log(`stopped: ${s.readings.sent} readings sent, ${s.readings.acknowledged} acknowledged, ${s.readings.failed} failed`);
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((error: unknown) => {
  console.error(`simulator failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
