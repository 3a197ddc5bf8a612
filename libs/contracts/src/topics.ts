import { z } from 'zod';
import { Envelope, ServiceName } from './envelope';
import {
  commandRespondedV1,
  deviceStatusChangedV1,
  twinReportedV1,
  uplinkReceivedV1,
} from './events/connectivity';
import { entityChangedV1, notificationRequestedV1 } from './events/data';
import {
  commandRequestedV1,
  credentialsChangedV1,
  deviceChangedV1,
  lifecycleChangedV1,
  observationDecodedV1,
} from './events/devices';
import { deliveryCompletedV1 } from './events/integration';
import {
  auditRecordedV1,
  enforcementAppliedV1,
  enforcementRequestedV1,
  enforcementRequestedV2,
  incidentRaisedV1,
  policyChangedV1,
  policyChangedV2,
} from './events/security';

interface TopicDefinition<S extends z.ZodType = z.ZodType> {
  /** The payload schema: the one schema this topic is bound to. */
  readonly payload: S;
  /** Version of that schema; equals the topic's `.vN` suffix. */
  readonly version: number;
  /** The services that may publish on the topic. */
  readonly publishers: readonly (ServiceName | '*')[];
  /** The services that consume the topic (documentation: the AsyncAPI document lists them). */
  readonly consumers: readonly ServiceName[];
  /** What the message key is; keys keep one device's or entity's events in order. */
  readonly key: string;
  readonly summary: string;
  /**
   * `compact`: the topic is a changelog whose latest event per key is the truth (snapshots,
   * whole policies); Kafka keeps that event per key for as long as the key lives. Default `delete`.
   */
  readonly cleanup?: 'delete' | 'compact';
}

const topic = <S extends z.ZodType>(definition: TopicDefinition<S>): TopicDefinition<S> => definition;

/**
 * Every Kafka topic of the platform, each bound to exactly one versioned payload schema.
 * A breaking change is a new topic version (`.v2`), never an edit of an existing one.
 */
