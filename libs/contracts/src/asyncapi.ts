import { stringify } from 'yaml';
import { z } from 'zod';
import { SERVICES, ServiceName } from './envelope';
import { eventSchemaOf } from './event';
import { jsonValue } from './events/common';
import { dlqTopicOf, TOPIC_NAMES, TopicName, TOPICS } from './topics';

/*
 * The AsyncAPI 3.0 document for integrators, generated from TOPICS: nothing in docs/asyncapi.yaml
 * is written by hand. `npx nx run contracts:asyncapi` regenerates the file; asyncapi.spec.ts fails
 * when the checked-in copy is stale.
 */

export type JsonSchemaValue = string | number | boolean | null | JsonSchemaValue[] | { [key: string]: JsonSchemaValue };
export type JsonSchemaObject = { [key: string]: JsonSchemaValue };

/** Headers every event carries. Trace context lives here, never in the envelope. */
export const EVENT_HEADER_DESCRIPTIONS = {
  traceparent: 'W3C Trace Context `traceparent` of the span that produced the event (e.g. the reading it carries), or of the publisher send span when the producer had none (one per produce request).',
  tracestate: 'W3C Trace Context `tracestate`, vendor-specific trace data; present only when the producer had one.',
  'event-type': 'The envelope `type`, i.e. the topic name, so a consumer can route before parsing the value.',
  'event-id': 'The envelope `id` (UUID), so a consumer can dedupe before parsing the value.',
} as const;

/** Headers a dead-letter message carries in addition to the original message's headers. */
export const DLQ_HEADER_DESCRIPTIONS = {
  'dlq-reason': 'Why the message was dead-lettered: the validation issues, or the last handler error.',
  'dlq-original-topic': 'The topic the message was consumed from.',
  'dlq-original-partition': 'The partition it was consumed from (decimal string).',
  'dlq-original-offset': 'Its offset in that partition (decimal string).',
  'dlq-consumer-group': 'The consumer group that gave up on it.',
  'dlq-failed-at': 'When it was dead-lettered (RFC 3339).',
  'dlq-kind': '`invalid` (it never reached a handler: not JSON, or not valid for the topic) or `handler-failed`.',
  'dlq-attempts': 'For `handler-failed`: how many times the handler was tried (decimal string).',
} as const;

/** The dlq-* headers every dead letter has; `dlq-attempts` only comes with handler failures. */
const REQUIRED_DLQ_HEADERS = [
  'dlq-reason',
  'dlq-kind',
  'dlq-original-topic',
  'dlq-original-partition',
  'dlq-original-offset',
  'dlq-consumer-group',
  'dlq-failed-at',
];

/**
 * Who consumes each topic, where the architecture already says so. Consumers are not part of
 * the topic's contract (anyone may subscribe), so this only feeds the documentation.
 */
export interface AsyncApiOptions {
  /** The platform version (root package.json), used as the document's `info.version`. */
  readonly version: string;
}

const DESCRIPTION = `Every Kafka topic of the Urbis platform, generated from \`libs/contracts\` (do not edit by hand).

**Envelope.** Every message value is a JSON object: \`id\` (UUID, consumers dedupe on it: delivery is at-least-once),
\`type\` (the topic name), \`tenant\`, \`source\` (the publishing service), \`occurredAt\` (RFC 3339),
\`schemaVersion\` (equals the topic's \`.vN\` suffix) and the topic-specific \`payload\`.

**Topics and versions.** Names are \`<domain>.<entity>.<event>.v<N>\`. A topic is bound to exactly one schema;
a breaking change is a new topic version, published alongside the old one until its consumers have moved.

**Keys.** The message key (see each message's Kafka binding) keeps one device's or entity's events in one
partition, hence in order.

**Headers.** W3C trace context travels in \`traceparent\`/\`tracestate\` headers, so one trace follows a reading
across services; \`event-type\` and \`event-id\` repeat the envelope's \`type\` and \`id\`.

**Dead letters.** A consumer validates every message before handling it. A message that fails validation (or keeps
failing) is copied, value and headers unchanged, to \`<topic>.dlq\` with \`dlq-*\` headers saying why, where it was
read and by whom; the consumer then moves on. Nothing is silently dropped.`;

const KAFKA_BINDING_VERSION = '0.5.0';

/** `connectivity.uplink.received.v1` → `connectivityUplinkReceivedV1`. */
export function channelIdOf(topic: string): string {
  const [first = '', ...rest] = topic.split(/[.-]/);
  return first + rest.map((word) => word.charAt(0).toUpperCase() + word.slice(1)).join('');
}

