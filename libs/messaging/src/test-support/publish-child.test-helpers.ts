// Child process of publish-consume.int-spec: publishes typed events with EventPublisher and prints them.
import { createKafka } from '../kafka';
import { EventPublisher, messageKeyOf } from '../publisher';
import { statusEvent, STATUS_TOPIC } from './fixtures.test-helpers';

async function main(): Promise<void> {
  const brokers = (process.env['BROKERS'] ?? '').split(',');
  const count = Number(process.env['COUNT'] ?? '1');
  const kafka = createKafka({ clientId: 'publish-child', brokers });
  const publisher = new EventPublisher({ kafka });
  await publisher.connect();
  const events = Array.from({ length: count }, (_, i) => statusEvent(`lamp-${i % 3}`, i));
  await publisher.publish(STATUS_TOPIC, events, { key: (event) => messageKeyOf(STATUS_TOPIC, event) });
  await publisher.disconnect();
  process.stdout.write(`${JSON.stringify(events)}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`publish-child failed: ${String(error)}\n`);
  process.exit(1);
});
