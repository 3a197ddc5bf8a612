import { notificationEndpoint } from '@urbis/contracts';
import type { ActiveContext } from '../contexts/active-context';
import { asNgsiLdError, languageOf } from '../entities/query-options';
import { assertName, isDateTime, isUri } from '../ngsi-ld/entity-input';
import { badRequest } from '../ngsi-ld/errors';
import { parseTypeSelection } from '../ngsi-ld/type-selection';
import { parseGeoQuery, parseQ, parseScopeQ } from '../query';
import { checkPortablePattern } from '../query/regex-subset';
import {
  type Endpoint,
  type EntitySelector,
  type GeoQuerySpec,
  type KeyValuePair,
  NOTIFICATION_MEDIA_TYPES,
  NOTIFICATION_TRIGGERS,
  type NotificationFormat,
  type NotificationParams,
  type NotificationTrigger,
  type SubscriptionBody,
} from './subscription';

/**
 * Subscription payloads (clause 5.2.12, operations of clause 5.8) into the stored shape. Every
 * member is checked and named in its error (400 BadRequestData); read-only members (status,
 * timesSent, ...) and members this broker does not know are ignored, as Table 5.2.12-2 asks.
 */

type Json = Record<string, unknown>;
/** A member a fragment sets to null: removed on update. */
type Removal = null;
type Fragment<T> = { [K in keyof T]?: T[K] | Removal };

const FORMATS = new Set<NotificationFormat>(['normalized', 'concise', 'keyValues', 'simplified']);
const ENTITY_MEMBERS = new Set(['id', 'type', 'scope']);
const TYPE_OPERATORS = /([,|;()])/;
/** RFC 9110 token: what a header name may be made of. */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,256}$/;
const MAX_PAIRS = 64;

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

export interface SubscriptionInputOptions {
  context: ActiveContext;
  /** Now, in ms: expiresAt must be later. */
  now: number;
}

/** A complete subscription from a creation request; `generateId` names one that has no id. */
export function parseSubscription(
  raw: unknown,
  options: SubscriptionInputOptions & { generateId: () => string },
): SubscriptionBody {
  if (!isObject(raw)) throw badRequest('a subscription must be a JSON object');
  const members = parseMembers(raw, options);
  if (members.type === undefined) throw badRequest('type is mandatory and must be "Subscription"');
  if (!members.notification) throw badRequest('notification is mandatory');
  if (!isComplete(members.notification)) throw badRequest('notification.endpoint is mandatory');
  const body = withoutRemovals({ ...members, id: members.id ?? options.generateId() }) as SubscriptionBody;
  checkCombination(body);
  return body;
}

/**
 * An update (clause 5.8.2): the fragment's members replace the subscription's, `notification`
 * member by member; a null removes an optional member. The result is checked as a whole.
 */
export function applyFragment(
  current: SubscriptionBody,
  raw: unknown,
  options: SubscriptionInputOptions,
): SubscriptionBody {
  if (!isObject(raw)) throw badRequest('a subscription fragment must be a JSON object');
  const members = parseMembers(raw, options);
  if (members.id !== undefined && members.id !== current.id)
    throw badRequest(`the fragment's id ${members.id} is not the subscription ${current.id}`);
  if (members.notification === null) throw badRequest('notification is mandatory and cannot be removed');
  const notification = members.notification
    ? mergeNotification(current.notification, members.notification)
    : current.notification;
  const merged: Json = { ...current };
  for (const [name, value] of Object.entries(members)) {
    if (name === 'id' || name === 'type' || name === 'notification') continue;
    if (value === null) delete merged[name];
    else merged[name] = value;
  }
  const body = { ...merged, notification } as SubscriptionBody;
  checkCombination(body);
  return body;
}

function mergeNotification(
  current: NotificationParams,
  fragment: Fragment<NotificationParams>,
): NotificationParams {
  if (fragment.endpoint === null)
    throw badRequest('notification.endpoint is mandatory and cannot be removed');
  const merged: Json = { ...current };
  for (const [name, value] of Object.entries(fragment)) {
    if (value === null) delete merged[name];
    else merged[name] = value;
  }
  const result = merged as unknown as NotificationParams;
  checkProjection(result);
  return result;
}

/** Rules that tie members together (Table 5.2.12-1, 5.2.14-1). */
function checkCombination(body: SubscriptionBody): void {
  if (!body.entities && !body.watchedAttributes)
    throw badRequest('a subscription needs entities or watchedAttributes (or both)');
  if (body.timeInterval !== undefined && body.watchedAttributes)
    throw badRequest(
      'timeInterval and watchedAttributes cannot be combined: a periodic subscription watches nothing',
    );
  if (body.timeInterval !== undefined && body.throttling !== undefined)
    throw badRequest('timeInterval and throttling cannot be combined');
  checkProjection(body.notification);
}