const capitalize = (word: string): string => word.charAt(0).toUpperCase() + word.slice(1);

const jsonValueGetter = (jsonValue._zod.def as { getter?: unknown }).getter;

/**
 * The JSON Schema (draft-07, which AsyncAPI schemas extend) of a topic's full event. Input
 * semantics: what a consumer's validation accepts, so unknown fields are not forbidden.
 * `z.json()` is recursive; it points at the shared `JsonValue` component instead of a local
 * `definitions` entry that would not resolve inside the AsyncAPI document.
 */
export function eventJsonSchemaOf(topic: TopicName): JsonSchemaObject {
  const schema = z.toJSONSchema(eventSchemaOf(topic), {
    target: 'draft-07',
    io: 'input',
    override: ({ zodSchema, jsonSchema }) => {
      const def = zodSchema._zod.def as { type: string; getter?: unknown };
      if (def.type !== 'lazy' || def.getter !== jsonValueGetter) return;
      const { description } = jsonSchema;
      for (const key of Object.keys(jsonSchema)) delete (jsonSchema as Record<string, unknown>)[key];
      Object.assign(jsonSchema, description ? { description } : {}, {
        allOf: [{ $ref: '#/components/schemas/JsonValue' }],
      });
    },
  }) as JsonSchemaObject;
  const { $schema: _dialect, definitions: _unused, ...body } = schema;
  if (JSON.stringify(body).includes('#/definitions/')) {
    throw new Error(
      `${topic}: its schema has a recursive or shared part that is not a component yet; ` +
        'give it a name in asyncapi.ts (like JsonValue) so the reference resolves in the document',
    );
  }
  return body;
}

const headersSchema = (headers: Readonly<Record<string, string>>, required: readonly string[]): JsonSchemaObject => ({
  type: 'object',
  properties: Object.fromEntries(
    Object.entries(headers).map(([name, description]) => [name, { type: 'string', description }]),
  ),
  required: [...required],
});

const ref = (pointer: string): JsonSchemaObject => ({ $ref: pointer });

const publishersOf = (topic: TopicName): readonly ServiceName[] => {
  const publishers = TOPICS[topic].publishers;
  return publishers.includes('*') ? SERVICES : (publishers as readonly ServiceName[]);
};

