// The load-generator processes both MQTT benches drive (load-worker.ts, forked), and the one way
// they are asked something: one message per worker, each answer of the expected kind.
import { findRepoRoot, tsNodeArgs, tsNodeEnv } from '@urbis/testing';
import { type ChildProcess, fork } from 'node:child_process';
import path from 'node:path';
import type { FromWorker, ToWorker } from './load-worker';

export class LoadWorkers {
  protected readonly workers: ChildProcess[] = [];

  constructor(count: number) {
    const script = path.join(findRepoRoot(), 'tools/bench/connectivity/load-worker.ts');
    for (let i = 0; i < count; i++) {
      this.workers.push(fork(script, [], { execArgv: tsNodeArgs('').slice(0, -1), env: { ...process.env, ...tsNodeEnv() } }));
    }
  }

  get pids(): number[] {
    return this.workers.map((worker) => worker.pid as number);
  }

  /** Sends `messages[i]` to worker i and resolves with each worker's answer of `kind`. */
  protected ask<K extends FromWorker['kind']>(messages: ToWorker[], kind: K): Promise<Extract<FromWorker, { kind: K }>[]> {
    return Promise.all(
      this.workers.map(
        (worker, i) =>
          new Promise<Extract<FromWorker, { kind: K }>>((resolve) => {
            const onMessage = (message: FromWorker) => {
              if (message.kind !== kind) return;
              worker.off('message', onMessage);
              resolve(message as Extract<FromWorker, { kind: K }>);
            };
            worker.on('message', onMessage);
            worker.send(messages[i] as ToWorker);
          }),
      ),
    );
  }

  stop(): void {
    for (const worker of this.workers) worker.kill();
  }
}