function checkProjection(notification: NotificationParams): void {
  if (notification.attributes && (notification.pick || notification.omit))
    throw badRequest('notification.attributes cannot be combined with pick or omit');
  if (notification.pick && notification.omit) {
    const both = notification.pick.filter((member) => notification.omit?.includes(member));
    throw badRequest(
      both.length > 0
        ? `notification.pick and omit both name ${both.join(', ')}`
        : 'notification.pick and omit cannot be combined',
    );
  }
  if (
    notification.showChanges &&
    (notification.format === 'keyValues' || notification.format === 'simplified')
  ) {
    throw badRequest('notification.showChanges cannot be true with the keyValues format');
  }
}

function isComplete(notification: Fragment<NotificationParams>): notification is NotificationParams {
  return isObject(notification.endpoint);
}

function withoutRemovals<T extends object>(members: T): T {
  return Object.fromEntries(Object.entries(members).filter(([, value]) => value !== null)) as T;
}

/** Every member the payload gives, checked; nulls kept (a fragment's removals). */
function parseMembers(raw: Json, options: SubscriptionInputOptions): Fragment<SubscriptionBody> {
  const { context } = options;
  const expand = (name: string, what: string) => {
    assertName(name, what);
    return context.expandTerm(name);
  };
  const out: Fragment<SubscriptionBody> = {};
  const given = (name: string) => name in raw && raw[name] !== undefined;
  const nullable = <K extends keyof SubscriptionBody>(
    name: K,
    parse: (value: unknown) => SubscriptionBody[K],
  ) => {
    if (!given(name)) return;
    out[name] = raw[name] === null ? null : parse(raw[name]);
  };

  if (given('id')) {
    if (!isUri(raw['id'])) throw badRequest(`id ${JSON.stringify(raw['id'])} is not a URI`);
    out.id = raw['id'];
  }
  if (given('type')) {
    if (raw['type'] !== 'Subscription')
      throw badRequest(`type must be "Subscription", not ${JSON.stringify(raw['type'])}`);
    out.type = 'Subscription';
  }
  nullable('subscriptionName', (value) => text(value, 'subscriptionName'));
  nullable('description', (value) => text(value, 'description'));
  nullable('entities', (value) =>
    nonEmpty(value, 'entities').map((item, i) => entitySelector(item, `entities[${i}]`, context)),
  );
  nullable('watchedAttributes', (value) =>
    unique(
      nonEmpty(value, 'watchedAttributes').map((name, i) =>
        expand(text(name, `watchedAttributes[${i}]`), 'watched attribute'),
      ),
    ),
  );
  nullable('notificationTrigger', (value) =>
    unique(nonEmpty(value, 'notificationTrigger').map((trigger, i) => notificationTrigger(trigger, i))),
  );
  nullable('timeInterval', (value) => positive(value, 'timeInterval'));
  nullable('throttling', (value) => positive(value, 'throttling'));
  const query = (value: unknown, what: string, parse: (text: string) => unknown) => {
    const written = text(value, what);
    checked(written, parse);
    return written;
  };
  nullable('q', (value) =>
    query(value, 'q', (q) => parseQ(q, { expand: (term) => context.expandTerm(term) })),
  );
  nullable('csf', (value) =>
    query(value, 'csf', (csf) => parseQ(csf, { expand: (term) => context.expandTerm(term) })),
  );
  nullable('scopeQ', (value) => query(value, 'scopeQ', parseScopeQ));
  nullable('geoQ', (value) => geoQuery(value, context));
  nullable('isActive', (value) => flag(value, 'isActive'));
  nullable('notifyOnMetadataChange', (value) => flag(value, 'notifyOnMetadataChange'));
  nullable('expiresAt', (value) => {
    if (!isDateTime(value)) throw badRequest(`expiresAt ${JSON.stringify(value)} is not a DateTime`);
    if (Date.parse(value) <= options.now) throw badRequest(`expiresAt ${value} is not in the future`);
    return value;
  });
  nullable('lang', (value) => {
    const lang = text(value, 'lang');
    languageOf({ lang });
    return lang;
  });
  nullable('datasetId', (value) => {
    const ids = typeof value === 'string' ? [value] : nonEmpty(value, 'datasetId');
    return unique(
      ids.map((id, i) => {
        if (id !== '@none' && !isUri(id))
          throw badRequest(`datasetId[${i}] ${JSON.stringify(id)} is not a URI (or @none)`);
        return id as string;
      }),
    );
  });
  nullable('jsonldContext', (value) => {
    if (typeof value !== 'string' || !/^[a-z][a-z0-9+.-]*:\/\/\S+$/i.test(value))
      throw badRequest(`jsonldContext ${JSON.stringify(value)} is not an absolute URL`);
    return value;
  });
  if (given('notification')) {
    if (raw['notification'] === null) out.notification = null;
    else out.notification = notificationParams(raw['notification'], expand) as NotificationParams;
  }
  return out;
}

