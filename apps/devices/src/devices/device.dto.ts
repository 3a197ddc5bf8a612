import { deviceId } from '@urbis/contracts';
import { z } from 'zod';

const tag = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:=/-]{0,63}$/, 'tag: letters, digits, . _ : = / -, at most 64');
export const externalId = z.string().trim().min(1).max(128);
export const devEui = z
  .string()
  .regex(/^[0-9a-fA-F]{16}$/, 'devEui: 16 hexadecimal digits')
  .transform((value) => value.toUpperCase());

export const point = z
  .object({
    type: z.literal('Point'),
    coordinates: z
      .tuple([z.number().min(-180).max(180), z.number().min(-90).max(90)])
      .describe('[longitude, latitude]'),
  })
  .describe('GeoJSON Point');

export const deviceInput = z
  .object({
    id: deviceId.optional().describe('Chosen by the caller, or generated'),
    externalId: externalId.optional().describe("The owner's id for the device (asset tag, serial number)"),
    name: z.string().max(256).optional(),
    profileId: z.uuid(),
    tags: z.array(tag).max(50).default([]),
    location: point.optional(),
    lorawan: z.object({ devEui }).strict().optional(),
  })
  .strict();
export type DeviceInput = z.output<typeof deviceInput>;

export const devicePatch = z
  .object({
    externalId: externalId.nullable().optional(),
    name: z.string().max(256).nullable().optional(),
    profileId: z.uuid().optional(),
    tags: z.array(tag).max(50).optional(),
    location: point.nullable().optional(),
    lorawan: z.object({ devEui }).strict().nullable().optional(),
  })
  .strict()
  .refine((patch) => Object.keys(patch).length > 0, { message: 'nothing to change' });
export type DevicePatch = z.output<typeof devicePatch>;

export const lifecycleState = z.enum(['provisioned', 'active', 'suspended', 'decommissioned']);

export const lifecycleChange = z
  .object({ to: lifecycleState.exclude(['provisioned']), reason: z.string().max(512).optional() })
  .strict();
export type LifecycleChange = z.output<typeof lifecycleChange>;

export const deviceQuery = z.object({
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
  state: lifecycleState.optional(),
  profileId: z.uuid().optional(),
  tag: tag.optional(),
  externalId: externalId.optional(),
});
export type DeviceQuery = z.output<typeof deviceQuery>;

export const deviceView = z.object({
  id: z.string(),
  externalId: z.string().optional(),
  name: z.string().optional(),
  profileId: z.uuid(),
  state: lifecycleState,
  tags: z.array(z.string()),
  location: point.optional(),
  lorawan: z.object({ devEui: z.string() }).optional(),
  decodeErrors: z.object({
    count: z.number().int(),
    last: z.string().optional(),
    lastAt: z.iso.datetime().optional(),
  }),
  lastObservedAt: z.iso.datetime().optional(),
  version: z.number().int(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});
export type DeviceView = z.output<typeof deviceView>;

export const deviceList = z.object({ items: z.array(deviceView), total: z.number().int() });
