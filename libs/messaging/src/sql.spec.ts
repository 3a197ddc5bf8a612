import { prismaTransactionRunner, SqlExecutor, TransactionRunner } from './sql';

/**
 * The shapes of PrismaClient's raw-query and interactive-transaction methods (Prisma 6), so the
 * typecheck proves a real client satisfies the lib's interfaces without a generated client here.
 */
interface PrismaPromise<T> extends Promise<T> {
  [Symbol.toStringTag]: 'PrismaPromise';
}
declare class PrismaLikeClient {
  $executeRawUnsafe<_T = unknown>(query: string, ...values: unknown[]): PrismaPromise<number>;
  $queryRawUnsafe<T = unknown>(query: string, ...values: unknown[]): PrismaPromise<T>;
  $transaction<P extends PrismaPromise<unknown>[]>(
    arg: [...P],
    options?: { isolationLevel?: string },
  ): Promise<unknown[]>;
  $transaction<R>(
    fn: (prisma: Omit<PrismaLikeClient, '$transaction' | '$connect' | '$disconnect'>) => Promise<R>,
    options?: { maxWait?: number; timeout?: number; isolationLevel?: string },
  ): Promise<R>;
  $connect(): Promise<void>;
  $disconnect(): Promise<void>;
}

describe('SqlExecutor / TransactionRunner', () => {
  it('are satisfied by a Prisma client and its transaction client', async () => {
    const calls: string[] = [];
    const tx = {
      $executeRawUnsafe: async (query: string) => (calls.push(query), 1) as unknown as PrismaPromise<number>,
    } as unknown as Omit<PrismaLikeClient, '$transaction' | '$connect' | '$disconnect'>;
    const prisma = {
      $transaction: async (fn: (t: typeof tx) => Promise<unknown>) => fn(tx),
    } as unknown as PrismaLikeClient;

    const executor: SqlExecutor = prisma; // a PrismaClient is an executor
    const runner: TransactionRunner = prismaTransactionRunner(prisma);
    const result = await runner.transaction(async (t) => t.$executeRawUnsafe('SELECT 1'));
    expect(result).toBe(1);
    expect(calls).toEqual(['SELECT 1']);
    expect(executor).toBe(prisma);
  });
});
