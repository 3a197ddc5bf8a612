import { provisionedTopics } from '@urbis/contracts';
import { startServiceForTest } from '@urbis/runtime';
import { describeServiceBoot } from '@urbis/testing';
import { AppModule } from './app.module';
import { configSchema } from './config';

describeServiceBoot({
  service: 'integration',
  start: (env) => startServiceForTest(AppModule, configSchema, env),
  topics: provisionedTopics(),
  workers: [
    'outbox-relay',
    'messaging-retention',
    'delivery-dispatcher',
    'notifications-consumer',
    'platform-events-consumer',
    'connector-supervisor',
  ],
  tables: [
    'delivery',
    'delivery_attempt',
    'destination_policy',
    'endpoint',
    'webhook',
    'webhook_secret',
    'connector',
  ],
});
