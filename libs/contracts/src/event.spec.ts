import { createEvent, dlqTopicOf, parseEvent, provisionedTopics, safeParseEvent, TOPIC_NAMES, TOPICS } from './index';

describe('event catalogue', () => {
  it('binds every topic to a schema whose version matches the .vN suffix', () => {
    for (const name of TOPIC_NAMES) {
      expect(name).toMatch(/^[a-z]+\.[a-z-]+\.[a-z-]+\.v\d+$/);
      expect(name.endsWith(`.v${TOPICS[name].version}`)).toBe(true);
    }
  });

  it('provisions each topic together with its dead-letter topic', () => {
    const topics = provisionedTopics();
    expect(topics).toHaveLength(TOPIC_NAMES.length * 2);
    expect(topics).toContain(dlqTopicOf('connectivity.uplink.received.v1'));
  });

  it('creates a valid event with a fresh id and the envelope filled in', () => {
    const event = createEvent('connectivity.device-status.changed.v1', {
      tenant: 'demo',
      source: 'connectivity',
      payload: { deviceId: 'aq-17', status: 'online', reason: 'connected', changedAt: new Date().toISOString() },
    });
    expect(event).toMatchObject({ type: 'connectivity.device-status.changed.v1', tenant: 'demo', schemaVersion: 1 });
    expect(parseEvent('connectivity.device-status.changed.v1', JSON.parse(JSON.stringify(event)))).toEqual(event);
  });

  it('rejects an event whose payload does not match, naming the field', () => {
    const result = safeParseEvent('devices.lifecycle.changed.v1', {
      id: '5b0c0a57-4b8b-4a4f-9d7c-1f0c1b6a2a11',
      type: 'devices.lifecycle.changed.v1',
      tenant: 'demo',
      source: 'devices',
      occurredAt: new Date().toISOString(),
      schemaVersion: 1,
      payload: { deviceId: 'x', from: null, to: 'flying', changedAt: new Date().toISOString() },
    });
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((issue) => issue.path.join('.'))).toContain('payload.to');
  });

  it('rejects an event published on the wrong topic', () => {
    const event = createEvent('security.policy.changed.v1', {
      tenant: 'demo',
      source: 'security',
      payload: { policyId: '5b0c0a57-4b8b-4a4f-9d7c-1f0c1b6a2a11', change: 'deleted', changedAt: new Date().toISOString() },
    });
    expect(safeParseEvent('devices.lifecycle.changed.v1', event).success).toBe(false);
  });
});