function notificationParams(
  raw: unknown,
  expand: (name: string, what: string) => string,
): Fragment<NotificationParams> {
  if (!isObject(raw)) throw badRequest('notification must be an object');
  const out: Fragment<NotificationParams> = {};
  const given = (name: string) => name in raw && raw[name] !== undefined;
  const nullable = <K extends keyof NotificationParams>(
    name: K,
    parse: (value: unknown) => NotificationParams[K],
  ) => {
    if (!given(name)) return;
    out[name] = raw[name] === null ? null : parse(raw[name]);
  };
  const member = (name: unknown, what: string) => {
    const value = text(name, what);
    return ENTITY_MEMBERS.has(value) ? value : expand(value, what);
  };
  nullable('attributes', (value) =>
    unique(
      nonEmpty(value, 'notification.attributes').map((name, i) =>
        expand(text(name, `notification.attributes[${i}]`), 'notification attribute'),
      ),
    ),
  );
  nullable('pick', (value) =>
    unique(nonEmpty(value, 'notification.pick').map((name, i) => member(name, `notification.pick[${i}]`))),
  );
  nullable('omit', (value) =>
    unique(nonEmpty(value, 'notification.omit').map((name, i) => member(name, `notification.omit[${i}]`))),
  );
  nullable('format', (value) => {
    if (typeof value !== 'string' || !FORMATS.has(value as NotificationFormat))
      throw badRequest(
        `notification.format must be one of normalized, concise, keyValues, simplified, not ${JSON.stringify(value)}`,
      );
    return value as NotificationFormat;
  });
  nullable('sysAttrs', (value) => flag(value, 'notification.sysAttrs'));
  nullable('showChanges', (value) => flag(value, 'notification.showChanges'));
  nullable('endpoint', (value) => endpoint(value));
  if (out.showChanges && (out.format === 'keyValues' || out.format === 'simplified'))
    throw badRequest('notification.showChanges cannot be true with the keyValues format');
  return out;
}

function endpoint(raw: unknown): Endpoint {
  if (!isObject(raw)) throw badRequest('notification.endpoint must be an object');
  const uri = raw['uri'];
  if (typeof uri !== 'string') throw badRequest('notification.endpoint.uri is mandatory');
  if (!notificationEndpoint.shape.uri.safeParse(uri).success)
    throw badRequest(
      `notification.endpoint.uri ${JSON.stringify(uri)} is not an http, https, mqtt or mqtts URL`,
    );
  if (/^mqtts?:/i.test(uri) && new URL(uri).pathname.replace(/^\/+/, '') === '')
    throw badRequest(
      'an mqtt(s) notification.endpoint.uri must name the topic to publish on, e.g. mqtt://broker:1883/city/notifications',
    );
  const out: Endpoint = { uri };
  if (raw['accept'] !== undefined) {
    if (!(NOTIFICATION_MEDIA_TYPES as readonly unknown[]).includes(raw['accept']))
      throw badRequest(`notification.endpoint.accept must be one of ${NOTIFICATION_MEDIA_TYPES.join(', ')}`);
    out.accept = raw['accept'] as Endpoint['accept'];
  }
  if (raw['timeout'] !== undefined) out.timeout = positive(raw['timeout'], 'notification.endpoint.timeout');
  if (raw['cooldown'] !== undefined)
    out.cooldown = positive(raw['cooldown'], 'notification.endpoint.cooldown');
  if (raw['receiverInfo'] !== undefined)
    out.receiverInfo = keyValuePairs(raw['receiverInfo'], 'notification.endpoint.receiverInfo', true);
  if (raw['notifierInfo'] !== undefined)
    out.notifierInfo = keyValuePairs(raw['notifierInfo'], 'notification.endpoint.notifierInfo', false);
  return out;
}

/** Clause 5.2.22: key and value are both strings. receiverInfo travels as HTTP headers (or MQTT metadata). */
function keyValuePairs(raw: unknown, what: string, asHeaders: boolean): KeyValuePair[] {
  if (!Array.isArray(raw)) throw badRequest(`${what} must be an array of {key, value}`);
  if (raw.length > MAX_PAIRS) throw badRequest(`${what} has more than ${MAX_PAIRS} entries`);
  return raw.map((pair, i) => {
    if (
      !isObject(pair) ||
      typeof pair['key'] !== 'string' ||
      typeof pair['value'] !== 'string' ||
      pair['key'] === ''
    ) {
      throw badRequest(`${what}[${i}] must be {"key": <string>, "value": <string>}`);
    }
    if (asHeaders && !HEADER_NAME.test(pair['key']))
      throw badRequest(`${what}[${i}].key ${JSON.stringify(pair['key'])} is not a valid header name`);
    if (/[\r\n\0]/.test(pair['value']) || pair['value'].length > 8192)
      throw badRequest(`${what}[${i}].value must be one line of at most 8192 characters`);
    return { key: pair['key'], value: pair['value'] };
  });
}

