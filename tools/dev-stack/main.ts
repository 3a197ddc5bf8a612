// `npm start`: the whole platform on one machine, a simulated district on it, and the commands
// a newcomer tries first. Ctrl-C stops everything.
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { type RunningDistrict, startDistrictProcess } from './district';
import { DEV_IDP_PORT, DEV_LORAWAN_SECRET, DEV_MQTT_PORT, SERVICES, Stack, startStack } from './stack';

const root = resolve(__dirname, '../..');
const port = (service: string) => SERVICES.find((s) => s.name === service)?.port;

function endpoints(stack: Stack): string[] {
  const idp = stack.idp.issuer;
  return [
    '',
    'Urbis is up. Endpoints:',
    ...SERVICES.map(
      ({ name, port }) => `  ${name.padEnd(13)} http://127.0.0.1:${port}   docs /docs · ready /health/ready · metrics /metrics`,
    ),
    `  ${'keycloak'.padEnd(13)} ${idp}   (tools/dev-idp on port ${DEV_IDP_PORT}, realm deploy/keycloak/urbis-realm.json)`,
    `  ${'kafka'.padEnd(13)} ${stack.kafka.bootstrapServers.join(',')}   (dev broker; also in .urbis/kafka-bootstrap)`,
    `  ${'mqtt'.padEnd(13)} mqtt://127.0.0.1:${DEV_MQTT_PORT}   (connectivity's MQTT server; user <tenant>/<deviceId>, password = device token)`,
    `  ${'lorawan'.padEnd(13)} http://127.0.0.1:${port('connectivity')}/lorawan/v1/demo/chirpstack?event=up   (ChirpStack v4 webhooks of tenant demo, Authorization: Bearer ${DEV_LORAWAN_SECRET})`,
    `  ${'postgresql'.padEnd(13)} 127.0.0.1:5432   databases urbis_<service>`,
    `  logs          .urbis/logs/<service>.log (JSON lines with trace ids)`,
  ];
}

const auth = `-H "Authorization: Bearer $TOKEN"`;
const ngsi = `${auth} -H 'NGSILD-Tenant: demo'`;