export const TOPICS = {
  'connectivity.uplink.received.v1': topic({
    payload: uplinkReceivedV1,
    version: 1,
    publishers: ['connectivity'],
    consumers: ['devices', 'security'],
    key: '<tenant>/<deviceId>',
    summary:
      'A device sent a reading (MQTT, HTTP or a LoRaWAN network server); the raw payload, as received.',
  }),
  'connectivity.twin.reported.v1': topic({
    payload: twinReportedV1,
    version: 1,
    publishers: ['connectivity'],
    consumers: ['devices'],
    key: '<tenant>/<deviceId>',
    summary:
      'A device reported its twin state (MQTT `urbis/<tenant>/devices/<deviceId>/twin/reported`); devices merges it into the reported twin.',
  }),
  'connectivity.device-status.changed.v1': topic({
    payload: deviceStatusChangedV1,
    version: 1,
    publishers: ['connectivity'],
    consumers: ['devices', 'security'],
    key: '<tenant>/<deviceId>',
    summary:
      'A device went online or offline (connected, disconnected, or silent past its expected interval).',
  }),
  'connectivity.command.responded.v1': topic({
    payload: commandRespondedV1,
    version: 1,
    publishers: ['connectivity'],
    consumers: ['devices'],
    key: '<tenant>/<deviceId>',
    summary: 'A command was delivered to a device, answered by it, or expired before it could be delivered.',
  }),
  'devices.observation.decoded.v1': topic({
    payload: observationDecodedV1,
    version: 1,
    publishers: ['devices', 'integration'],
    consumers: ['data'],
    key: '<tenant>/<entityId>',
    summary: "An uplink decoded by the device's profile into NGSI-LD attributes of one entity.",
  }),
  'devices.lifecycle.changed.v1': topic({
    payload: lifecycleChangedV1,
    version: 1,
    publishers: ['devices'],
    consumers: ['data'],
    key: '<tenant>/<deviceId>',
    summary: 'A device was provisioned, activated, suspended or decommissioned.',
  }),
  'devices.device.changed.v1': topic({
    payload: deviceChangedV1,
    version: 1,
    publishers: ['devices'],
    consumers: ['connectivity'],
    key: '<tenant>/<deviceId>',
    summary:
      "A device's registry record after a change (a snapshot; the latest per key is the truth): state, DevEUI, expected interval, limits.",
    cleanup: 'compact',
  }),
  'devices.credentials.changed.v1': topic({
    payload: credentialsChangedV1,
    version: 1,
    publishers: ['devices'],
    consumers: ['connectivity'],
    key: '<tenant>/<deviceId>',
    summary: 'A device credential was issued, rotated or revoked; carries the token hash, never the token.',
  }),
  'devices.command.requested.v1': topic({
    payload: commandRequestedV1,
    version: 1,
    publishers: ['devices'],
    consumers: ['connectivity'],
    key: '<tenant>/<deviceId>',
    summary: 'A command for a device, to be delivered by connectivity before it expires.',
  }),
  'data.entity.changed.v1': topic({
    payload: entityChangedV1,
    version: 1,
    publishers: ['data'],
    consumers: [],
    key: '<tenant>/<entityId>',
    summary: 'An NGSI-LD entity was created, updated or deleted.',
  }),
  'data.notification.requested.v1': topic({
    payload: notificationRequestedV1,
    version: 1,
    publishers: ['data'],
    consumers: ['integration'],
    key: '<tenant>/<subscriptionId>',
    summary: 'A subscription matched: an NGSI-LD notification to deliver to its endpoint.',
  }),
  'integration.delivery.completed.v1': topic({
    payload: deliveryCompletedV1,
    version: 1,
    publishers: ['integration'],
    consumers: ['data'],
    key: '<tenant>/<correlationId>',
    summary: 'The final outcome of one outbound delivery: delivered, or dead-lettered after its retries.',
  }),
  'security.audit.recorded.v1': topic({
    payload: auditRecordedV1,
    version: 1,
    publishers: ['*'],
    consumers: ['security'],
    key: '<tenant>',
    summary: 'Something auditable happened in a service; security chains these records into the ledger.',
  }),
  'security.incident.raised.v1': topic({
    payload: incidentRaisedV1,
    version: 1,
    publishers: ['security'],
    consumers: ['integration'],
    key: '<tenant>/<incidentId>',
    summary:
      'Security detected an incident from platform signals (auth failures, rejected payloads, floods).',
  }),
  'security.enforcement.requested.v1': topic({
    payload: enforcementRequestedV1,
    version: 1,
    publishers: [],
    consumers: [],
    key: '<tenant>/<deviceId>',
    summary: 'Superseded by security.enforcement.requested.v2; nothing publishes it.',
  }),
  'security.enforcement.requested.v2': topic({
    payload: enforcementRequestedV2,
    version: 2,
    publishers: ['security'],
    consumers: ['connectivity', 'devices'],
    key: '<tenant>/<target>',
    summary:
      'Security asks a service to act: connectivity blocks or unblocks a source address (every replica), devices suspends a device or revokes a credential.',
  }),
  'security.enforcement.applied.v1': topic({
    payload: enforcementAppliedV1,
    version: 1,
    publishers: ['connectivity', 'devices'],
    consumers: ['security'],
    key: '<tenant>/<target>',
    summary:
      'A service confirms what it did with an enforcement request: applied, lifted when a timed block ended, skipped or failed.',
  }),
  'security.policy.changed.v1': topic({
    payload: policyChangedV1,
    version: 1,
    publishers: [],
    consumers: [],
    key: '<tenant>/<policyId>',
    summary:
      'Superseded by security.policy.changed.v2 (which carries the whole policy); nothing publishes it.',
  }),
  'security.policy.changed.v2': topic({
    payload: policyChangedV2,
    version: 2,
    publishers: ['security'],
    consumers: ['data'],
    key: '<tenant>/<policyId>',
    summary:
      'A data-access policy was created, changed or deleted, with the whole policy: services keep a local cache (@urbis/access-policy) and enforce it on every read and write.',
    cleanup: 'compact',
  }),
} as const;

export type TopicName = keyof typeof TOPICS;
export type PayloadOf<T extends TopicName> = z.infer<(typeof TOPICS)[T]['payload']>;
export type EventOf<T extends TopicName> = Envelope & { type: T; payload: PayloadOf<T> };

export const TOPIC_NAMES = Object.keys(TOPICS) as TopicName[];

/** The dead-letter topic of a topic: where messages go that fail validation or keep failing. */
export const dlqTopicOf = (topic: TopicName): `${TopicName}.dlq` => `${topic}.dlq`;

/** Every topic the platform needs provisioned: the catalogue and each topic's dead-letter topic. */
export const provisionedTopics = (): string[] => TOPIC_NAMES.flatMap((name) => [name, dlqTopicOf(name)]);

export function isTopicName(name: string): name is TopicName {
  return Object.prototype.hasOwnProperty.call(TOPICS, name);
}