/** Builds the AsyncAPI 3.0.0 document (a plain JSON object) from the topic catalogue. */
export function buildAsyncApiDocument(options: AsyncApiOptions): JsonSchemaObject {
  const channels: JsonSchemaObject = {};
  const operations: JsonSchemaObject = {};

  for (const topic of TOPIC_NAMES) {
    const definition = TOPICS[topic];
    const channelId = channelIdOf(topic);
    const dlqTopic = dlqTopicOf(topic);
    const dlqChannelId = channelIdOf(dlqTopic);
    const consumers = definition.consumers;
    const anyPublisher = definition.publishers.includes('*');

    channels[channelId] = {
      address: topic,
      title: topic,
      summary: definition.summary,
      bindings: {
        kafka: { bindingVersion: KAFKA_BINDING_VERSION, topicConfiguration: { 'cleanup.policy': [definition.cleanup ?? 'delete'] } },
      },
      description:
        `Published by ${anyPublisher ? 'every service' : publishersOf(topic).join(', ')}` +
        (consumers.length ? `; consumed by ${consumers.join(', ')}` : '') +
        `. Key: \`${definition.key}\`. Schema version ${definition.version}. Dead letters: \`${dlqTopic}\`.`,
      messages: {
        [channelId]: {
          name: topic,
          title: topic,
          summary: definition.summary,
          contentType: 'application/json',
          headers: ref('#/components/schemas/EventHeaders'),
          payload: eventJsonSchemaOf(topic),
          bindings: {
            kafka: {
              bindingVersion: KAFKA_BINDING_VERSION,
              key: { type: 'string', description: `Message key: ${definition.key}` },
            },
          },
        },
      },
    };

    channels[dlqChannelId] = {
      address: dlqTopic,
      title: dlqTopic,
      summary: `Dead letters of ${topic}.`,
      description:
        `Messages of \`${topic}\` that a consumer could not validate or handle, value and headers unchanged, ` +
        'plus the dlq-* headers. Operators inspect and replay them.',
      messages: {
        [dlqChannelId]: {
          name: dlqTopic,
          title: `Dead letter of ${topic}`,
          contentType: 'application/json',
          headers: ref('#/components/schemas/DeadLetterHeaders'),
          payload: {
            description:
              `The original message value, unchanged. Usually an event of ${topic}, but it may be ` +
              'anything: failing validation is one reason it is here.',
          },
        },
      },
    };

    const operation = (action: 'send' | 'receive', service: ServiceName, target: string, summary: string) => {
      operations[`${service}${capitalize(action)}${capitalize(target)}`] = {
        action,
        channel: ref(`#/channels/${target}`),
        messages: [ref(`#/channels/${target}/messages/${target}`)],
        summary,
        tags: [{ name: service }],
      };
    };
    for (const service of publishersOf(topic)) {
      operation('send', service, channelId, `${service} publishes ${topic}.`);
    }
    for (const service of consumers) {
      operation('receive', service, channelId, `${service} consumes ${topic}.`);
      operation('send', service, dlqChannelId, `${service} dead-letters ${topic} messages it cannot handle.`);
    }
  }

  return {
    asyncapi: '3.0.0',
    info: {
      title: 'Urbis events',
      version: options.version,
      description: DESCRIPTION,
      license: { name: 'Apache-2.0', url: 'https://www.apache.org/licenses/LICENSE-2.0' },
      tags: SERVICES.map((service) => ({ name: service, description: `The ${service} service.` })),
    },
    defaultContentType: 'application/json',
    servers: {
      production: {
        host: '{bootstrapServer}',
        protocol: 'kafka',
        description: "The platform's Apache Kafka cluster (KRaft, e.g. run by Strimzi); topics are declared from the contracts.",
        variables: {
          bootstrapServer: {
            default: 'urbis-kafka-bootstrap.kafka.svc:9092',
            description: 'A bootstrap server, host:port, as given by the platform team.',
          },
        },
      },
      development: {
        host: '127.0.0.1:{port}',
        protocol: 'kafka',
        description:
          "The dev broker (tools/dev-kafka: librdkafka's mock cluster, in memory, topics pre-created). " +
          'Tests start it on ephemeral ports; `--port BASE` pins them.',
        variables: {
          port: { default: '9092', description: 'The first broker port (`--port BASE`).' },
        },
      },
    },
    channels,
    operations,
    components: {
      schemas: {
        EventHeaders: headersSchema(EVENT_HEADER_DESCRIPTIONS, ['event-type', 'event-id']),
        DeadLetterHeaders: headersSchema({ ...EVENT_HEADER_DESCRIPTIONS, ...DLQ_HEADER_DESCRIPTIONS }, REQUIRED_DLQ_HEADERS),
        JsonValue: { description: 'Any JSON value: string, number, boolean, null, array or object.' },
      },
    },
  };
}

/** Keys that read best first, in this order; every other key follows alphabetically. */
const KEY_ORDER = [
  'asyncapi', 'info', 'defaultContentType', 'servers', 'channels', 'operations', 'components',
  'address', 'name', 'title', 'version', 'host', 'protocol', 'action', 'channel', 'summary', 'description',
  '$ref', 'type', 'const', 'enum', 'format', 'pattern',
];

const compareKeys = (a: string, b: string): number => {
  const rank = (key: string) => (KEY_ORDER.includes(key) ? KEY_ORDER.indexOf(key) : KEY_ORDER.length);
  return rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0);
};

/**
 * A copy with every object's keys in a fixed order, so the YAML is byte-for-byte reproducible
 * whatever order the document was assembled in. A JSON Schema `properties` map keeps the
 * declaration order of its zod object, which is part of the contract source.
 */
export function canonicalize(value: JsonSchemaValue, keepKeyOrder = false): JsonSchemaValue {
  if (Array.isArray(value)) return value.map((item) => canonicalize(item));
  if (value === null || typeof value !== 'object') return value;
  const keys = keepKeyOrder ? Object.keys(value) : Object.keys(value).sort(compareKeys);
  return Object.fromEntries(
    keys.map((key) => [key, canonicalize(value[key] as JsonSchemaValue, !keepKeyOrder && key === 'properties')]),
  );
}

/** The document as YAML: canonical key order, no anchors/aliases, no line folding. */
export function renderAsyncApiYaml(document: JsonSchemaObject): string {
  return (
    '# Generated from libs/contracts by `npx nx run contracts:asyncapi`. Do not edit by hand.\n' +
    stringify(canonicalize(document), { aliasDuplicateObjects: false, lineWidth: 0, indent: 2 })
  );
}