/** The first things to try, each a working command (tools/dev-stack/stack.e2e-spec.ts runs every one). */
function tryIt(stack: Stack, district: RunningDistrict | undefined): string[] {
  const data = `http://127.0.0.1:${port('data')}/ngsi-ld/v1`;
  const light = district?.ready.examples.streetlight ?? 'light-001';
  const lines = [
    '',
    'A development token (platform-admin of tenant demo, valid 5 minutes):',
    `  export TOKEN=$(curl -s -d grant_type=client_credentials -d client_id=urbis-dev-admin -d client_secret=urbis-dev-secret ${stack.idp.issuer}/protocol/openid-connect/token | sed -E 's/.*"access_token":"([^"]+)".*/\\1/')`,
  ];
  if (district) {
    const counts = district.ready.devices;
    lines.push(
      '',
      `A simulated district reports into tenant demo (tools/simulator; log .urbis/logs/simulator.log): ${counts['parkingSpot']} parking spots on LoRaWAN, ` +
        `${counts['streetlight']} streetlights, ${counts['wasteContainer']} waste containers, ${counts['airQuality']} air-quality stations, ${counts['trafficCounter']} traffic counters.`,
    );
  }
  lines.push(
    '',
    'Live parking occupancy: spots taken right now (the count is in NGSILD-Results-Count), then five free ones:',
    `  curl -s -D - -o /dev/null ${ngsi} '${data}/entities?type=ParkingSpot&q=status==%22occupied%22&count=true&limit=0' | grep -i results-count`,
    `  curl -s ${ngsi} '${data}/entities?type=ParkingSpot&q=status==%22free%22&attrs=status&options=keyValues&limit=5'`,
    '',
    'Air quality over the last hour: NO2 and PM2.5 of each station, averaged per 10 minutes (temporal API):',
    `  curl -s ${ngsi} "${data}/temporal/entities?type=AirQualityObserved&attrs=no2,pm25&timerel=after&timeAt=$(date -u -d '1 hour ago' +%Y-%m-%dT%H:%M:%SZ)&aggrMethods=avg&aggrPeriodDuration=PT10M&options=aggregatedValues&limit=3"`,
    '',
    'A subscription to a webhook: a receiver (in another terminal), local receivers allowed for demo (refused by default), the subscription:',
    `  node -e "require('http').createServer((q, s) => { q.pipe(process.stdout); q.on('end', () => { console.log(); s.end(); }); }).listen(9999)"`,
    `  curl -s -X PUT ${auth} -H 'X-Urbis-Tenant: demo' -H 'content-type: application/json' -d '{"allowLoopback":true}' http://127.0.0.1:${port('integration')}/integration/v1/destination-policy`,
    `  curl -s -i -X POST ${ngsi} -H 'content-type: application/json' -d '{"type":"Subscription","entities":[{"type":"ParkingSpot"}],"watchedAttributes":["status"],"notification":{"attributes":["status"],"format":"keyValues","endpoint":{"uri":"http://127.0.0.1:9999/parking","accept":"application/json"}}}' ${data}/subscriptions`,
    '',
    `A command to a streetlight: dim ${light} to 30 %, then its commands, newest first (the lamp answers within a second or two):`,
    `  curl -s -X POST ${auth} -H 'content-type: application/json' -d '{"name":"dim","params":{"level":30}}' http://127.0.0.1:${port('devices')}/devices/v1/devices/${light}/commands`,
    `  curl -s ${auth} 'http://127.0.0.1:${port('devices')}/devices/v1/devices/${light}/commands?limit=3'`,
    '',
    stack.traces.own
      ? `Traces: every service sends its spans over OTLP/HTTP to the stack's receiver at ${stack.traces.endpoint} (set OTEL_EXPORTER_OTLP_ENDPOINT before npm start for your own collector). The latest traces, then one:`
      : `Traces: every service sends its spans over OTLP/HTTP to ${stack.traces.endpoint}.`,
    ...(stack.traces.own
      ? [
          `  curl -s '${stack.traces.endpoint}/traces?limit=5'`,
          `  curl -s ${stack.traces.endpoint}/traces/$(curl -s '${stack.traces.endpoint}/traces?limit=1' | sed -nE 's/.*"traceId": "([0-9a-f]+)".*/\\1/p' | head -1)`,
        ]
      : []),
    `Metrics: Prometheus text at /metrics of every service, e.g. what connectivity has taken in:`,
    `  curl -s http://127.0.0.1:${port('connectivity')}/metrics | grep -E '^connectivity_(uplinks_accepted|mqtt_sessions)'`,
    '',
    'Ctrl-C stops everything.',
  );
  return lines;
}

async function main() {
  const { values } = parseArgs({
    options: {
      'skip-build': { type: 'boolean', default: false },
      devices: { type: 'string', default: '300' },
      'no-district': { type: 'boolean', default: false },
    },
  });
  const devices = Number(values.devices);
  if (!Number.isInteger(devices) || devices < 1) throw new Error(`--devices: expected a whole number of devices, got ${values.devices}`);
  const stack = await startStack({ root, skipBuild: values['skip-build'] });

  let stopping = false;
  let district: RunningDistrict | undefined;
  const shutdown = async (signal: string, exitCode = 0) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping the district, the services, the identity provider and the broker…`);
    await district?.process.stop();
    await stack.stop();
    console.log('Stopped.');
    process.exit(exitCode);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  for (const service of stack.services) {
    void service.exited.then((code) => {
      if (!stopping) {
        console.error(`${service.name} exited unexpectedly (code ${code}); see .urbis/logs/${service.name}.log`);
        void shutdown('service exit', 1);
      }
    });
  }

  console.log(endpoints(stack).join('\n'));
  if (!values['no-district']) {
    console.log(`\n• provisioning a district of ${devices} simulated devices through the public APIs (tools/simulator)…`);
    try {
      district = await startDistrictProcess(root, devices);
    } catch (error) {
      console.error(`npm start: ${error instanceof Error ? error.message : String(error)}`);
      return shutdown('district failed', 1);
    }
    void district.process.exited.then((code) => {
      if (!stopping) {
        console.error(`the simulator exited unexpectedly (code ${code}); see .urbis/logs/simulator.log`);
        void shutdown('simulator exit', 1);
      }
    });
  }
  console.log(tryIt(stack, district).join('\n'));
}

main().catch((error: unknown) => {
  console.error(`npm start failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
