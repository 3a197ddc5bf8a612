import { NgsiLdError, notFound } from './errors';
import type { ParsedEntity } from './entity-input';
import { type StoredAttribute, type StoredEntity, subAttributesOf } from './stored';

/**
 * What each NGSI-LD write does to one entity (clauses 5.6 and 5.9), as pure functions from the
 * entity's current state to its next one. The store runs them in order inside one transaction,
 * so several operations on one entity in a batch see each other's effects.
 */
export interface Change<R> {
  /** The entity after the operation; `null`: deleted; the same object as `current`: unchanged. */
  next: StoredEntity | null;
  result: R;
}

export type Mutation<R> = (current: StoredEntity | null, now: string) => Change<R>;

/** Attribute IRIs the operation changed and could not change (clause 5.2.18 UpdateResult). */
export interface UpdateResult {
  updated: string[];
  notUpdated: { attribute: string; reason: string }[];
}

const defaultKey = (instance: { datasetId?: string }) => instance.datasetId ?? '';

const missingEntity = (id: string) => notFound(`entity ${id} does not exist`);

export function createEntity(parsed: Required<Pick<ParsedEntity, 'id' | 'types'>> & ParsedEntity): Mutation<void> {
  return (current, now) => {
    if (current) throw new NgsiLdError('AlreadyExists', `entity ${parsed.id} already exists`);
    return { next: { id: parsed.id, types: parsed.types, scopes: parsed.scopes ?? [], attrs: presentAttrs(parsed), createdAt: now, modifiedAt: now }, result: undefined };
  };
}

/** PUT /entities/{id}: everything but id and createdAt replaced. */
export function replaceEntity(id: string, parsed: ParsedEntity): Mutation<void> {
  return (current, now) => {
    if (!current) throw missingEntity(id);
    return {
      next: { id, types: parsed.types ?? current.types, scopes: parsed.scopes ?? [], attrs: presentAttrs(parsed), createdAt: current.createdAt, modifiedAt: now },
      result: undefined,
    };
  };
}

/** PATCH /entities/{id} (merge-patch semantics): attributes merged member by member; null deletes. */
export function mergeEntity(id: string, parsed: ParsedEntity): Mutation<void> {
  return (current, now) => {
    if (!current) throw missingEntity(id);
    const attrs = { ...current.attrs };
    for (const [iri, instances] of Object.entries(parsed.attrs)) {
      if (instances === null) delete attrs[iri];
      else attrs[iri] = mergeInstances(attrs[iri] ?? [], instances, now);
    }
    const types = parsed.types ? [...new Set([...current.types, ...parsed.types])] : current.types;
    return { next: { ...current, types, scopes: parsed.scopes ?? current.scopes, attrs, modifiedAt: now }, result: undefined };
  };
}

/** POST /entities/{id}/attrs and batch update: add attributes; existing ones replaced unless `noOverwrite`. */
export function appendAttributes(id: string, incoming: Record<string, StoredAttribute[] | null>, noOverwrite: boolean, types?: string[]): Mutation<UpdateResult> {
  return (current, now) => {
    if (!current) throw missingEntity(id);
    const result: UpdateResult = { updated: [], notUpdated: [] };
    const attrs = { ...current.attrs };
    for (const [iri, instances] of Object.entries(incoming)) {
      if (instances === null) continue;
      const existing = attrs[iri] ?? [];
      const kept = [...existing];
      let changed = false;
      for (const instance of instances) {
        const at = kept.findIndex((candidate) => defaultKey(candidate) === defaultKey(instance));
        if (at >= 0 && noOverwrite) continue;
        if (at >= 0) kept[at] = { ...instance, createdAt: (kept[at] as StoredAttribute).createdAt };
        else kept.push(instance);
        changed = true;
      }
      if (changed) {
        attrs[iri] = kept;
        result.updated.push(iri);
      } else {
        result.notUpdated.push({ attribute: iri, reason: 'the attribute exists and noOverwrite was asked for' });
      }
    }
    const nextTypes = types ? [...new Set([...current.types, ...types])] : current.types;
    const touched = result.updated.length > 0 || nextTypes.length !== current.types.length;
    return { next: touched ? { ...current, types: nextTypes, attrs, modifiedAt: now } : current, result };
  };
}

