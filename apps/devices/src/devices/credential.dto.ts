import { z } from 'zod';

export const credentialRequest = z
  .object({
    overlapSeconds: z
      .number()
      .int()
      .min(0)
      .max(30 * 24 * 3600)
      .optional()
      .describe(
        "How long the device's current token stays valid next to the new one (default: the service's setting)",
      ),
  })
  .strict();
export type CredentialRequest = z.output<typeof credentialRequest>;

export const credentialStatus = z.enum(['active', 'expiring', 'expired', 'revoked']);

export const credentialView = z.object({
  id: z.uuid(),
  status: credentialStatus,
  validFrom: z.iso.datetime(),
  validUntil: z.iso.datetime().optional(),
  revokedAt: z.iso.datetime().optional(),
});
export type CredentialView = z.output<typeof credentialView>;

export const issuedCredential = z.object({
  credential: credentialView,
  token: z.string().describe('The device token. Shown this once; only its hash is kept.'),
  rotated: z.array(credentialView).describe('Credentials that stay valid until the end of their overlap'),
});
export type IssuedCredential = z.output<typeof issuedCredential>;
