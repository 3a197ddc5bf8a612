import { serviceConfigSchema } from '@urbis/runtime';
import type { z } from 'zod';

export const configSchema = serviceConfigSchema({
  name: 'security',
  port: 8085,
  databaseUrl: 'postgresql://postgres@127.0.0.1:5432/urbis_security',
});

export type SecurityConfig = z.output<typeof configSchema>;