function entitySelector(raw: unknown, what: string, context: ActiveContext): EntitySelector {
  if (!isObject(raw)) throw badRequest(`${what} must be an object`);
  const type = raw['type'];
  if (typeof type !== 'string' || type.trim() === '') throw badRequest(`${what}.type is mandatory`);
  const expand = (name: string) => {
    assertName(name, `${what}.type`);
    return context.expandTerm(name);
  };
  parseTypeSelection(type, expand);
  const selector: EntitySelector = { type: expandTypeSelection(type, expand) };
  if (raw['id'] !== undefined) {
    if (!isUri(raw['id'])) throw badRequest(`${what}.id ${JSON.stringify(raw['id'])} is not a URI`);
    selector.id = raw['id'];
  }
  if (raw['idPattern'] !== undefined) {
    const pattern = text(raw['idPattern'], `${what}.idPattern`);
    const problem = checkPortablePattern(pattern);
    if (problem) throw badRequest(`${what}.idPattern ${problem}`);
    selector.idPattern = pattern;
  }
  return selector;
}

/** The type selection with each name replaced by its IRI, operators and grouping kept. */
export function expandTypeSelection(text: string, expand: (name: string) => string): string {
  return text
    .split(TYPE_OPERATORS)
    .map((token) => token.trim())
    .filter((token) => token !== '')
    .map((token) => (TYPE_OPERATORS.test(token) ? token : expand(token)))
    .join('');
}

/** The stored type selection with each IRI compacted for a response. */
export function compactTypeSelection(expanded: string, compact: (iri: string) => string): string {
  return expanded
    .split(TYPE_OPERATORS)
    .filter((token) => token !== '')
    .map((token) => (TYPE_OPERATORS.test(token) ? token : compact(token)))
    .join('');
}

function geoQuery(raw: unknown, context: ActiveContext): GeoQuerySpec {
  if (!isObject(raw)) throw badRequest('geoQ must be an object with geometry, coordinates and georel');
  const input = {
    geometry: raw['geometry'],
    coordinates: raw['coordinates'],
    georel: raw['georel'],
    geoproperty: raw['geoproperty'],
  };
  const parsed = checked(input, (value) =>
    parseGeoQuery(value, { expand: (term) => context.expandTerm(term) }),
  );
  if (!parsed) throw badRequest('geoQ needs georel, geometry and coordinates');
  const spec: GeoQuerySpec = {
    geometry: raw['geometry'] as string,
    coordinates: raw['coordinates'],
    georel: raw['georel'] as string,
  };
  if (raw['geoproperty'] !== undefined) spec.geoproperty = parsed.geoproperty;
  return spec;
}

function notificationTrigger(value: unknown, index: number): NotificationTrigger {
  if (!(NOTIFICATION_TRIGGERS as readonly unknown[]).includes(value)) {
    throw badRequest(
      `notificationTrigger[${index}] ${JSON.stringify(value)} is not one of ${NOTIFICATION_TRIGGERS.join(', ')}`,
    );
  }
  return value as NotificationTrigger;
}

function checked<T, R>(value: T, parse: (value: T) => R): R {
  try {
    return parse(value);
  } catch (error) {
    throw asNgsiLdError(error);
  }
}

function text(value: unknown, what: string): string {
  if (typeof value !== 'string' || value === '') throw badRequest(`${what} must be a non-empty string`);
  if (value.length > 16_384) throw badRequest(`${what} is longer than 16384 characters`);
  return value;
}

function flag(value: unknown, what: string): boolean {
  if (typeof value !== 'boolean') throw badRequest(`${what} must be true or false`);
  return value;
}

function positive(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0)
    throw badRequest(`${what} must be a positive number, not ${JSON.stringify(value)}`);
  return value;
}

function nonEmpty(value: unknown, what: string): unknown[] {
  if (!Array.isArray(value)) throw badRequest(`${what} must be an array`);
  if (value.length === 0) throw badRequest(`${what} cannot be empty`);
  if (value.length > 1000) throw badRequest(`${what} has more than 1000 items`);
  return value;
}

const unique = <T>(items: T[]): T[] => [...new Set(items)];
