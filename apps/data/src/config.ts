import { serviceConfigSchema } from '@urbis/runtime';
import type { z } from 'zod';

export const configSchema = serviceConfigSchema({
  name: 'data',
  port: 1026,
  databaseUrl: 'postgresql://postgres@127.0.0.1:5432/urbis_data',
});

export type DataConfig = z.output<typeof configSchema>;
