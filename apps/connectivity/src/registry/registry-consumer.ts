import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { EventConsumer } from '@urbis/messaging';
import { type Logger } from '@urbis/observability';
import { KAFKA, messagingLogger, SERVICE_CONFIG, SERVICE_LOGGER, ServiceLifecycle } from '@urbis/runtime';
import type { Kafka } from 'kafkajs';
import type { ConnectivityConfig } from '../config';
import { DeviceAuthenticator } from './device-authenticator';
import { RegistryChanges } from './registry-changes';
import { RegistryRepository } from './registry.repository';

/**
 * Keeps the local registry cache from the devices service's snapshots and credential changes.
 * Every replica reads every change in its own consumer group (`urbis-connectivity.registry.<replica>`):
 * the writes are idempotent snapshot upserts, and each replica must hear about a revocation to
 * forget what it remembered of that credential.
 */
@Injectable()
export class RegistryConsumer implements OnModuleInit {
  private readonly consumer: EventConsumer;

  constructor(
    @Inject(KAFKA) kafka: Kafka,
    @Inject(SERVICE_CONFIG) config: ConnectivityConfig,
    @Inject(SERVICE_LOGGER) logger: Logger,
    private readonly lifecycle: ServiceLifecycle,
    private readonly registry: RegistryRepository,
    private readonly authenticator: DeviceAuthenticator,
    private readonly changes: RegistryChanges,
  ) {
    this.consumer = new EventConsumer({
      kafka,
      groupId: `urbis-connectivity.registry.${config.replicaId}`,
      logger: messagingLogger(logger),
      ...config.consumers,
      subscriptions: {
        'devices.device.changed.v1': async (events) => {
          for (const event of events) {
            await this.registry.applyDeviceSnapshot(event.tenant, event.payload);
            this.changes.publish({ kind: 'device', tenant: event.tenant, deviceId: event.payload.deviceId });
          }
        },
        'devices.credentials.changed.v1': async (events) => {
          for (const event of events) {
            const { deviceId, credentialId } = event.payload;
            await this.registry.applyCredential(event.tenant, event.payload);
            this.authenticator.forget(credentialId);
            if (event.payload.change === 'revoked') {
              this.changes.publish({ kind: 'credential-revoked', tenant: event.tenant, deviceId, credentialId });
            }
          }
        },
      },
    });
  }

  onModuleInit(): void {
    this.lifecycle.addWorker({
      name: 'registry-consumer',
      start: () => this.consumer.start(),
      stop: () => this.consumer.stop(),
      isRunning: () => this.consumer.isRunning(),
    });
  }
}
