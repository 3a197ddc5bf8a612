import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { connect } from 'node:net';
import { DEV_IDP_PORT, DEV_KAFKA_PORT, DEV_MQTT_PORT, SERVICES } from './stack';

// Starts the stack exactly as `npm start` does (minus the build, which the test target depends
// on), waits for every service to be ready, then stops it with Ctrl-C and checks nothing is left.
const root = resolve(__dirname, '../..');
const ports = [
  ...SERVICES.map((service) => service.port),
  DEV_IDP_PORT,
  DEV_KAFKA_PORT,
  DEV_KAFKA_PORT + 1,
  DEV_KAFKA_PORT + 2,
  DEV_MQTT_PORT,
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

describe('npm start', () => {
  let stack: ChildProcess;
  let output = '';

  beforeAll(async () => {
    for (const port of ports) {
      if (await isListening(port))
        throw new Error(`port ${port} is taken: stop the running stack before this test`);
    }
  });

  afterAll(() => {
    if (stack && stack.exitCode === null) stack.kill('SIGKILL');
  });

  it('starts all five services, reports them ready, and stops cleanly on Ctrl-C', async () => {
    stack = spawn(process.execPath, ['-r', '@swc-node/register', 'tools/dev-stack/main.ts', '--skip-build'], {
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
        if (output.includes('Urbis is up')) {
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
    expect(output).toContain('client_id=urbis-dev-admin');
    const children = descendantPids(stack.pid ?? -1);
    expect(children.length).toBeGreaterThanOrEqual(SERVICES.length + 2);

    // Ctrl-C in a terminal: SIGINT to the whole foreground process group.
    process.kill(-(stack.pid ?? 0), 'SIGINT');
    expect(await exited).toBe(0);
    for (const port of ports)
      expect({ port, listening: await isListening(port) }).toEqual({ port, listening: false });
    const alive = children.filter((pid) => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    });
    expect(alive).toEqual([]);
  }, 240_000);
});
