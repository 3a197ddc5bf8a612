// The Kafka-protocol dev broker (tools/dev-kafka: librdkafka's mock cluster behind a small
// launcher), started as a child process for one test suite or one dev session.
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants as fsConstants } from 'node:fs';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import { findRepoRoot } from './repo-root';

/** A running dev broker. */
export interface DevKafka {
  /** `host:port` of every broker, ready for kafkajs' `brokers` option. */
  bootstrapServers: string[];
  /** Stops the broker (SIGTERM, then SIGKILL after a grace period) and waits for it to exit. Idempotent. */
  stop(): Promise<void>;
}

export interface DevKafkaOptions {
  /** Topics to pre-create (`name` or `name:partitions`); the broker has no CreateTopics API. */
  topics: readonly string[];
  /** Number of brokers (ids 1..N). Default 3. */
  brokers?: number;
  /** Partitions per topic unless given as `name:partitions`. Default 3. */
  partitions?: number;
  /** Replication factor, 1..brokers. Default min(3, brokers). */
  replicationFactor?: number;
  /** Also write the bootstrap list to this file (removed again on stop). */
  bootstrapFile?: string;
  /** Listen on fixed ports `port..port+brokers-1` instead of ephemeral ones. */
  port?: number;
  /**
   * Delay before the first rebalance of a new (or emptied) consumer group, as Kafka's
   * `group.initial.rebalance.delay.ms`. Default 3000 like Kafka; tests usually want ~100.
   */
  groupInitialRebalanceDelayMs?: number;
  /** How long to wait for the broker to report readiness. Default 20 s. */
  startTimeoutMs?: number;
  /** Receives every log line the broker writes to stderr. Default: dropped unless URBIS_DEV_KAFKA_LOG=1. */
  onLog?: (line: string) => void;
  /** Path of the launcher binary. Default: $URBIS_DEV_KAFKA_BIN or tools/dev-kafka/bin/dev-kafka. */
  binaryPath?: string;
  /**
   * Run in its own process group, so that a terminal's Ctrl-C reaches only the parent, which
   * then stops its components in order (the local stack). Default false.
   */
  detached?: boolean;
}

const STOP_GRACE_MS = 10_000;
const LOG_TAIL_LINES = 40;
const BOOTSTRAP_PREFIX = 'BOOTSTRAP ';

/** Where the dev broker binary lives: $URBIS_DEV_KAFKA_BIN, else tools/dev-kafka/bin/dev-kafka. */
export function devKafkaBinaryPath(repoRoot: string = findRepoRoot()): string {
  const fromEnv = process.env['URBIS_DEV_KAFKA_BIN'];
  return fromEnv ? path.resolve(fromEnv) : path.join(repoRoot, 'tools', 'dev-kafka', 'bin', 'dev-kafka');
}

/**
 * Builds the dev broker if needed by running tools/dev-kafka/build.sh (a no-op taking a few
 * milliseconds when the binary is up to date; about 90 s the first time on a machine).
 */
