import { Inject, Injectable } from '@nestjs/common';
import type { EventOf } from '@urbis/contracts';
import { EventPublisher } from '@urbis/messaging';
import { SERVICE_CONFIG } from '@urbis/runtime';
import type { IntegrationConfig } from '../config';
import { type MappingLimits, ObservationMapping } from './observation-mapping';
import type { ConnectorReport } from './runners/runner';

const TOPIC = 'devices.observation.decoded.v1';

/**
 * Where readings become observations: the connector's mapping, then Kafka. Observations go out
 * directly (not through the outbox): they are new readings, not state changes of this service,
 * and a push caller gets its 202 only once Kafka acknowledged them.
 */
@Injectable()
export class ObservationSink {
  readonly limits: MappingLimits;

  constructor(
    private readonly publisher: EventPublisher,
    @Inject(SERVICE_CONFIG) config: IntegrationConfig,
  ) {
    this.limits = { ...config.jsonata, maxObservations: config.connectors.maxObservations };
  }

  mapping(expression: string): ObservationMapping {
    return new ObservationMapping(expression, this.limits);
  }

  /** Maps and publishes one reading; throws MappingError or the publisher's error. */
  async publish(
    connector: { tenant: string; name: string },
    mapping: ObservationMapping,
    input: unknown,
    receivedAt: Date,
  ): Promise<EventOf<typeof TOPIC>[]> {
    const events = await mapping.observations(connector.tenant, connector.name, input, receivedAt);
    if (events.length > 0)
      await this.publisher.publish(TOPIC, events, {
        // The catalogue's key is <tenant>/<entityId>: one entity's readings stay in order.
        key: (event) => `${event.tenant}/${event.payload.entity.id}`,
      });
    return events;
  }

  /** For runners: the same, with the outcome counted in the report instead of thrown. */
  async emit(
    connector: { tenant: string; name: string },
    mapping: ObservationMapping,
    report: ConnectorReport,
    input: unknown,
    receivedAt: Date,
  ): Promise<void> {
    report.readings++;
    report.lastReadingAt = receivedAt;
    report.changed = true;
    try {
      const events = await this.publish(connector, mapping, input, receivedAt);
      report.observations += events.length;
      if (events.length > 0) report.lastObservationAt = new Date();
      if (report.status !== 'paused' && report.status !== 'stopped') report.set('running');
    } catch (error) {
      report.fail(error);
    }
  }
}
