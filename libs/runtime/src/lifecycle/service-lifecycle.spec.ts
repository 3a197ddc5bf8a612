import type { Logger } from '@urbis/observability';
import { CONNECTION_CLOSE_TIMEOUT_MS, ServiceLifecycle } from './service-lifecycle';

function recordingLogger(): { logger: Logger; errors: unknown[][] } {
  const errors: unknown[][] = [];
  const logger = { info: () => undefined, error: (...args: unknown[]) => errors.push(args) } as unknown as Logger;
  return { logger, errors };
}

describe('ServiceLifecycle shutdown', () => {
  it('closes the other connections and finishes when one close hangs, naming it', async () => {
    const { logger, errors } = recordingLogger();
    const lifecycle = new ServiceLifecycle(logger);
    const closed: string[] = [];
    lifecycle.addConnection({ name: 'database', check: async () => true, close: async () => void closed.push('database') });
    lifecycle.addConnection({ name: 'kafka-producer', check: async () => true, close: () => new Promise<void>(() => undefined) });
    const started = Date.now();
    const done = lifecycle.onApplicationShutdown();
    expect(lifecycle.shutdownProgress).toEqual({ phase: 'closing connections', workersStillStopping: [], closingConnection: 'kafka-producer' });
    await done;
    expect(Date.now() - started).toBeGreaterThanOrEqual(CONNECTION_CLOSE_TIMEOUT_MS - 50);
    expect(closed).toEqual(['database']);
    expect(errors).toEqual([[{ connection: 'kafka-producer', timeoutMs: CONNECTION_CLOSE_TIMEOUT_MS }, 'connection did not close in time; left to the exit']]);
    expect(lifecycle.shutdownProgress).toEqual({ phase: 'closed', workersStillStopping: [] });
  }, CONNECTION_CLOSE_TIMEOUT_MS + 5_000);

  it('names the workers that have not stopped yet', async () => {
    const { logger } = recordingLogger();
    const lifecycle = new ServiceLifecycle(logger);
    let release: () => void = () => undefined;
    lifecycle.addWorker({ name: 'relay', start: () => undefined, stop: async () => undefined, isRunning: () => true });
    lifecycle.addWorker({ name: 'consumer', start: () => undefined, stop: () => new Promise<void>((resolve) => (release = resolve)), isRunning: () => true });
    const stopping = lifecycle.onModuleDestroy();
    await new Promise((resolve) => setImmediate(resolve));
    expect(lifecycle.shutdownProgress).toEqual({ phase: 'stopping workers', workersStillStopping: ['consumer'] });
    release();
    await stopping;
    expect(lifecycle.shutdownProgress).toEqual({ phase: 'closing the HTTP server', workersStillStopping: [] });
  });
});
