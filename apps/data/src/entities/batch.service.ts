import { Inject, Injectable } from '@nestjs/common';
import type { Principal } from '@urbis/auth';
import { ProblemException, SERVICE_CONFIG } from '@urbis/runtime';
import { DataAccess } from '../access/data-access';
import type { DataConfig } from '../config';
import type { ActiveContext } from '../contexts/active-context';
import { ContextService } from '../contexts/context.service';
import { type ParsedEntity, isUri, parseEntity } from '../ngsi-ld/entity-input';
import { appendAttributes, createEntity, deleteEntity, mergeEntity, type Mutation, upsertEntity } from '../ngsi-ld/entity-mutations';
import { badRequest, NgsiLdError, type NgsiLdProblem } from '../ngsi-ld/errors';
import { EntityStore } from '../storage/entity-store';

export type BatchOperation = 'create' | 'upsert' | 'update' | 'delete' | 'merge';

/** Clause 5.2.17 BatchOperationResult. */
export interface BatchResult {
  success: string[];
  errors: { entityId: string | null; error: NgsiLdProblem }[];
  /** Ids of entities an upsert or create made (201 when it is every success). */
  created: string[];
}

type Item = { entityId: string; mutate: Mutation<unknown> } | { entityId: string | null; error: NgsiLdProblem };

/**
 * Batch entity operations (clause 5.6.7 - 5.6.10): every entity on its own (one bad entity
 * never rejects the others), all submitted at once so that they commit together.
 */
@Injectable()
export class BatchService {
  constructor(
    @Inject(SERVICE_CONFIG) private readonly config: DataConfig,
    private readonly store: EntityStore,
    private readonly contexts: ContextService,
    private readonly access: DataAccess,
  ) {}

  /** `linkedContext` is the request's context for JSON bodies; JSON-LD entities carry their own. */
  async run(operation: BatchOperation, tenant: string, principal: Principal, body: unknown, contextOf: (entity: unknown) => unknown, options: Set<string>): Promise<BatchResult> {
    if (!Array.isArray(body)) throw badRequest(`a batch ${operation} takes a JSON array`);
    if (body.length === 0) throw badRequest(`a batch ${operation} needs at least one entity`);
    if (body.length > this.config.ngsiLd.maxBatchEntities) {
      throw badRequest(`a batch takes at most ${this.config.ngsiLd.maxBatchEntities} entities; this one has ${body.length}`);
    }
    const now = new Date().toISOString();
    const items = await Promise.all(
      body.map(async (raw): Promise<Item> => {
        try {
          if (operation === 'delete') {
            if (!isUri(raw)) throw badRequest(`${JSON.stringify(raw)} is not an entity id`);
            return { entityId: raw, mutate: deleteEntity(raw) };
          }
          const context = await this.contexts.resolve(contextOf(raw));
          return this.itemOf(operation, raw, context, now, options);
        } catch (error) {
          if (error instanceof NgsiLdError) return { entityId: idOf(raw), error: error.problem as NgsiLdProblem };
          throw error;
        }
      }),
    );
    const outcomes = await Promise.allSettled(
      items.map((item) =>
        'mutate' in item ? this.store.submit({ tenant, entityId: item.entityId, mutate: this.access.guardWrite(tenant, principal, item.mutate) }) : Promise.reject(item),
      ),
    );
    const result: BatchResult = { success: [], errors: [], created: [] };
    outcomes.forEach((outcome, i) => {
      const item = items[i] as Item;
      if (outcome.status === 'fulfilled') {
        result.success.push(item.entityId as string);
        if (operation === 'create' || (operation === 'upsert' && outcome.value === true)) result.created.push(item.entityId as string);
      } else if ('error' in item) {
        result.errors.push({ entityId: item.entityId, error: item.error });
      } else if (outcome.reason instanceof ProblemException) {
        result.errors.push({ entityId: item.entityId, error: outcome.reason.problem as NgsiLdProblem });
      } else {
        throw outcome.reason;
      }
    });
    return result;
  }

  private itemOf(operation: Exclude<BatchOperation, 'delete'>, raw: unknown, context: ActiveContext, now: string, options: Set<string>): Item {
    const requireType = operation === 'create' || operation === 'upsert';
    const parsed = parseEntity(raw, { context, now, requireId: true, requireType, allowNull: operation === 'merge' });
    const id = parsed.id as string;
    const full = { ...parsed, id, types: parsed.types as string[] } as Required<Pick<ParsedEntity, 'id' | 'types'>> & ParsedEntity;
    switch (operation) {
      case 'create':
        return { entityId: id, mutate: createEntity(full) };
      case 'upsert':
        return { entityId: id, mutate: upsertEntity(full, options.has('update') ? 'update' : 'replace') };
      case 'update':
        return { entityId: id, mutate: appendAttributes(id, parsed.attrs, options.has('noOverwrite'), parsed.types) };
      case 'merge':
        return { entityId: id, mutate: mergeEntity(id, parsed) };
    }
  }
}

function idOf(raw: unknown): string | null {
  if (typeof raw === 'string') return raw;
  if (typeof raw === 'object' && raw !== null && typeof (raw as { id?: unknown }).id === 'string') return (raw as { id: string }).id;
  return null;
}
