import type { Logger } from '@urbis/observability';
import type { ServiceLifecycle } from '@urbis/runtime';

/**
 * Runs `task` every `intervalMs` as a runtime worker (readiness, drained on shutdown): one run at
 * a time, a failed run logged and retried at the next tick.
 */
export function addPeriodicWorker(
  lifecycle: ServiceLifecycle,
  logger: Logger,
  options: { name: string; intervalMs: number; task: () => Promise<unknown> },
): { runOnce(): Promise<void> } {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  const runOnce = (): Promise<void> =>
    (running ??= options
      .task()
      .then(
        () => undefined,
        (error: unknown) => logger.error({ err: error, worker: options.name }, 'periodic task failed'),
      )
      .finally(() => {
        running = undefined;
      }));
  lifecycle.addWorker({
    name: options.name,
    start: async () => {
      timer = setInterval(() => void runOnce(), options.intervalMs);
    },
    stop: async () => {
      clearInterval(timer);
      timer = undefined;
      await running;
    },
    isRunning: () => timer !== undefined,
  });
  return { runOnce };
}
