import { createEvent, EventOf } from '@urbis/contracts';
import { propagation, ROOT_CONTEXT, trace, TraceFlags } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import {
  encodeEvent,
  InvalidEventError,
  messageKeyOf,
  OutgoingEvent,
  PublishOptions,
  toTopicMessages,
} from './publisher';
import { Subscriptions } from './consumer';

const TOPIC = 'connectivity.device-status.changed.v1';
const event = createEvent(TOPIC, {
  tenant: 'demo',
  source: 'connectivity',
  payload: {
    deviceId: 'aq-17',
    status: 'online',
    reason: 'connected',
    changedAt: '2026-01-01T00:00:00.000Z',
  },
});

describe('toTopicMessages', () => {
  it('serialises the whole event with the event headers, grouped by topic, order kept', () => {
    const second = { ...event, id: '5b0c0a57-4b8b-4a4f-9d7c-1f0c1b6a2a11' };
    const messages = toTopicMessages([
      { topic: TOPIC, event, key: 'demo/aq-17', headers: { traceparent: 'tp' } },
      { topic: TOPIC, event: second, key: 'demo/aq-17' },
    ]);
    expect(messages).toHaveLength(1);
    expect(messages[0].topic).toBe(TOPIC);
    expect(messages[0].messages.map((m) => JSON.parse(String(m.value)))).toEqual([event, second]);
    expect(messages[0].messages[0].headers).toEqual({
      traceparent: 'tp',
      'content-type': 'application/json',
      'event-type': TOPIC,
      'event-id': event.id,
    });
  });

  it('refuses the whole call when any event is invalid, listing each problem', () => {
    const bad = { ...event, payload: { ...event.payload, status: 'flying' } } as unknown as EventOf<
      typeof TOPIC
    >;
    expect(() =>
      toTopicMessages([
        { topic: TOPIC, event, key: 'k' },
        { topic: TOPIC, event: bad, key: 'k' },
      ]),
    ).toThrow(InvalidEventError);
    expect(() => toTopicMessages([{ topic: TOPIC, event: bad, key: 'k' }])).toThrow(
      /#0 on connectivity.device-status.changed.v1: payload.status/,
    );
    expect(() => toTopicMessages([{ topic: TOPIC, event, key: '' }])).toThrow(/empty message key/);
  });
});

describe('encodeEvent', () => {
  const payload = event.payload;

  it('validates once, when encoding, and the publisher sends that JSON as it is', () => {
    const encoded = encodeEvent(TOPIC, { tenant: 'demo', source: 'connectivity', payload });
    expect(JSON.parse(encoded.json)).toMatchObject({ id: encoded.id, type: TOPIC, tenant: 'demo', payload });
    const [sent] = toTopicMessages([{ topic: TOPIC, event: encoded, key: 'demo/aq-17' }]);
    expect(sent?.messages[0]?.value).toBe(encoded.json);
    expect(sent?.messages[0]?.headers?.['event-id']).toBe(encoded.id);
  });

  it('refuses an invalid payload when encoding, and an encoded event sent on another topic', () => {
    expect(() =>
      encodeEvent(TOPIC, {
        tenant: 'demo',
        source: 'connectivity',
        payload: { ...payload, status: 'flying' } as unknown as typeof payload,
      }),
    ).toThrow(/status/);
    const encoded = encodeEvent(TOPIC, { tenant: 'demo', source: 'connectivity', payload });
    expect(() =>
      toTopicMessages([
        { topic: 'devices.lifecycle.changed.v1', event: encoded, key: 'k' } as unknown as OutgoingEvent,
      ]),
    ).toThrow(/#0 on devices.lifecycle.changed.v1: encoded for connectivity.device-status.changed.v1/);
  });

  it('validates a look-alike of an encoded event like any other event', () => {
    const encoded = encodeEvent(TOPIC, { tenant: 'demo', source: 'connectivity', payload });
    const lookAlike = { topic: TOPIC, id: encoded.id, json: encoded.json };
    expect(() =>
      toTopicMessages([{ topic: TOPIC, event: lookAlike, key: 'k' } as unknown as OutgoingEvent]),
    ).toThrow(InvalidEventError);
  });
});

describe('trace context per message', () => {
  beforeAll(() => propagation.setGlobalPropagator(new W3CTraceContextPropagator()));
  afterAll(() => propagation.disable());

  it("keeps a message's own traceparent and gives the others that of the send", () => {
    const send = trace.setSpanContext(ROOT_CONTEXT, {
      traceId: '0af7651916cd43dd8448eb211c80319c',
      spanId: 'b7ad6b7169203331',
      traceFlags: TraceFlags.SAMPLED,
    });
    const own = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const [sent] = toTopicMessages(
      [
        { topic: TOPIC, event, key: 'demo/aq-17', headers: { traceparent: own } },
        { topic: TOPIC, event, key: 'demo/aq-17' },
      ],
      send,
    );
    expect(sent?.messages.map((message) => message.headers?.['traceparent'])).toEqual([
      own,
      '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
    ]);
  });
});

describe('messageKeyOf', () => {
  it("fills the topic's key template from the envelope and the payload", () => {
    expect(messageKeyOf(TOPIC, event)).toBe('demo/aq-17');
  });
});

describe('compile-time contract (checked by the typecheck target)', () => {
  it('rejects wrong topics and payloads at compile time', () => {
    // @ts-expect-error a device-status event is not a lifecycle event
    const wrongPayload: OutgoingEvent = { topic: 'devices.lifecycle.changed.v1', key: 'k', event };
    // @ts-expect-error not a catalogue topic
    const wrongTopic: OutgoingEvent = { topic: 'connectivity.uplink.recieved.v1', key: 'k', event };
    const subscriptions: Subscriptions = {
      // @ts-expect-error the handler of a topic receives that topic's events
      'devices.lifecycle.changed.v1': async (events: readonly EventOf<typeof TOPIC>[]) => void events,
    };
    const options: PublishOptions<typeof TOPIC> = { key: (e) => e.payload.deviceId };
    expect([wrongPayload, wrongTopic, subscriptions, options]).toHaveLength(4);
  });
});
