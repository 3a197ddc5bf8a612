import { provisionedTopics } from '@urbis/contracts';
import { startServiceForTest } from '@urbis/runtime';
import { describeServiceBoot, runServiceMain } from '@urbis/testing';
import { AppModule } from './app.module';
import { configSchema } from './config';

describeServiceBoot({
  service: 'connectivity',
  start: (env) => startServiceForTest(AppModule, configSchema, { MQTT_HOST: '127.0.0.1', MQTT_PORT: '0', ...env }),
  topics: provisionedTopics(),
  workers: ['commands', 'device-status', 'enforcement', 'mqtt-server', 'outbox-relay', 'messaging-retention', 'registry-consumer'],
  tables: ['device', 'device_command', 'device_credential', 'device_status', 'link_sample', 'lorawan_device'],
});

describe('connectivity configuration', () => {
  it('names its own bad variables too', async () => {
    const result = await runServiceMain('connectivity', { MQTT_PORT: '70000', REPLICA_ID: 'has spaces', SILENCE_TOLERANCE: '0' });
    expect(result.code).toBe(1);
    for (const variable of ['MQTT_PORT', 'REPLICA_ID', 'SILENCE_TOLERANCE']) {
      expect(result.stderr).toMatch(new RegExp(`^\\s+${variable}: `, 'm'));
    }
  });
});
