// PolicyFeed against the dev broker: a replica that starts late catches up with every policy
// already published before start() resolves, then follows live changes.
import { createEvent, provisionedTopics } from '@urbis/contracts';
import { createKafka, EventPublisher, messageKeyOf } from '@urbis/messaging';
import { buildDevKafka, type DevKafka, eventually, startDevKafka } from '@urbis/testing';
import { randomUUID } from 'node:crypto';
import { type Policy, PolicyCache, PolicyFeed } from './index';

const policy = (tenant: string, entityType: string, version = 1, policyId: string = randomUUID()): Policy => ({
  policyId,
  tenant,
  version,
  subject: { kind: 'client', id: 'parking-app' },
  actions: ['read'],
  resources: [{ kind: 'entity-type', entityType }],
  purpose: 'parking guidance',
  updatedAt: new Date().toISOString(),
});

describe('PolicyFeed', () => {
  let kafka: DevKafka;
  let publisher: EventPublisher;
  const publish = (change: 'created' | 'updated' | 'deleted', p: Policy) => {
    const event = createEvent('security.policy.changed.v2', {
      tenant: p.tenant,
      source: 'security',
      payload: { policyId: p.policyId, change, version: p.version, policy: p, changedAt: p.updatedAt },
    });
    return publisher.publish('security.policy.changed.v2', [event], { key: messageKeyOf('security.policy.changed.v2', event) });
  };

  beforeAll(async () => {
    await buildDevKafka();
    kafka = await startDevKafka({ topics: provisionedTopics(), brokers: 1, partitions: 3, groupInitialRebalanceDelayMs: 100 });
    publisher = new EventPublisher({ kafka: createKafka({ clientId: 'policy-feed-test', brokers: kafka.bootstrapServers }) });
    await publisher.connect();
  });

  afterAll(async () => {
    await publisher?.disconnect();
    await kafka?.stop();
  });

  it('holds every earlier policy once start() resolves, then follows changes', async () => {
    const earlier = Array.from({ length: 30 }, (_, i) => policy(i % 2 ? 'alpha' : 'beta', `Type${i}`));
    for (const p of earlier) await publish('created', p);
    const cache = new PolicyCache();
    const feed = new PolicyFeed({ kafka: createKafka({ clientId: 'replica-1', brokers: kafka.bootstrapServers }), cache, groupId: `policies-${randomUUID()}` });
    try {
      await feed.start();
      expect(feed.isRunning()).toBe(true);
      expect(cache.size).toBe(30);
      expect(cache.evaluate({ tenant: 'alpha', subject: { clientId: 'parking-app' }, action: 'read', entityType: 'Type1' }).decision).toBe('allow');
      const changed = { ...(earlier[1] as Policy), version: 2, resources: [{ kind: 'entity-type' as const, entityType: 'Other' }] };
      await publish('updated', changed);
      await eventually(() => cache.evaluate({ tenant: 'alpha', subject: { clientId: 'parking-app' }, action: 'read', entityType: 'Type1' }).decision === 'deny', { what: 'the update applied' });
      await publish('deleted', { ...changed, version: 3 });
      await eventually(() => cache.size === 29, { what: 'the deletion applied' });
    } finally {
      await feed.stop();
    }
  });

  it('starts at once on an empty topic partition set', async () => {
    const cache = new PolicyCache();
    const feed = new PolicyFeed({ kafka: createKafka({ clientId: 'replica-2', brokers: kafka.bootstrapServers }), cache, groupId: `policies-${randomUUID()}` });
    try {
      await feed.start();
      expect(feed.isRunning()).toBe(true);
    } finally {
      await feed.stop();
    }
  });
});
