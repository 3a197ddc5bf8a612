import type { StoredEntity } from '../ngsi-ld/stored';

/** The columns every entity read selects, for an `entity` aliased `e`. */
export const ENTITY_COLUMNS = 'e.pk, e.id, e.types, e.scopes, e.attrs, e.created_at, e.modified_at';

export interface EntityRow {
  pk: bigint | number | string;
  id: string;
  types: string[];
  scopes: string[];
  attrs: StoredEntity['attrs'];
  created_at: Date | string;
  modified_at: Date | string;
}

const iso = (value: Date | string) => (value instanceof Date ? value : new Date(value)).toISOString();

export function toStoredEntity(row: EntityRow): StoredEntity {
  return { id: row.id, types: row.types, scopes: row.scopes ?? [], attrs: row.attrs ?? {}, createdAt: iso(row.created_at), modifiedAt: iso(row.modified_at) };
}