/** PATCH /entities/{id}/attrs: only attributes (and dataset instances) the entity has are replaced. */
export function updateAttributes(id: string, incoming: Record<string, StoredAttribute[] | null>): Mutation<UpdateResult> {
  return (current, now) => {
    if (!current) throw missingEntity(id);
    const result: UpdateResult = { updated: [], notUpdated: [] };
    const attrs = { ...current.attrs };
    for (const [iri, instances] of Object.entries(incoming)) {
      const existing = attrs[iri];
      if (!existing || instances === null) {
        result.notUpdated.push({ attribute: iri, reason: 'the entity has no such attribute' });
        continue;
      }
      const kept = [...existing];
      const missing = instances.filter((instance) => !kept.some((candidate) => defaultKey(candidate) === defaultKey(instance)));
      if (missing.length > 0) {
        result.notUpdated.push({ attribute: iri, reason: `no instance with datasetId ${missing[0]?.datasetId ?? '(default)'}` });
        continue;
      }
      for (const instance of instances) {
        const at = kept.findIndex((candidate) => defaultKey(candidate) === defaultKey(instance));
        kept[at] = { ...instance, createdAt: (kept[at] as StoredAttribute).createdAt };
      }
      attrs[iri] = kept;
      result.updated.push(iri);
    }
    return { next: result.updated.length > 0 ? { ...current, attrs, modifiedAt: now } : current, result };
  };
}

/** PATCH /entities/{id}/attrs/{attrId}: the members given replace those of the instance (sub-attributes merged). */
export function partialAttributeUpdate(id: string, iri: string, fragment: StoredAttribute): Mutation<void> {
  return (current, now) => {
    if (!current) throw missingEntity(id);
    const existing = current.attrs[iri];
    const at = existing?.findIndex((candidate) => defaultKey(candidate) === defaultKey(fragment)) ?? -1;
    if (!existing || at < 0) throw notFound(`entity ${id} has no attribute ${iri}${fragment.datasetId ? ` with datasetId ${fragment.datasetId}` : ''}`);
    const kept = [...existing];
    kept[at] = mergeInstance(existing[at] as StoredAttribute, fragment, now);
    return { next: { ...current, attrs: { ...current.attrs, [iri]: kept }, modifiedAt: now }, result: undefined };
  };
}

/** PUT /entities/{id}/attrs/{attrId}: the instance replaced as a whole. */
export function replaceAttribute(id: string, iri: string, instance: StoredAttribute): Mutation<void> {
  return (current, now) => {
    if (!current) throw missingEntity(id);
    const existing = current.attrs[iri];
    const at = existing?.findIndex((candidate) => defaultKey(candidate) === defaultKey(instance)) ?? -1;
    if (!existing || at < 0) throw notFound(`entity ${id} has no attribute ${iri}${instance.datasetId ? ` with datasetId ${instance.datasetId}` : ''}`);
    const kept = [...existing];
    kept[at] = { ...instance, createdAt: (existing[at] as StoredAttribute).createdAt, modifiedAt: now };
    return { next: { ...current, attrs: { ...current.attrs, [iri]: kept }, modifiedAt: now }, result: undefined };
  };
}

/** DELETE /entities/{id}/attrs/{attrId}: the default instance, one datasetId, or all (`deleteAll`). */
export function deleteAttribute(id: string, iri: string, selection: { datasetId?: string; deleteAll: boolean }): Mutation<void> {
  return (current, now) => {
    if (!current) throw missingEntity(id);
    const existing = current.attrs[iri];
    if (!existing) throw notFound(`entity ${id} has no attribute ${iri}`);
    const kept = selection.deleteAll ? [] : existing.filter((instance) => defaultKey(instance) !== (selection.datasetId ?? ''));
    if (kept.length === existing.length) throw notFound(`attribute ${iri} of ${id} has no instance ${selection.datasetId ? `with datasetId ${selection.datasetId}` : 'without datasetId'}`);
    const attrs = { ...current.attrs };
    if (kept.length === 0) delete attrs[iri];
    else attrs[iri] = kept;
    return { next: { ...current, attrs, modifiedAt: now }, result: undefined };
  };
}

