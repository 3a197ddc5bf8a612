import { z } from 'zod';
import { attributeMapping, codecSettings, entityTypeName, profileLimits } from '../codecs/profile-definition';

export const profileName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]{0,62}$/, 'name: lower-case letters, digits, . _ -, at most 63 characters');

export const profileInput = z
  .object({
    name: profileName,
    description: z.string().max(1000).optional(),
    entityType: entityTypeName.describe('The NGSI-LD entity type observations of this profile update'),
    codec: codecSettings,
    attributes: z.array(attributeMapping).min(1, 'a profile maps at least one attribute').max(200),
    expectedIntervalSeconds: z
      .number()
      .int()
      .min(1)
      .max(30 * 24 * 3600)
      .optional()
      .describe('How often devices report; connectivity marks a device offline when it stays silent longer'),
    limits: profileLimits.optional().describe("Overrides of connectivity's default limits for these devices"),
  })
  .strict();
export type ProfileInput = z.output<typeof profileInput>;

export const profileView = profileInput.extend({
  id: z.uuid(),
  version: z.number().int(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});
export type ProfileView = z.output<typeof profileView>;

export const profileList = z.object({ items: z.array(profileView), total: z.number().int() });
