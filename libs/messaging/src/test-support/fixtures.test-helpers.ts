// Events and a quiet logger shared by the messaging tests and their child processes (no harness imports,
// so a child process loads only what it uses).
import { createEvent, EventOf } from '@urbis/contracts';
import { MessagingLogger } from '../logger';

export const STATUS_TOPIC = 'connectivity.device-status.changed.v1';
export type StatusEvent = EventOf<typeof STATUS_TOPIC>;

/** Errors of the code under test are printed; everything else is quiet. */
export const testLogger: MessagingLogger = {
  error: (message, extra) =>
    process.stderr.write(`[messaging error] ${message} ${JSON.stringify(extra ?? {})}\n`),
  warn: () => undefined,
  info: () => undefined,
  debug: () => undefined,
};

export function statusEvent(deviceId: string, index: number, tenant = 'demo'): StatusEvent {
  return createEvent(STATUS_TOPIC, {
    tenant,
    source: 'connectivity',
    payload: {
      deviceId,
      status: index % 2 === 0 ? 'online' : 'offline',
      reason: 'uplink',
      changedAt: new Date(Date.UTC(2026, 0, 1, 0, 0, index)).toISOString(),
    },
  });
}
