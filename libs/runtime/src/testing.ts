import type { DynamicModule, Type } from '@nestjs/common';
import { shutdownTelemetry, startTelemetry } from '@urbis/observability';
import type { z } from 'zod';
import { bootstrapService, type RunningService } from './bootstrap';
import type { BaseConfig } from './config/base-config';
import { parseConfig } from './config/load-config';

/**
 * Boots a service inside a test process, as main.ts would but without owning the process:
 * config parsed from `env` (a bad one throws ConfigError), an ephemeral port, telemetry
 * started (for /metrics) and stopped again by `shutdown()`.
 */
export async function startServiceForTest(
  module: Type | DynamicModule,
  configSchema: z.ZodType<BaseConfig>,
  env: Record<string, string>,
): Promise<RunningService> {
  startTelemetry({ instrumentations: [] });
  const service = await bootstrapService({
    module,
    config: parseConfig(configSchema, env),
    ownProcess: false,
    port: 0,
  });
  return {
    ...service,
    shutdown: async (signal?: string) => {
      await service.shutdown(signal);
      await shutdownTelemetry();
    },
  };
}
