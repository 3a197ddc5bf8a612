import { ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import { connect } from 'node:net';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { DEV_IDP_PORT, DEV_KAFKA_PORT, DEV_MQTT_PORT, DEV_OTLP_PORT, SERVICES } from './stack';

// Starts the stack exactly as `npm start` does (minus the build, which the test target depends
// on, and with a smaller district), waits for every service and the district, runs every command
// the console printed as a newcomer would paste it, then stops it with Ctrl-C and checks nothing
// is left.
const root = resolve(__dirname, '../..');
/** The webhook receiver the printed commands start. */
const RECEIVER_PORT = 9999;
const ports = [
  ...SERVICES.map((service) => service.port),
  DEV_IDP_PORT,
  DEV_KAFKA_PORT,
  DEV_KAFKA_PORT + 1,
  DEV_KAFKA_PORT + 2,
  DEV_MQTT_PORT,
  DEV_OTLP_PORT,
];

function isListening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.setTimeout(1_000);
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('timeout', () => (socket.destroy(), resolve(false)));
    socket.once('error', () => resolve(false));
  });
}

function descendantPids(pid: number): number[] {
  const output = execFileSync('ps', ['-e', '-o', 'pid=,ppid='], { encoding: 'utf8' });
  const children = new Map<number, number[]>();
  for (const line of output.trim().split('\n')) {
    const [child, parent] = line.trim().split(/\s+/).map(Number);
    children.set(parent, [...(children.get(parent) ?? []), child]);
  }
  const result: number[] = [];
  const visit = (p: number) => (children.get(p) ?? []).forEach((c) => (result.push(c), visit(c)));
  visit(pid);
  return result;
}

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Runs one printed command in bash, as pasted into a terminal; resolves with its output. */
async function paste(command: string, token: string): Promise<string> {
  const { stdout } = await promisify(execFile)('bash', ['-c', `set -o pipefail; ${command}`], {
    env: { ...process.env, TOKEN: token },
    timeout: 30_000,
  });
  return stdout;
}

/** Pastes a command until its output satisfies `done` (the district's readings take their interval to arrive). */
async function pasteUntil(command: string, token: string, done: (output: string) => boolean, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let output = '';
  while (Date.now() < deadline) {
    output = await paste(command, token).catch((error: Error) => error.message);
    if (done(output)) return output;
    await new Promise((resolve) => setTimeout(resolve, 2_000));
  }
  throw new Error(`after ${timeoutMs} ms the command still printed:\n${output.slice(0, 1500)}\n\ncommand: ${command}`);
}

