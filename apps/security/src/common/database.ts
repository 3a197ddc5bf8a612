import type { Prisma } from '../prisma-client/client';

/** The client or an interactive transaction of it: what repositories write through. */
export type Db = Prisma.TransactionClient;
