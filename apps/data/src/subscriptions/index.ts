import { DeliveryResults } from './delivery-results';
import { PeriodicNotifier } from './periodic-notifier';
import { SubscriptionIndex } from './subscription-index';
import { SubscriptionNotifier } from './subscription-notifier';
import { SubscriptionsController } from './subscriptions.controller';
import { SubscriptionsRepository } from './subscriptions.repository';
import { SubscriptionsService } from './subscriptions.service';

/** NGSI-LD subscriptions: the API, matching in every write's transaction, periodic notifications, delivery results. */
export const SUBSCRIPTION_CONTROLLERS = [SubscriptionsController];
export const SUBSCRIPTION_PROVIDERS = [
  SubscriptionsRepository,
  SubscriptionIndex,
  SubscriptionsService,
  SubscriptionNotifier,
  PeriodicNotifier,
  DeliveryResults,
];