describe('npm start', () => {
  let stack: ChildProcess;
  let receiver: ChildProcess | undefined;
  let output = '';

  beforeAll(async () => {
    for (const port of [...ports, RECEIVER_PORT]) {
      if (await isListening(port)) throw new Error(`port ${port} is taken: stop the running stack before this test`);
    }
  });

  afterAll(() => {
    if (receiver && receiver.exitCode === null) receiver.kill('SIGKILL');
    if (stack && stack.exitCode === null) stack.kill('SIGKILL');
  });

  it('starts the platform and a district, prints commands that all work, and stops cleanly on Ctrl-C', async () => {
    stack = spawn(process.execPath, ['-r', '@swc-node/register', 'tools/dev-stack/main.ts', '--skip-build', '--devices', '40'], {
      cwd: root,
      env: { ...process.env, TS_NODE_PROJECT: 'tools/tsconfig.tools.json' },
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group, like a job in a terminal, so Ctrl-C can be sent the way a terminal does.
      detached: true,
    });
    const exited = new Promise<number | null>((done) => stack.once('exit', (code) => done(code)));
    stack.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    stack.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));

    await new Promise<void>((done, fail) => {
      const timer = setInterval(() => {
        if (output.includes('Ctrl-C stops everything.')) {
          clearInterval(timer);
          done();
        } else if (stack.exitCode !== null) {
          clearInterval(timer);
          fail(new Error(`the stack exited before it was up:\n${output}`));
        }
      }, 250);
    });

    for (const { port } of SERVICES) {
      const ready = await fetch(`http://127.0.0.1:${port}/health/ready`);
      expect({ port, status: ready.status }).toEqual({ port, status: 200 });
    }
    expect(output).toMatch(/A simulated district reports into tenant demo .*16 parking spots on LoRaWAN, 10 streetlights/);
    const children = descendantPids(stack.pid ?? -1);
    expect(children.length).toBeGreaterThanOrEqual(SERVICES.length + 3); // services, IdP, broker, simulator

    // every command printed after the token, in order, as a newcomer pastes them
    const lines = output.slice(output.indexOf('A development token')).split('\n');
    const commands = lines.filter((line) => line.startsWith('  ')).map((line) => line.slice(2));
    const take = (marker: string) => {
      const index = commands.findIndex((command) => command.includes(marker));
      if (index < 0) throw new Error(`no printed command contains ${marker}:\n${commands.join('\n')}`);
      return commands.splice(index, 1)[0] as string;
    };

    const token = (await paste(`${take('export TOKEN=')} && printf %s "$TOKEN"`, '')).trim();
    expect(token.split('.')).toHaveLength(3);

    expect(await pasteUntil(take('count=true&limit=0'), token, (out) => /ngsild-results-count: \d+/i.test(out), 120_000)).toMatch(/ngsild-results-count/i);
    expect(JSON.parse(await paste(take('q=status==%22free%22'), token))).toEqual(expect.any(Array));
    const airQuality = await pasteUntil(take('/temporal/entities?type=AirQualityObserved'), token, (out) => out.includes('"avg"'), 120_000);
    expect(JSON.parse(airQuality)).toEqual(expect.arrayContaining([expect.objectContaining({ type: 'AirQualityObserved', no2: expect.objectContaining({ avg: expect.any(Array) }) })]));

    let received = '';
    receiver = spawn('bash', ['-c', take('.listen(9999)')], { stdio: ['ignore', 'pipe', 'inherit'] });
    receiver.stdout?.on('data', (chunk: Buffer) => (received += chunk.toString()));
    await pasteUntil(`(echo > /dev/tcp/127.0.0.1/${RECEIVER_PORT}) && echo listening`, token, (out) => out.includes('listening'), 10_000);
    expect(JSON.parse(await paste(take('/integration/v1/destination-policy'), token))).toMatchObject({ tenant: 'demo', allowLoopback: true });
    expect(await paste(take('/ngsi-ld/v1/subscriptions'), token)).toMatch(/^HTTP\/1\.1 201/);

    expect(JSON.parse(await paste(take('"name":"dim"'), token))).toMatchObject({ name: 'dim', status: 'queued' });
    expect(await pasteUntil(take('/commands?limit=3'), token, (out) => out.includes('"status":"succeeded"'), 60_000)).toContain('"dimmingLevel":30');

    // a parking spot's status arrives at the receiver through integration
    const deadline = Date.now() + 150_000;
    while (!received.includes('"type":"Notification"') && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(received).toContain('"type":"ParkingSpot"');

    const traces = JSON.parse(await paste(take("/traces?limit=5'"), token)) as { traceId: string; services: string[] }[];
    expect(traces.length).toBeGreaterThan(0);
    expect(JSON.parse(await paste(take('/traces/$('), token))).toEqual(expect.arrayContaining([expect.objectContaining({ traceId: expect.any(String), service: expect.stringMatching(/^urbis-/) })]));
    expect(await paste(take('/metrics'), token)).toMatch(/^connectivity_uplinks_accepted_total\{transport="lorawan"/m);
    expect(commands).toEqual([]); // nothing printed went untried
    receiver.kill('SIGTERM');

    // Ctrl-C in a terminal: SIGINT to the whole foreground process group.
    process.kill(-(stack.pid ?? 0), 'SIGINT');
    expect(await exited).toBe(0);
    for (const port of ports) expect({ port, listening: await isListening(port) }).toEqual({ port, listening: false });
    expect(children.filter(isAlive)).toEqual([]);
  }, 900_000);
});
