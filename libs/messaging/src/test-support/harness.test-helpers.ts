// Shared pieces of the messaging integration tests: a broker and a database per suite, raw reads
// of a topic, child processes running TypeScript with the workspace path aliases.
import { provisionedTopics } from '@urbis/contracts';
import { createTestDatabase, startDevKafka, TestDatabase, tsNodeArgs, tsNodeEnv } from '@urbis/testing';
import { ChildProcess, spawn } from 'node:child_process';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import { randomUUID } from 'node:crypto';
import { Kafka, KafkaMessage } from 'kafkajs';
import { Pool } from 'pg';
import { createKafka } from '../kafka';
import { OUTBOX_DDL } from '../outbox';
import { testLogger } from './fixtures.test-helpers';

export * from './fixtures.test-helpers';

const REPO_ROOT = path.resolve(__dirname, '../../../..');

export async function startBroker() {
  return startDevKafka({ topics: provisionedTopics(), groupInitialRebalanceDelayMs: 100 });
}

export function testKafka(brokers: string[], clientId = `test-${randomUUID().slice(0, 8)}`): Kafka {
  return createKafka({ clientId, brokers, logger: testLogger });
}

/** A database with the outbox tables and an `effect` table without any unique constraint (duplicates would show). */
export async function startDatabase(prefix: string): Promise<{ db: TestDatabase; pool: Pool }> {
  const db = await createTestDatabase(prefix);
  const pool = new Pool({ connectionString: db.url, max: 5 });
  await pool.query(OUTBOX_DDL);
  await pool.query(
    'CREATE TABLE effect (event_id UUID NOT NULL, consumer TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())',
  );
  return { db, pool };
}

/**
 * Reads `topic` from the beginning with a fresh group until `count` messages (those passing `filter`)
 * arrived, then waits `settleMs` more so that an unexpected extra message (a duplicate) shows up too.
 */
export async function readTopic(
  kafka: Kafka,
  topic: string,
  count: number,
  {
    timeoutMs = 20_000,
    settleMs = 500,
    filter = () => true,
  }: { timeoutMs?: number; settleMs?: number; filter?: (message: KafkaMessage) => boolean } = {},
): Promise<(KafkaMessage & { partition: number })[]> {
  const consumer = kafka.consumer({ groupId: `reader-${randomUUID()}`, maxWaitTimeInMs: 100 });
  const messages: (KafkaMessage & { partition: number })[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message, partition }) => {
        if (filter(message)) messages.push({ ...message, partition });
      },
    });
    await waitFor(
      () => messages.length >= count,
      timeoutMs,
      `${count} messages on ${topic} (got ${messages.length})`,
    );
    // Give any unexpected extra message (a duplicate) a chance to show up.
    await new Promise((resolve) => setTimeout(resolve, settleMs));
    return messages;
  } finally {
    await consumer.disconnect();
  }
}

export async function waitFor(
  predicate: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** A child Node process running a TypeScript file with the workspace path aliases, stdout read line by line. */
export interface ChildScript {
  process: ChildProcess;
  lines: string[];
  /** Resolves with the first stdout line matching, once it appears. */
  waitForLine(match: (line: string) => boolean, timeoutMs?: number): Promise<string>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function runScript(file: string, env: Record<string, string>): ChildScript {
  const child = spawn(
    process.execPath,
    tsNodeArgs(path.resolve(__dirname, file)),
    {
      cwd: REPO_ROOT,
      env: {
        ...process.env,
        ...env,
        ...tsNodeEnv(),
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const lines: string[] = [];
  const waiters: { match: (line: string) => boolean; resolve: (line: string) => void }[] = [];
  if (!child.stdout) throw new Error('child has no stdout pipe');
  createInterface({ input: child.stdout }).on('line', (line) => {
    lines.push(line);
    for (const waiter of [...waiters]) {
      if (waiter.match(line)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(line);
      }
    }
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return {
    process: child,
    lines,
    exited,
    waitForLine(match, timeoutMs = 30_000) {
      const found = lines.find(match);
      if (found !== undefined) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () =>
            reject(
              new Error(`child ${file}: no matching line within ${timeoutMs} ms; got:\n${lines.join('\n')}`),
            ),
          timeoutMs,
        );
        waiters.push({ match, resolve: (line) => (clearTimeout(timer), resolve(line)) });
        void exited.then(({ code, signal }) => {
          clearTimeout(timer);
          reject(
            new Error(
              `child ${file} exited (${code ?? signal}) before a matching line; got:\n${lines.join('\n')}`,
            ),
          );
        });
      });
    },
  };
}