export function deleteEntity(id: string): Mutation<void> {
  return (current) => {
    if (!current) throw missingEntity(id);
    return { next: null, result: undefined };
  };
}

/** Batch upsert: create, or replace (default) / update the existing entity. Resolves to whether it was created. */
export function upsertEntity(parsed: Required<Pick<ParsedEntity, 'id' | 'types'>> & ParsedEntity, mode: 'replace' | 'update'): Mutation<boolean> {
  return (current, now) => {
    if (!current) return { next: createEntity(parsed)(null, now).next, result: true };
    const next = mode === 'replace' ? replaceEntity(parsed.id, parsed)(current, now).next : appendAttributes(parsed.id, parsed.attrs, false, parsed.types)(current, now).next;
    return { next, result: false };
  };
}

/**
 * A device observation: the entity is created on its first reading; each observed attribute's
 * default instance is replaced (its sub-attributes kept).
 */
export function observe(id: string, type: string, attributes: Record<string, StoredAttribute>): Mutation<void> {
  return (current, now) => {
    if (!current) {
      const attrs: Record<string, StoredAttribute[]> = {};
      for (const [iri, instance] of Object.entries(attributes)) attrs[iri] = [instance];
      return { next: { id, types: [type], scopes: [], attrs, createdAt: now, modifiedAt: now }, result: undefined };
    }
    const attrs = { ...current.attrs };
    for (const [iri, instance] of Object.entries(attributes)) {
      const existing = attrs[iri] ?? [];
      const at = existing.findIndex((candidate) => candidate.datasetId === undefined);
      if (at < 0) attrs[iri] = [instance, ...existing];
      else {
        const previous = existing[at] as StoredAttribute;
        const kept = [...existing];
        kept[at] = { ...Object.fromEntries(subAttributesOf(previous)), ...instance, createdAt: previous.createdAt };
        attrs[iri] = kept;
      }
    }
    const types = current.types.includes(type) ? current.types : [...current.types, type];
    return { next: { ...current, types, attrs, modifiedAt: now }, result: undefined };
  };
}

function presentAttrs(parsed: ParsedEntity): Record<string, StoredAttribute[]> {
  const attrs: Record<string, StoredAttribute[]> = {};
  for (const [iri, instances] of Object.entries(parsed.attrs)) if (instances) attrs[iri] = instances;
  return attrs;
}

function mergeInstances(existing: StoredAttribute[], incoming: StoredAttribute[], now: string): StoredAttribute[] {
  const merged = [...existing];
  for (const instance of incoming) {
    const at = merged.findIndex((candidate) => defaultKey(candidate) === defaultKey(instance));
    if (at < 0) merged.push(withoutNulls(instance));
    else merged[at] = mergeInstance(merged[at] as StoredAttribute, instance, now);
  }
  return merged;
}

/** Members of `fragment` replace those of `target`; sub-attributes merge recursively; null deletes. */
export function mergeInstance(target: StoredAttribute, fragment: Partial<StoredAttribute>, now: string): StoredAttribute {
  const merged: Record<string, unknown> = { ...target };
  for (const [member, value] of Object.entries(fragment)) {
    if (member === 'createdAt') continue;
    if (value === null || value === undefined) delete merged[member];
    else if (member.includes(':') && typeof target[member] === 'object' && target[member] !== null) merged[member] = mergeInstance(target[member] as StoredAttribute, value as StoredAttribute, now);
    else merged[member] = value;
  }
  if (fragment.type === undefined || fragment.type === target.type) merged['type'] = target.type;
  merged['modifiedAt'] = now;
  return merged as StoredAttribute;
}

function withoutNulls(instance: StoredAttribute): StoredAttribute {
  return Object.fromEntries(Object.entries(instance).filter(([, value]) => value !== null)) as StoredAttribute;
}
