import { SqlExecutor, TransactionRunner } from './sql';

/**
 * Claims `eventId` for `consumer` inside the handler's transaction. True the first time; false when the
 * event was already processed (or is being processed by a concurrent transaction that then commits:
 * the INSERT waits for it). Roll the transaction back and the claim goes with it.
 */
export async function claimEvent(tx: SqlExecutor, consumer: string, eventId: string): Promise<boolean> {
  const inserted = await tx.$executeRawUnsafe(
    'INSERT INTO processed_event (consumer, event_id) VALUES ($1, $2::uuid) ON CONFLICT DO NOTHING',
    consumer,
    eventId,
  );
  return inserted === 1;
}

/**
 * Runs `effect` for an event at most once per consumer: the claim and the effect commit together, so a
 * redelivered event has no second effect. Resolves to whether the effect ran now.
 */
export async function processOnce(
  db: TransactionRunner,
  consumer: string,
  event: { id: string },
  effect: (tx: SqlExecutor) => Promise<void>,
): Promise<boolean> {
  return db.transaction(async (tx) => {
    if (!(await claimEvent(tx, consumer, event.id))) return false;
    await effect(tx);
    return true;
  });
}
