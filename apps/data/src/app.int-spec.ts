import { provisionedTopics } from '@urbis/contracts';
import { startServiceForTest } from '@urbis/runtime';
import { describeServiceBoot } from '@urbis/testing';
import { AppModule } from './app.module';
import { configSchema } from './config';

describeServiceBoot({
  service: 'data',
  start: (env) => startServiceForTest(AppModule, configSchema, env),
  topics: provisionedTopics(),
  workers: ['outbox-relay', 'entity-writer', 'observation-ingest', 'policy-feed'],
  tables: [
    ...['tenant', 'entity', 'entity_geo', 'attribute_instance', 'attribute_instance_default', 'jsonld_context'],
    // PostGIS's own table and views
    ...['spatial_ref_sys', 'geometry_columns', 'geography_columns'],
  ],
});
