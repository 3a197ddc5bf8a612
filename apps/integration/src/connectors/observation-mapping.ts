import {
  createEvent,
  deviceId,
  entityId,
  entityType,
  type EventOf,
  jsonValue,
  timestamp,
} from '@urbis/contracts';
import { z } from 'zod';
import { compileExpression, ExpressionEvaluationError, type JsonataLimits } from '../common/jsonata';

const attribute = z.object({
  name: z.string().min(1).max(256),
  type: z.enum(['Property', 'GeoProperty', 'Relationship']).default('Property'),
  value: jsonValue,
  unitCode: z.string().max(16).optional(),
  observedAt: timestamp.optional(),
});
const attributeDetail = z.object({
  type: z.enum(['Property', 'GeoProperty', 'Relationship']).optional(),
  value: jsonValue,
  unitCode: z.string().max(16).optional(),
  observedAt: timestamp.optional(),
});
const attributeValue = z.union([attributeDetail, jsonValue]);

type Attribute = z.output<typeof attribute>;

/** `{ name: 21.5 }` or `{ name: { value: 21.5, unitCode: 'CEL' } }`. */
function attributeOf(name: string, value: z.output<typeof attributeValue>): Attribute {
  const detailed = attributeDetail.safeParse(value);
  if (detailed.success && typeof value === 'object' && value !== null && 'value' in value) {
    return { name, ...detailed.data, type: detailed.data.type ?? 'Property' };
  }
  return { name, type: 'Property', value: value as z.output<typeof jsonValue> };
}

/** What a mapping returns: one observation or an array; attributes as a list or a { name: value } object. */
const mappedObservation = z.object({
  entity: z.object({ id: entityId, type: entityType }),
  deviceId: deviceId.optional(),
  observedAt: timestamp.optional(),
  attributes: z.union([
    z.array(attribute).min(1).max(1000),
    z.record(z.string().min(1).max(256), attributeValue),
  ]),
});

export class MappingError extends Error {}

export interface MappingLimits extends JsonataLimits {
  maxObservations: number;
}

type Observation = EventOf<'devices.observation.decoded.v1'>;

/**
 * A connector's mapping: the JSONata expression, bounded in time and size, and the check that
 * what it returns is a list of observations (`devices.observation.decoded.v1` payloads).
 */
export class ObservationMapping {
  private readonly evaluate: (input: unknown) => Promise<unknown>;

  constructor(
    expression: string,
    private readonly limits: MappingLimits,
  ) {
    this.evaluate = compileExpression(expression, limits);
  }

  /** The observations of one reading; [] when the mapping returns nothing (a reading to skip). */
  async observations(
    tenant: string,
    sourceId: string,
    input: unknown,
    receivedAt: Date,
  ): Promise<Observation[]> {
    let output: unknown;
    try {
      output = await this.evaluate(input);
    } catch (error) {
      throw new MappingError(error instanceof ExpressionEvaluationError ? error.message : String(error));
    }
    if (output === undefined || output === null) return [];
    const list = Array.isArray(output) ? output : [output];
    if (list.length > this.limits.maxObservations) {
      throw new MappingError(
        `the mapping returned ${list.length} observations, more than ${this.limits.maxObservations}`,
      );
    }
    return list.map((item, index) => {
      const parsed = mappedObservation.safeParse(item);
      if (!parsed.success) {
        const issues = parsed.error.issues.map(
          (issue) => `${[index, ...issue.path].join('.')}: ${issue.message}`,
        );
        throw new MappingError(`the mapping returned no valid observation: ${issues.slice(0, 5).join('; ')}`);
      }
      const { entity, attributes, observedAt } = parsed.data;
      const at = observedAt ?? receivedAt.toISOString();
      const list = Array.isArray(attributes)
        ? attributes
        : Object.entries(attributes).map(([name, value]) => attributeOf(name, value));
      if (list.length === 0) throw new MappingError(`observation ${index} has no attributes`);
      try {
        return createEvent('devices.observation.decoded.v1', {
          tenant,
          source: 'integration',
          payload: { deviceId: parsed.data.deviceId ?? sourceId, entity, observedAt: at, attributes: list },
        });
      } catch (error) {
        throw new MappingError(
          `observation ${index} is not valid: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
    });
  }
}
