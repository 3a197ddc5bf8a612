import { provisionedTopics } from '@urbis/contracts';
import { startServiceForTest } from '@urbis/runtime';
import { describeServiceBoot } from '@urbis/testing';
import { AppModule } from './app.module';
import { configSchema } from './config';

describeServiceBoot({
  service: 'security',
  start: (env) => startServiceForTest(AppModule, configSchema, env),
  topics: provisionedTopics(),
  workers: ['outbox-relay', 'messaging-retention', 'audit-ledger', 'ledger-checkpoints', 'incident-detection'],
  tables: ['audit_record', 'ledger_checkpoint', 'data_access_policy', 'incident', 'detection_threshold', 'enforcement'],
});
