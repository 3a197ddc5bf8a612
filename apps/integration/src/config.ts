import { serviceConfigSchema } from '@urbis/runtime';
import type { z } from 'zod';

export const configSchema = serviceConfigSchema({
  name: 'integration',
  port: 8083,
  databaseUrl: 'postgresql://postgres@127.0.0.1:5432/urbis_integration',
});

export type IntegrationConfig = z.output<typeof configSchema>;