export async function buildDevKafka(repoRoot: string = findRepoRoot()): Promise<void> {
  const script = path.join(repoRoot, 'tools', 'dev-kafka', 'build.sh');
  const output: string[] = [];
  const child = spawn('bash', [script, '--quiet'], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => output.push(chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => output.push(chunk));
  const { code, signal, error } = await waitForExit(child);
  if (error) throw new Error(`cannot run ${script}: ${error.message}`);
  if (code !== 0) {
    throw new Error(`${script} failed (${describeExit(code, signal)}):\n${output.join('').trimEnd()}`);
  }
}

/**
 * Starts the dev broker with the given topics pre-created and resolves once it accepts
 * connections. The broker also exits on its own when this process dies (its stdin closes).
 */
export async function startDevKafka(options: DevKafkaOptions): Promise<DevKafka> {
  const binary = options.binaryPath ?? devKafkaBinaryPath();
  try {
    accessSync(binary, fsConstants.X_OK);
  } catch {
    throw new Error(
      `dev-kafka binary not found or not executable at ${binary}: run tools/dev-kafka/build.sh`,
    );
  }

  const args = ['--exit-on-stdin-eof'];
  const addInt = (flag: string, value: number | undefined, min: number, max: number): void => {
    if (value === undefined) return;
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new RangeError(`startDevKafka: ${flag} must be an integer in ${min}..${max}, got ${value}`);
    }
    args.push(`--${flag}=${value}`);
  };
  addInt('brokers', options.brokers, 1, 32);
  addInt('partitions', options.partitions, 1, 10_000);
  addInt('replication-factor', options.replicationFactor, 1, 32);
  addInt('port', options.port, 1, 65_535);
  addInt('group-initial-rebalance-delay-ms', options.groupInitialRebalanceDelayMs, 0, 300_000);
  if (options.bootstrapFile !== undefined)
    args.push(`--bootstrap-file=${path.resolve(options.bootstrapFile)}`);
  // `--topic=NAME` keeps a name that starts with '-' from being read as a flag.
  for (const topic of options.topics) args.push(`--topic=${topic}`);

  // stdin stays an open pipe that is never written: when this process dies, the broker sees EOF.
  const child = spawn(binary, args, { stdio: ['pipe', 'pipe', 'pipe'], detached: options.detached ?? false });
  const exited = waitForExit(child);
  let stopping = false;

  const logTail: string[] = [];
  const onLog =
    options.onLog ??
    (process.env['URBIS_DEV_KAFKA_LOG'] === '1'
      ? (line: string) => process.stderr.write(`${line}\n`)
      : undefined);
  // Always drain stderr, or the broker would block once the pipe buffer fills.
  createInterface({ input: child.stderr, crlfDelay: Infinity }).on('line', (line) => {
    logTail.push(line);
    if (logTail.length > LOG_TAIL_LINES) logTail.shift();
    onLog?.(line);
  });
  const describeLogs = (): string => (logTail.length ? `\nbroker log:\n  ${logTail.join('\n  ')}` : '');
  // Writes never happen; a closed pipe must not become an unhandled 'error' event.
  child.stdin.on('error', () => undefined);

  const startTimeoutMs = options.startTimeoutMs ?? 20_000;
  let bootstrapServers: string[];
  try {
    bootstrapServers = await new Promise<string[]>((resolve, reject) => {
      const stdout = createInterface({ input: child.stdout, crlfDelay: Infinity });
      let settled = false;
      const settle = (action: () => void): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        stdout.close();
        action();
      };
      const timer = setTimeout(
        () =>
          settle(() => reject(new Error(`dev-kafka did not report readiness within ${startTimeoutMs} ms`))),
        startTimeoutMs,
      );
      stdout.on('line', (line) => {
        if (!line.startsWith(BOOTSTRAP_PREFIX)) return;
        const servers = line
          .slice(BOOTSTRAP_PREFIX.length)
          .split(',')
          .map((s) => s.trim())
          .filter((s) => s.length > 0);
        settle(() =>
          servers.length > 0
            ? resolve(servers)
            : reject(new Error('dev-kafka reported an empty bootstrap list')),
        );
      });
      void exited.then(({ code, signal, error }) =>
        settle(() =>
          reject(
            new Error(
              error
                ? `cannot start ${binary}: ${error.message}`
                : `dev-kafka exited before it was ready (${describeExit(code, signal)})`,
            ),
          ),
        ),
      );
    });
  } catch (error: unknown) {
    child.kill('SIGKILL');
    await exited;
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(`${message}${describeLogs()}`);
  }

  let stopPromise: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopPromise ??= (async () => {
      const alreadyExited = child.exitCode !== null || child.signalCode !== null;
      stopping = true;
      if (!alreadyExited) child.kill('SIGTERM');
      const killTimer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
      const { code, signal } = await exited;
      clearTimeout(killTimer);
      child.stdin.destroy();
      if (alreadyExited) {
        throw new Error(`dev-kafka had already exited (${describeExit(code, signal)})${describeLogs()}`);
      }
      if (code !== 0) {
        throw new Error(`dev-kafka did not stop cleanly (${describeExit(code, signal)})${describeLogs()}`);
      }
    })();
    return stopPromise;
  };

  // An unexpected exit while running is reported through the log and by stop().
  void exited.then(({ code, signal }) => {
    if (!stopping) onLog?.(`dev-kafka exited unexpectedly (${describeExit(code, signal)})`);
  });

  return { bootstrapServers, stop };
}

interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Set when the process could not be started at all. */
  error?: Error;
}

function describeExit(code: number | null, signal: NodeJS.Signals | null): string {
  return signal ? `signal ${signal}` : `exit code ${String(code)}`;
}

/** Resolves once the child has exited and its stdio is fully read ('close'), or failed to spawn. */
function waitForExit(child: ChildProcess): Promise<ExitStatus> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      resolve({ code: child.exitCode, signal: child.signalCode });
      return;
    }
    child.once('close', (code: number | null, signal: NodeJS.Signals | null) => resolve({ code, signal }));
    // 'error' covers spawn failures (which may never emit 'close') and failed kill() calls.
    child.on('error', (error) => resolve({ code: child.exitCode, signal: child.signalCode, error }));
  });
}
