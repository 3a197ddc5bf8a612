import { deviceId } from '@urbis/contracts';
import { z } from 'zod';

const headerName = z.string().regex(/^[A-Za-z0-9-]{1,64}$/, 'a header name');

export const httpPushConfig = z
  .object({
    maxBodyBytes: z.number().int().min(1).max(10_485_760).default(1_048_576),
  })
  .strict();

export const httpPollConfig = z
  .object({
    url: z.url({ protocol: /^https?$/, error: 'expected an http(s):// URL' }).max(2048),
    intervalSeconds: z.number().int().min(1).max(86_400).default(60),
    headers: z
      .record(headerName, z.string().max(4096))
      .default({})
      .describe('Sent with every poll, e.g. Authorization; never shown back'),
    timeoutMs: z.number().int().min(100).max(120_000).default(10_000),
    maxBodyBytes: z.number().int().min(1).max(52_428_800).default(5_242_880),
  })
  .strict();

export const opcuaConfig = z
  .object({
    endpointUrl: z.url({ protocol: /^opc\.tcp$/, error: 'expected an opc.tcp:// URL' }),
    securityMode: z.enum(['None', 'Sign', 'SignAndEncrypt']).default('None'),
    securityPolicy: z
      .enum(['None', 'Basic256Sha256', 'Aes128_Sha256_RsaOaep', 'Aes256_Sha256_RsaPss'])
      .default('None'),
    userName: z.string().min(1).max(256).optional(),
    password: z.string().max(256).optional(),
    publishingIntervalMs: z.number().int().min(50).max(3_600_000).default(1000),
    nodes: z
      .array(
        z
          .object({
            nodeId: z.string().min(3).max(512).describe('e.g. ns=1;s=Pump1.Pressure'),
            name: z.string().min(1).max(128).optional().describe('What the mapping sees as `name`'),
            samplingIntervalMs: z.number().int().min(0).max(3_600_000).default(500),
          })
          .strict(),
      )
      .min(1)
      .max(500),
  })
  .strict()
  .refine((config) => (config.securityMode === 'None') === (config.securityPolicy === 'None'), {
    message: 'securityMode None goes with securityPolicy None, and only with it',
    path: ['securityPolicy'],
  });

export const modbusRegister = z
  .object({
    name: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, 'a name: letters, digits, _'),
    table: z.enum(['holding', 'input', 'coil', 'discrete']).default('holding'),
    address: z.number().int().min(0).max(65_535),
    type: z.enum(['int16', 'uint16', 'int32', 'uint32', 'float32', 'bool']).default('uint16'),
    wordOrder: z
      .enum(['big', 'little'])
      .default('big')
      .describe('32-bit values: which register holds the high word'),
    scale: z.number().default(1),
    offset: z.number().default(0),
  })
  .strict()
  .refine(
    (register) => (register.table === 'coil' || register.table === 'discrete') === (register.type === 'bool'),
    { message: 'coils and discrete inputs are bool, registers are not', path: ['type'] },
  );
export type ModbusRegister = z.output<typeof modbusRegister>;

export const modbusConfig = z
  .object({
    host: z.string().min(1).max(253),
    port: z.number().int().min(1).max(65_535).default(502),
    unitId: z.number().int().min(0).max(255).default(1),
    pollIntervalMs: z.number().int().min(100).max(3_600_000).default(5000),
    timeoutMs: z.number().int().min(100).max(60_000).default(3000),
    registers: z.array(modbusRegister).min(1).max(500),
  })
  .strict();

export const connectorKind = z.enum(['http-push', 'http-poll', 'opcua', 'modbus']);
export type ConnectorKindName = z.output<typeof connectorKind>;
export const connectorState = z.enum(['running', 'paused', 'stopped']);

export const CONFIG_SCHEMAS = {
  'http-push': httpPushConfig,
  'http-poll': httpPollConfig,
  opcua: opcuaConfig,
  modbus: modbusConfig,
} as const;
export type ConnectorConfig<K extends ConnectorKindName> = z.output<(typeof CONFIG_SCHEMAS)[K]>;

const mapping = z
  .string()
  .min(1)
  .max(16_384)
  .describe(
    'JSONata from the reading to one observation or an array of them: { entity: { id, type }, attributes, observedAt?, deviceId? }',
  );

export const connectorInput = z
  .object({
    name: deviceId.describe('Unique in the tenant; the default deviceId of its observations'),
    kind: connectorKind,
    config: z.record(z.string(), z.unknown()).default({}),
    mapping,
    state: connectorState.default('running'),
  })
  .strict();
export type ConnectorInput = z.output<typeof connectorInput>;

export const connectorPatch = z
  .object({ config: z.record(z.string(), z.unknown()).optional(), mapping: mapping.optional() })
  .strict();
export type ConnectorPatch = z.output<typeof connectorPatch>;

export const connectorView = z.object({
  id: z.uuid(),
  name: z.string(),
  kind: connectorKind,
  config: z.record(z.string(), z.unknown()).describe('Secrets (headers, password) redacted'),
  mapping: z.string(),
  desiredState: connectorState,
  status: z.enum(['starting', 'running', 'failing', 'paused', 'stopped']),
  lastError: z.string().optional(),
  lastErrorAt: z.iso.datetime().optional(),
  metrics: z.object({
    readings: z.number().int(),
    observations: z.number().int(),
    failures: z.number().int(),
    reconnects: z.number().int(),
    lastReadingAt: z.iso.datetime().optional(),
    lastObservationAt: z.iso.datetime().optional(),
  }),
  pushUrl: z.string().optional().describe('http-push: where the external system posts'),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});
export type ConnectorView = z.output<typeof connectorView>;
