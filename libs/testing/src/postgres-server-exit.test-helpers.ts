// Child process of postgres-server.int-spec.ts: starts a server and exits without stopping it.
import { startPostgresServer } from './postgres-server';

void startPostgresServer().then((server) => {
  process.stdout.write(JSON.stringify({ host: server.host, port: server.port, directory: server.directory }));
  process.exit(0);
});
