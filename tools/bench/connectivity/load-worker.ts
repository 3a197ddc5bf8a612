// One load-generator process: holds a slice of the device connections on raw TCP, speaking just
// enough MQTT 3.1.1 (CONNECT, PUBLISH QoS 1, PUBACK), so that the generator costs little CPU and
// both brokers see exactly the same bytes. Driven by mqtt-bench.ts over IPC (closed loop), and by
// tools/bench/pipeline (`stream`: an open loop at a set rate, each reading stamped with its send time).
import { connect, type Socket } from 'node:net';
import { LatencyHistogram } from './latency-histogram';

export interface WorkerDevice {
  clientId: string;
  password: string;
  topic: string;
  /** The broker port this device connects to (several replicas listen on several ports). */
  port: number;
}

export type ToWorker =
  | { cmd: 'connect'; host: string; devices: WorkerDevice[]; concurrency: number }
  | { cmd: 'publish'; seconds: number; inflight: number; payloadBytes: number }
  /** `ratePerSecond` readings spread over the connections, at most `inflight` unacknowledged per connection. */
  | { cmd: 'stream'; seconds: number; ratePerSecond: number; inflight: number; payloadBytes: number }
  | { cmd: 'close' };

export type FromWorker =
  | { kind: 'connected'; connected: number; refused: number; ms: number }
  | { kind: 'published'; acked: number; sent: number; errors: number; histogram: number[] }
  /**
   * `behind`: readings due that no connection could take (each had `inflight` unacknowledged);
   * `ackedInWindow`: acknowledged before the window closed, `acked`: also those acknowledged up to 30 s later.
   */
  | { kind: 'streamed'; acked: number; ackedInWindow: number; sent: number; behind: number; errors: number; histogram: number[] }
  | { kind: 'closed' };

const send = (message: FromWorker) => process.send?.(message);

function remainingLength(length: number): Buffer {
  const bytes: number[] = [];
  do {
    let byte = length % 128;
    length = Math.floor(length / 128);
    if (length > 0) byte |= 0x80;
    bytes.push(byte);
  } while (length > 0);
  return Buffer.from(bytes);
}

const mqttString = (value: string | Buffer): Buffer => {
  const bytes = Buffer.isBuffer(value) ? value : Buffer.from(value, 'utf8');
  return Buffer.concat([Buffer.from([bytes.length >> 8, bytes.length & 0xff]), bytes]);
};

function connectPacket(device: WorkerDevice): Buffer {
  // protocol "MQTT", level 4 (3.1.1), flags: username + password + clean session, keepalive 600 s
  const variable = Buffer.concat([mqttString('MQTT'), Buffer.from([0x04, 0xc2, 0x02, 0x58])]);
  const payload = Buffer.concat([
    mqttString(device.clientId),
    mqttString(device.clientId),
    mqttString(device.password),
  ]);
  return Buffer.concat([
    Buffer.from([0x10]),
    remainingLength(variable.length + payload.length),
    variable,
    payload,
  ]);
}

interface Connection {
  socket: Socket;
  device: WorkerDevice;
  /** Topic + packet-id prefix of this connection's PUBLISH packets, built once. */
  topic: Buffer;
  nextId: number;
  sentAt: Map<number, bigint>;
  pending: Buffer;
}

const connections: Connection[] = [];
let publishing = false;
let streaming = false;
let payload = Buffer.alloc(0);
let histogram = new LatencyHistogram();
let acked = 0;
let sent = 0;
let errors = 0;

function publish(connection: Connection, body: Buffer = payload): void {
  const id = connection.nextId;
  connection.nextId = id === 0xffff ? 1 : id + 1;
  const length = connection.topic.length + 2 + body.length;
  const packet = Buffer.concat([
    Buffer.from([0x32]),
    remainingLength(length),
    connection.topic,
    Buffer.from([id >> 8, id & 0xff]),
    body,
  ]);
  connection.sentAt.set(id, process.hrtime.bigint());
  connection.socket.write(packet);
  sent += 1;
}

/** Splits the byte stream into packets; resolves the CONNACK, times each PUBACK. */
function onData(connection: Connection, chunk: Buffer, onConnack: (code: number) => void): void {
  let buffer = connection.pending.length ? Buffer.concat([connection.pending, chunk]) : chunk;
  for (;;) {
    if (buffer.length < 2) break;
    let length = 0;
    let multiplier = 1;
    let offset = 1;
    let byte: number;
    do {
      if (offset >= buffer.length) return void (connection.pending = buffer);
      byte = buffer[offset++] as number;
      length += (byte & 0x7f) * multiplier;
      multiplier *= 128;
    } while (byte & 0x80);
    if (buffer.length < offset + length) break;
    const type = (buffer[0] as number) >> 4;
    if (type === 2) onConnack(buffer[offset + 1] as number);
    else if (type === 4) {
      const id = ((buffer[offset] as number) << 8) | (buffer[offset + 1] as number);
      const at = connection.sentAt.get(id);
      if (at !== undefined) {
        connection.sentAt.delete(id);
        histogram.record(Number(process.hrtime.bigint() - at) / 1000);
        acked += 1;
        if (publishing) publish(connection);
      }
    }
    buffer = buffer.subarray(offset + length);
  }
  connection.pending = buffer;
}

