import type { ActiveContext } from '../contexts/active-context';
import { compactTypeSelection } from './subscription-input';
import { DEFAULT_TRIGGERS, statusOf, type StoredSubscription } from './subscription';

const ENTITY_MEMBERS = new Set(['id', 'type', 'scope']);

/**
 * A subscription as a response shows it (clause 5.2.12): the members it was given, names
 * compacted with the response's @context, the default notificationTrigger, and the read-only
 * members — status, notification.timesSent/timesFailed, and the last notification, success,
 * failure and their status once there has been one. createdAt/modifiedAt with sysAttrs.
 */
export function renderSubscription(
  subscription: StoredSubscription,
  context: ActiveContext,
  options: { sysAttrs: boolean; now?: number },
): Record<string, unknown> {
  const { body } = subscription;
  const compact = (iri: string) => context.compactIri(iri);
  const out: Record<string, unknown> = { id: body.id, type: 'Subscription' };
  if (body.subscriptionName !== undefined) out['subscriptionName'] = body.subscriptionName;
  if (body.description !== undefined) out['description'] = body.description;
  if (body.entities) {
    out['entities'] = body.entities.map((selector) => ({
      ...(selector.id !== undefined && { id: selector.id }),
      ...(selector.idPattern !== undefined && { idPattern: selector.idPattern }),
      type: compactTypeSelection(selector.type, compact),
    }));
  }
  if (body.watchedAttributes) out['watchedAttributes'] = body.watchedAttributes.map(compact);
  out['notificationTrigger'] = body.notificationTrigger ?? [...DEFAULT_TRIGGERS];
  for (const name of [
    'timeInterval',
    'q',
    'scopeQ',
    'csf',
    'isActive',
    'expiresAt',
    'throttling',
    'lang',
    'datasetId',
    'jsonldContext',
    'notifyOnMetadataChange',
  ] as const) {
    if (body[name] !== undefined) out[name] = body[name];
  }
  if (body.geoQ)
    out['geoQ'] = {
      ...body.geoQ,
      ...(body.geoQ.geoproperty !== undefined && { geoproperty: compact(body.geoQ.geoproperty) }),
    };
  out['status'] = statusOf(body, options.now);

  const params = body.notification;
  const member = (name: string) => (ENTITY_MEMBERS.has(name) ? name : compact(name));
  const notification: Record<string, unknown> = {};
  if (params.attributes) notification['attributes'] = params.attributes.map(compact);
  if (params.pick) notification['pick'] = params.pick.map(member);
  if (params.omit) notification['omit'] = params.omit.map(member);
  for (const name of ['format', 'sysAttrs', 'showChanges'] as const) {
    if (params[name] !== undefined) notification[name] = params[name];
  }
  notification['endpoint'] = params.endpoint;
  notification['timesSent'] = subscription.timesSent;
  notification['timesFailed'] = subscription.timesFailed;
  if (subscription.lastNotification) notification['lastNotification'] = subscription.lastNotification;
  if (subscription.lastSuccess) notification['lastSuccess'] = subscription.lastSuccess;
  if (subscription.lastFailure) notification['lastFailure'] = subscription.lastFailure;
  const outcome = lastOutcome(subscription);
  if (outcome) notification['status'] = outcome;
  out['notification'] = notification;
  if (options.sysAttrs) {
    out['createdAt'] = subscription.createdAt;
    out['modifiedAt'] = subscription.modifiedAt;
  }
  return out;
}

/** Clause 5.2.14: "ok" when the last attempt to notify succeeded, "failed" when it failed. */
function lastOutcome(subscription: StoredSubscription): 'ok' | 'failed' | undefined {
  const { lastSuccess, lastFailure } = subscription;
  if (!lastSuccess && !lastFailure) return undefined;
  if (!lastFailure) return 'ok';
  if (!lastSuccess) return 'failed';
  return Date.parse(lastSuccess) >= Date.parse(lastFailure) ? 'ok' : 'failed';
}
