/** A JSON value, as Prisma's Json columns and the event schemas carry them. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
