import type { ActiveContext } from '../contexts/active-context';
import { NGSI_LD_NULL, VALUE_MEMBER } from '../ngsi-ld/entity-input';
import { renderInstance, renderTypes, valueOf } from '../ngsi-ld/entity-output';
import type { AttributeType } from '../ngsi-ld/stored';
import type { AggregatePeriod, HistoryInstance, SeriesKey, TemporalEntityRow } from './history.repository';
import type { AggregationMethod, TimeProperty } from './temporal-query';

/** Clause 4.5.9 (normalized), 4.5.9's simplified form (temporalValues) and 4.5.19 (aggregatedValues). */
export type TemporalFormat = 'normalized' | 'temporalValues' | 'aggregatedValues';

/** The member holding the [value, time] pairs of each attribute type in temporalValues. */
const TEMPORAL_VALUES_MEMBER: Record<AttributeType, string> = {
  Property: 'values',
  GeoProperty: 'values',
  Relationship: 'objects',
  LanguageProperty: 'languageMaps',
  ListProperty: 'valueLists',
  ListRelationship: 'objectLists',
  JsonProperty: 'jsons',
  VocabProperty: 'vocabs',
};

/** The instance id as NGSI-LD shows it (a URI); storage keeps the UUID. */
export const INSTANCE_ID_PREFIX = 'urn:ngsi-ld:attribute:instance:';
export const instanceIdOf = (uuid: string) => `${INSTANCE_ID_PREFIX}${uuid}`;

/** ISO 8601 with the milliseconds only when there are some (as most clients write times). */
export const formatTime = (iso: string) => iso.replace(/\.000Z$/, 'Z');

export interface TemporalRenderOptions {
  context: ActiveContext;
  format: TemporalFormat;
  sysAttrs: boolean;
  timeproperty: TimeProperty;
  methods?: readonly AggregationMethod[];
}

/** One series' content for rendering: instances or periods, and its attribute type. */
export interface SeriesContent {
  key: SeriesKey;
  type: string;
  instances?: HistoryInstance[];
  periods?: AggregatePeriod[];
}

export function renderTemporalEntity(entity: TemporalEntityRow, series: readonly SeriesContent[], options: TemporalRenderOptions): Record<string, unknown> {
  const out: Record<string, unknown> = { id: entity.id, type: renderTypes(entity.types, options.context) };
  if (entity.scopes.length > 0) out['scope'] = entity.scopes.length === 1 ? entity.scopes[0] : entity.scopes;
  const byAttribute = new Map<string, SeriesContent[]>();
  for (const content of series) byAttribute.set(content.key.attr, [...(byAttribute.get(content.key.attr) ?? []), content]);
  for (const [attr, contents] of byAttribute) {
    const name = options.context.compactIri(attr);
    if (options.format === 'normalized') {
      out[name] = contents.flatMap((content) => (content.instances ?? []).map((row) => renderHistoryInstance(row, options)));
      continue;
    }
    const rendered = contents.map((content) => (options.format === 'temporalValues' ? renderValues(content, options) : renderPeriods(content, options)));
    out[name] = rendered.length === 1 ? rendered[0] : rendered;
  }
  if (options.sysAttrs) {
    out['createdAt'] = formatTime(entity.createdAt);
    out['modifiedAt'] = formatTime(entity.modifiedAt);
    if (entity.deletedAt) out['deletedAt'] = formatTime(entity.deletedAt);
  }
  return out;
}

function renderHistoryInstance(row: HistoryInstance, options: TemporalRenderOptions): Record<string, unknown> {
  if (row.deleted) {
    // The attribute (or this datasetId of it) was deleted then: an instance without a value.
    const type = row.instance.type;
    return {
      type,
      [VALUE_MEMBER[type] ?? 'value']: NGSI_LD_NULL,
      ...(row.instance.datasetId !== undefined && { datasetId: row.instance.datasetId }),
      instanceId: instanceIdOf(row.instanceId),
      deletedAt: formatTime(row.modifiedAt),
    };
  }
  const rendered = renderInstance(row.instance, { context: options.context, format: 'normalized', sysAttrs: false }) as Record<string, unknown>;
  rendered['instanceId'] = instanceIdOf(row.instanceId);
  if (options.sysAttrs) {
    rendered['createdAt'] = formatTime(row.createdAt);
    rendered['modifiedAt'] = formatTime(row.modifiedAt);
  }
  return rendered;
}

/** The time a pair or a period carries: observedAt as written, else the time property's value. */
export function timeOf(row: HistoryInstance, timeproperty: TimeProperty): string {
  if (timeproperty === 'observedAt' && row.instance.observedAt) return row.instance.observedAt;
  return formatTime(row.time);
}

function renderValues(content: SeriesContent, options: TemporalRenderOptions): Record<string, unknown> {
  const type = content.type as AttributeType;
  const pairs = (content.instances ?? []).filter((row) => !row.deleted).map((row) => [valueOf(row.instance, options.context), timeOf(row, options.timeproperty)]);
  return { type, ...(content.key.datasetId !== '' && { datasetId: content.key.datasetId }), [TEMPORAL_VALUES_MEMBER[type] ?? 'values']: pairs };
}

function renderPeriods(content: SeriesContent, options: TemporalRenderOptions): Record<string, unknown> {
  const out: Record<string, unknown> = { type: content.type, ...(content.key.datasetId !== '' && { datasetId: content.key.datasetId }) };
  for (const method of options.methods ?? []) {
    out[method] = (content.periods ?? []).map((period) => [period.values[method] ?? null, formatTime(period.start), formatTime(period.end)]);
  }
  return out;
}
