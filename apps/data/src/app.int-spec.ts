import { provisionedTopics } from '@urbis/contracts';
import { startServiceForTest } from '@urbis/runtime';
import { describeServiceBoot } from '@urbis/testing';
import { AppModule } from './app.module';
import { configSchema } from './config';
import { expectedPartitions } from './temporal/history-partitions';

describeServiceBoot({
  service: 'data',
  start: (env) => startServiceForTest(AppModule, configSchema, env),
  topics: provisionedTopics(),
  workers: ['outbox-relay', 'messaging-retention', 'entity-writer', 'observation-ingest', 'policy-feed', 'history-partitions', 'subscription-index', 'periodic-notifications', 'delivery-results', 'retention'],
  tables: [
    ...['tenant', 'entity', 'entity_geo', 'attribute_instance', 'attribute_instance_default', 'attribute_rollup', 'temporal_entity', 'jsonld_context', 'subscription', 'retention_policy'],
    // the monthly history partitions made at boot (default: last month to three ahead)
    ...expectedPartitions(new Date(), 3),
    // PostGIS's own table and views
    ...['spatial_ref_sys', 'geometry_columns', 'geography_columns'],
  ],
});
