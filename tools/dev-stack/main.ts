// `npm start`: the whole platform on one machine. Ctrl-C stops everything.
import { resolve } from 'node:path';
import { DEV_IDP_PORT, DEV_MQTT_PORT, SERVICES, Stack, startStack } from './stack';

const root = resolve(__dirname, '../..');

function banner(stack: Stack): string {
  const idp = stack.idp.issuer;
  const lines = [
    '',
    'Urbis is up. Endpoints:',
    ...SERVICES.map(
      ({ name, port }) =>
        `  ${name.padEnd(13)} http://127.0.0.1:${port}   docs /docs · ready /health/ready · metrics /metrics`,
    ),
    `  ${'keycloak'.padEnd(13)} ${idp}   (tools/dev-idp on port ${DEV_IDP_PORT}, realm deploy/keycloak/urbis-realm.json)`,
    `  ${'kafka'.padEnd(13)} ${stack.kafka.bootstrapServers.join(',')}   (dev broker; also in .urbis/kafka-bootstrap)`,
    `  ${'mqtt'.padEnd(13)} mqtt://127.0.0.1:${DEV_MQTT_PORT}   (connectivity's MQTT server; user <tenant>/<deviceId>, password = device token)`,
    `  ${'postgresql'.padEnd(13)} 127.0.0.1:5432   databases urbis_<service>`,
    `  logs          .urbis/logs/<service>.log`,
    '',
    'A development token (platform-admin, tenant demo):',
    `  TOKEN=$(curl -s -d grant_type=client_credentials -d client_id=urbis-dev-admin -d client_secret=urbis-dev-secret ${idp}/protocol/openid-connect/token | sed -E 's/.*"access_token":"([^"]+)".*/\\1/')`,
    '',
    'Ctrl-C stops everything.',
  ];
  return lines.join('\n');
}

async function main() {
  const skipBuild = process.argv.includes('--skip-build');
  const stack = await startStack({ root, skipBuild });
  console.log(banner(stack));

  let stopping = false;
  const shutdown = async (signal: string, exitCode = 0) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping the services, the identity provider and the broker…`);
    await stack.stop();
    console.log('Stopped.');
    process.exit(exitCode);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  for (const service of stack.services) {
    void service.exited.then((code) => {
      if (!stopping) {
        console.error(
          `${service.name} exited unexpectedly (code ${code}); see .urbis/logs/${service.name}.log`,
        );
        void shutdown('service exit', 1);
      }
    });
  }
}

main().catch((error: unknown) => {
  console.error(`npm start failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
