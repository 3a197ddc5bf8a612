// An HTTP endpoint a test owns: what a platform delivers to (webhooks, NGSI-LD notifications),
// recorded as received, answered as the test says, and taken down and up again on the same port.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { until, type WaitOptions } from './eventually';

export interface ReceivedRequest {
  method: string;
  /** Path and query, as requested. */
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  receivedAt: Date;
}

export interface HttpReceiver {
  /** `http://127.0.0.1:<port>`; the same after `down()` and `up()`. */
  readonly url: string;
  /** Every request so far, in arrival order. */
  readonly requests: readonly ReceivedRequest[];
  /** The status later requests get (default 200), or a function of the request. */
  respondWith(status: number | ((request: ReceivedRequest) => number)): void;
  /** Resolves with the first request (received before or later) that `matches`. */
  waitFor(matches: (request: ReceivedRequest) => boolean, options?: WaitOptions): Promise<ReceivedRequest>;
  /** Stops listening and cuts open connections: senders get connection refused. */
  down(): Promise<void>;
  /** Listens again on the same port. */
  up(): Promise<void>;
  stop(): Promise<void>;
}

export async function startHttpReceiver(options: { port?: number; host?: string } = {}): Promise<HttpReceiver> {
  const host = options.host ?? '127.0.0.1';
  const requests: ReceivedRequest[] = [];
  let status: number | ((request: ReceivedRequest) => number) = 200;
  let server: Server | undefined;
  const sockets = new Set<Socket>();

  const listen = async (port: number): Promise<number> => {
    const next = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const received: ReceivedRequest = {
          method: request.method ?? 'GET',
          path: request.url ?? '/',
          headers: request.headers,
          body: Buffer.concat(chunks).toString('utf8'),
          receivedAt: new Date(),
        };
        requests.push(received);
        response.writeHead(typeof status === 'function' ? status(received) : status).end();
      });
    });
    next.on('connection', (socket: Socket) => {
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      next.once('error', reject);
      next.listen(port, host, () => resolve());
    });
    server = next;
    return (next.address() as AddressInfo).port;
  };
  const close = () =>
    new Promise<void>((resolve) => {
      const closing = server;
      server = undefined;
      if (!closing) return resolve();
      for (const socket of sockets) socket.destroy();
      closing.close(() => resolve());
    });

  const port = await listen(options.port ?? 0);
  return {
    url: `http://${host}:${port}`,
    requests,
    respondWith: (next) => void (status = next),
    waitFor: (matches, wait) =>
      until(
        () => requests.find(matches),
        (found) => found !== undefined,
        { timeoutMs: 30_000, what: 'a matching request', ...wait },
      ) as Promise<ReceivedRequest>,
    down: close,
    up: async () => {
      if (!server) await listen(port);
    },
    stop: close,
  };
}
