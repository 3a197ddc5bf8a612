import { provisionedTopics } from '@urbis/contracts';
import { startServiceForTest } from '@urbis/runtime';
import { describeServiceBoot, runServiceMain } from '@urbis/testing';
import { AppModule } from './app.module';
import { configSchema } from './config';

describeServiceBoot({
  service: 'devices',
  start: (env) => startServiceForTest(AppModule, configSchema, env),
  topics: provisionedTopics(),
  workers: ['command-responses', 'command-sweeper', 'enforcement', 'firmware-campaigns', 'outbox-relay', 'messaging-retention', 'uplink-decoder'],
  tables: [
    'campaign_device',
    'command',
    'device',
    'device_credential',
    'device_profile',
    'device_twin',
    'firmware_artifact',
    'firmware_campaign',
  ],
});

describe('devices configuration', () => {
  it('names its own bad variables too', async () => {
    const result = await runServiceMain('devices', {
      JSONATA_TIMEOUT_MS: '0',
      COMMAND_SWEEP_INTERVAL_MS: 'soon',
    });
    expect(result.code).toBe(1);
    for (const variable of ['JSONATA_TIMEOUT_MS', 'COMMAND_SWEEP_INTERVAL_MS']) {
      expect(result.stderr).toMatch(new RegExp(`^\\s+${variable}: `, 'm'));
    }
  });
});
