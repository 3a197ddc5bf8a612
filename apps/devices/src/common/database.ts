import { Prisma } from '../prisma-client/client';

/** The client or an interactive transaction of it: what repositories write through. */
export type Db = Prisma.TransactionClient;

/** A unique constraint failed (Prisma P2002); `target` lists the columns when Prisma knows them. */
export function uniqueViolation(error: unknown): { target: string[] } | undefined {
  if (!(error instanceof Prisma.PrismaClientKnownRequestError) || error.code !== 'P2002') return undefined;
  const meta = error.meta ?? {};
  const target = meta['target'];
  if (Array.isArray(target)) return { target: target.map(String) };
  // With a driver adapter the columns arrive under driverAdapterError.cause.constraint.fields.
  const fields = (meta['driverAdapterError'] as { cause?: { constraint?: { fields?: unknown } } } | undefined)
    ?.cause?.constraint?.fields;
  return { target: Array.isArray(fields) ? fields.map((field) => String(field).replace(/"/g, '')) : [] };
}

/** A foreign key failed (P2003) or a row the write depends on is missing (P2025). */
export function isMissingReference(error: unknown): boolean {
  return (
    error instanceof Prisma.PrismaClientKnownRequestError &&
    (error.code === 'P2003' || error.code === 'P2025')
  );
}
