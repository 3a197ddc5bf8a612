import { type DynamicModule, Global, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import type { Logger } from '@urbis/observability';
import type { BaseConfig } from './config/base-config';
import { ProblemDetailsFilter } from './errors/problem-details.filter';
import { HealthController } from './http/health.controller';
import { metricsController } from './http/metrics.controller';
import { ServiceLifecycle } from './lifecycle/service-lifecycle';
import { SERVICE_CONFIG, SERVICE_LOGGER } from './tokens';

/** Config, logger, lifecycle (readiness + shutdown order), health, metrics and the problem filter. */
@Global()
@Module({})
export class RuntimeModule {
  static forRoot(config: BaseConfig, logger: Logger): DynamicModule {
    return {
      module: RuntimeModule,
      controllers: [
        HealthController,
        ...(config.metrics.enabled ? [metricsController(config.metrics.public)] : []),
      ],
      providers: [
        { provide: SERVICE_CONFIG, useValue: config },
        { provide: SERVICE_LOGGER, useValue: logger },
        ServiceLifecycle,
        // Registered before AuthModule's filter, so that more specific filter is tried first.
        { provide: APP_FILTER, useClass: ProblemDetailsFilter },
      ],
      exports: [SERVICE_CONFIG, SERVICE_LOGGER, ServiceLifecycle],
    };
  }
}