function open(host: string, device: WorkerDevice): Promise<Connection | undefined> {
  return new Promise((resolve) => {
    const socket = connect({ host, port: device.port });
    socket.setNoDelay(true);
    const connection: Connection = {
      socket,
      device,
      topic: mqttString(device.topic),
      nextId: 1,
      sentAt: new Map(),
      pending: Buffer.alloc(0),
    };
    let settled = false;
    const settle = (value: Connection | undefined) => {
      if (settled) return;
      settled = true;
      resolve(value);
    };
    socket.on('data', (chunk) =>
      onData(connection, chunk, (code) => settle(code === 0 ? connection : undefined)),
    );
    socket.on('error', () => {
      errors += 1;
      settle(undefined);
    });
    socket.on('close', () => {
      if (publishing || streaming) errors += 1; // the broker closed a session under load
      settle(undefined);
    });
    socket.on('connect', () => socket.write(connectPacket(device)));
  });
}

async function connectAll(host: string, devices: WorkerDevice[], concurrency: number): Promise<void> {
  const started = Date.now();
  let next = 0;
  let refused = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < devices.length) {
        const device = devices[next++] as WorkerDevice;
        const connection = await open(host, device);
        if (connection) connections.push(connection);
        else refused += 1;
      }
    }),
  );
  send({ kind: 'connected', connected: connections.length, refused, ms: Date.now() - started });
}

async function run(seconds: number, inflight: number, payloadBytes: number): Promise<void> {
  payload = Buffer.alloc(payloadBytes, 0x20);
  payload.write('{"pm25":12.5,"no2":31,"t":20.4}');
  histogram = new LatencyHistogram();
  acked = sent = errors = 0;
  publishing = true;
  for (const connection of connections) for (let i = 0; i < inflight; i++) publish(connection);
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  publishing = false;
  // Let what is in flight come back (not counted after the window, as if the run ended here).
  const counted = { acked, sent, errors, histogram: histogram.counts() };
  send({ kind: 'published', ...counted });
}

/** A reading of an air-quality station whose `sentAt` is the time it is sent (ms since the epoch). */
function stampedReading(sequence: number, payloadBytes: number): Buffer {
  const body = `{"no2":${(20 + (sequence % 400) / 10).toFixed(1)},"pm25":${(5 + (sequence % 150) / 10).toFixed(1)},"sentAt":${Date.now()}}`;
  return Buffer.from(body.length >= payloadBytes ? body : body.padEnd(payloadBytes, ' '));
}

async function stream(seconds: number, ratePerSecond: number, inflight: number, payloadBytes: number): Promise<void> {
  histogram = new LatencyHistogram();
  acked = sent = errors = 0;
  let behind = 0;
  let next = 0;
  const free = (): Connection | undefined => {
    for (let tried = 0; tried < connections.length; tried++) {
      const connection = connections[next] as Connection;
      next = (next + 1) % connections.length;
      if (connection.sentAt.size < inflight && !connection.socket.destroyed) return connection;
    }
    return undefined;
  };
  const started = performance.now();
  streaming = true;
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const elapsed = (performance.now() - started) / 1000;
      const due = Math.floor(ratePerSecond * Math.min(elapsed, seconds)) - sent - behind;
      for (let i = 0; i < due; i++) {
        const connection = free();
        if (!connection) {
          behind += due - i;
          break;
        }
        publish(connection, stampedReading(sent, payloadBytes));
      }
      if (elapsed >= seconds) {
        clearInterval(timer);
        resolve();
      }
    }, 2);
  });
  streaming = false;
  const ackedInWindow = acked;
  // the readings still in flight are answered (and timed) before the counts go back
  const waiting = () => connections.some((connection) => connection.sentAt.size > 0 && !connection.socket.destroyed);
  for (const until = Date.now() + 30_000; Date.now() < until && waiting(); ) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  send({ kind: 'streamed', acked, ackedInWindow, sent, behind, errors, histogram: histogram.counts() });
}

process.on('message', (message: ToWorker) => {
  if (message.cmd === 'connect') void connectAll(message.host, message.devices, message.concurrency);
  else if (message.cmd === 'publish') void run(message.seconds, message.inflight, message.payloadBytes);
  else if (message.cmd === 'stream') void stream(message.seconds, message.ratePerSecond, message.inflight, message.payloadBytes);
  else if (message.cmd === 'close') {
    for (const connection of connections) connection.socket.destroy();
    connections.length = 0;
    send({ kind: 'closed' });
  }
});
