import { Module } from '@nestjs/common';
import { EventConsumer } from '@urbis/messaging';
import type { Logger } from '@urbis/observability';
import { KAFKA, messagingLogger, SERVICE_CONFIG, SERVICE_LOGGER, ServiceLifecycle } from '@urbis/runtime';
import type { Kafka } from 'kafkajs';
import type { DevicesConfig } from '../config';
import { DevicesModule } from '../devices/devices.module';
import { TwinModule } from '../twin/twin.module';
import { TwinService } from '../twin/twin.service';
import { DecodingRepository } from './decoding.repository';
import { DeviceStatusService } from './device-status.service';
import { UplinkDecodingService } from './uplink-decoding.service';

export const UPLINK_CONSUMER = Symbol.for('urbis.devices.uplink-consumer');

/**
 * Consumes `connectivity.uplink.received.v1` (decoded observations),
 * `connectivity.device-status.changed.v1` (the Device entity's `connectionStatus`) and
 * `connectivity.twin.reported.v1` (reported twins), as a runtime worker.
 */
@Module({
  imports: [DevicesModule, TwinModule],
  providers: [
    DecodingRepository,
    UplinkDecodingService,
    DeviceStatusService,
    {
      provide: UPLINK_CONSUMER,
      inject: [
        KAFKA,
        SERVICE_CONFIG,
        SERVICE_LOGGER,
        ServiceLifecycle,
        UplinkDecodingService,
        DeviceStatusService,
        TwinService,
      ],
      useFactory: (
        kafka: Kafka,
        config: DevicesConfig,
        logger: Logger,
        lifecycle: ServiceLifecycle,
        decoding: UplinkDecodingService,
        status: DeviceStatusService,
        twins: TwinService,
      ) => {
        const consumer = new EventConsumer({
          kafka,
          groupId: config.decoding.consumerGroup,
          // While one partition's transaction waits on the database, another's is decoded.
          partitionsConsumedConcurrently: config.decoding.concurrency,
          logger: messagingLogger(logger),
          subscriptions: {
            'connectivity.uplink.received.v1': (events) => decoding.handle(events),
            'connectivity.device-status.changed.v1': (events) => status.handle(events),
            'connectivity.twin.reported.v1': (events) => twins.applyReports(events),
          },
        });
        lifecycle.addWorker({
          name: 'uplink-decoder',
          start: () => consumer.start(),
          stop: () => consumer.stop(),
          isRunning: () => consumer.isRunning(),
        });
        return consumer;
      },
    },
  ],
})
export class DecodingModule {}
