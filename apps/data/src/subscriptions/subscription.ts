/**
 * A subscription as the broker keeps it (clause 5.2.12): the members the client gave, checked,
 * with every name expanded to its IRI (entity types, watched attributes, notification
 * attributes, pick/omit, geoproperty); query texts (`q`, `scopeQ`, `csf`) kept as written and
 * read with the subscription's @context. Members the client left out stay out, so a retrieved
 * subscription shows what was asked for and nothing else.
 */
export type NotificationTrigger =
  | 'entityCreated'
  | 'entityUpdated'
  | 'entityDeleted'
  | 'attributeCreated'
  | 'attributeUpdated'
  | 'attributeDeleted';

export const NOTIFICATION_TRIGGERS: readonly NotificationTrigger[] = [
  'entityCreated',
  'entityUpdated',
  'entityDeleted',
  'attributeCreated',
  'attributeUpdated',
  'attributeDeleted',
];

/** Clause 5.2.12: the triggers of a subscription that names none. */
export const DEFAULT_TRIGGERS: readonly NotificationTrigger[] = ['attributeCreated', 'attributeUpdated'];

export type NotificationFormat = 'normalized' | 'concise' | 'keyValues' | 'simplified';

export const NOTIFICATION_MEDIA_TYPES = [
  'application/json',
  'application/ld+json',
  'application/geo+json',
] as const;
export type NotificationMediaType = (typeof NOTIFICATION_MEDIA_TYPES)[number];

export interface KeyValuePair {
  key: string;
  value: string;
}

export interface Endpoint {
  uri: string;
  accept?: NotificationMediaType;
  /** Milliseconds (clause 5.2.15); kept and shown, the delivery engine applies its own limits. */
  timeout?: number;
  cooldown?: number;
  receiverInfo?: KeyValuePair[];
  notifierInfo?: KeyValuePair[];
}

export interface NotificationParams {
  /** Expanded attribute IRIs. */
  attributes?: string[];
  /** Entity members to keep or leave out: `id`, `type`, `scope` or expanded attribute IRIs. */
  pick?: string[];
  omit?: string[];
  format?: NotificationFormat;
  sysAttrs?: boolean;
  showChanges?: boolean;
  endpoint: Endpoint;
}

export interface EntitySelector {
  id?: string;
  idPattern?: string;
  /** The type selection (clause 4.17) with every type name expanded, e.g. `https://a/B;https://a/C`. */
  type: string;
}

export interface GeoQuerySpec {
  geometry: string;
  coordinates: unknown;
  georel: string;
  /** Expanded IRI of the GeoProperty (`location` when the client named none). */
  geoproperty?: string;
}

export interface SubscriptionBody {
  id: string;
  type: 'Subscription';
  subscriptionName?: string;
  description?: string;
  entities?: EntitySelector[];
  watchedAttributes?: string[];
  notificationTrigger?: NotificationTrigger[];
  timeInterval?: number;
  q?: string;
  geoQ?: GeoQuerySpec;
  scopeQ?: string;
  csf?: string;
  isActive?: boolean;
  notification: NotificationParams;
  expiresAt?: string;
  throttling?: number;
  lang?: string;
  datasetId?: string[];
  jsonldContext?: string;
  notifyOnMetadataChange?: boolean;
}

/** Who created the subscription: notifications show only what they may read (data-access policies). */
export interface SubscriptionOwner {
  subject: string;
  clientId: string;
  roles: string[];
}

/** A stored subscription with what the broker tracks about it (the read-only members of clause 5.2.12/5.2.14). */
export interface StoredSubscription {
  tenant: string;
  body: SubscriptionBody;
  /** The @context of the request that created (or last re-contextualised) it; null: the core context. */
  context: unknown;
  /** The @context URL a JSON notification links (jsonldContext, the client's context URL, or a hosted copy of an inline one). */
  contextLink: string;
  owner: SubscriptionOwner;
  timesSent: number;
  timesFailed: number;
  lastNotification?: string;
  lastSuccess?: string;
  lastFailure?: string;
  createdAt: string;
  modifiedAt: string;
}

export type SubscriptionStatus = 'active' | 'paused' | 'expired';

/**
 * Clause 5.8.2: expired once expiresAt has passed (pausing or resuming does not revive an expired
 * subscription, a new expiresAt does), else paused while isActive is false, else active.
 */
export function statusOf(
  body: Pick<SubscriptionBody, 'isActive' | 'expiresAt'>,
  now: number = Date.now(),
): SubscriptionStatus {
  if (body.expiresAt !== undefined && Date.parse(body.expiresAt) <= now) return 'expired';
  if (body.isActive === false) return 'paused';
  return 'active';
}
