import { Module } from '@nestjs/common';
import { SERVICE_CONFIG } from '@urbis/runtime';
import type { ConnectivityConfig } from '../config';
import { DeviceAuthenticator } from './device-authenticator';
import { RegistryChanges } from './registry-changes';
import { RegistryConsumer } from './registry-consumer';
import { RegistryRepository } from './registry.repository';

/** The local copy of the device registry (devices + token hashes) and the device authenticator over it. */
@Module({
  providers: [
    RegistryRepository,
    RegistryConsumer,
    RegistryChanges,
    {
      provide: DeviceAuthenticator,
      inject: [RegistryRepository, SERVICE_CONFIG],
      useFactory: (registry: RegistryRepository, config: ConnectivityConfig) =>
        new DeviceAuthenticator(registry, { cacheTtlMs: config.deviceAuth.cacheTtlSeconds * 1000 }),
    },
  ],
  exports: [RegistryRepository, DeviceAuthenticator, RegistryChanges],
})
export class RegistryModule {}
