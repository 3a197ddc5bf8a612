// connectivity's main.ts in a child process, for the tests that kill it or run two replicas.
import { findRepoRoot, tsNodeArgs, tsNodeEnv } from '@urbis/testing';
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';
import { eventually } from './harness.test-helpers';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface ChildService {
  url: string;
  mqttUrl: string;
  child: ChildProcess;
  output(): string;
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<number | null>;
}

/** Starts apps/connectivity/src/main.ts with `env` and resolves once /health/ready answers 200. */
export async function startChildService(env: Record<string, string>, readyTimeoutMs = 60_000): Promise<ChildService> {
  const root = findRepoRoot();
  const [port, mqttPort] = [await freePort(), await freePort()];
  const child = spawn(process.execPath, tsNodeArgs(path.join(root, 'apps/connectivity/src/main.ts')), {
    cwd: root,
    env: {
      PATH: process.env['PATH'] ?? '',
      ...tsNodeEnv(),
      OTEL_TRACES_EXPORTER: 'none',
      ...env,
      PORT: String(port),
      MQTT_PORT: String(mqttPort),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;
  let exitedEarly = false;
  void exited.then(() => (exitedEarly = true));
  try {
    await eventually(async () => {
      if (exitedEarly) throw new Error('exited before it was ready');
      const response = await fetch(`${url}/health/ready`).catch(() => undefined);
      return response?.status === 200;
    }, readyTimeoutMs, 200);
  } catch (error) {
    child.kill('SIGKILL');
    throw new Error(`connectivity child did not become ready: ${(error as Error).message}\n${output}`);
  }
  return { url, mqttUrl: `mqtt://127.0.0.1:${mqttPort}`, child, output: () => output, exited };
}
