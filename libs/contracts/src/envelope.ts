import { z } from 'zod';

/** The services that publish events. Every event names its source. */
export const SERVICES = ['connectivity', 'devices', 'data', 'integration', 'security'] as const;
export type ServiceName = (typeof SERVICES)[number];

/**
 * The HTTP port each service listens on unless told otherwise, in the order the platform lists
 * them: what docker-compose and the charts publish and what the local stack (`npm start`) uses.
 */
export const SERVICE_PORTS = {
  connectivity: 8081,
  devices: 8082,
  integration: 8083,
  data: 1026,
  security: 8085,
} as const satisfies Record<ServiceName, number>;

/** A tenant id: a city, a utility or an operator. Lower-case slug, safe in topics, URLs and MQTT topics. */
export const tenantId = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'tenant must be a lower-case slug (a-z, 0-9, -), at most 63 characters');
export type TenantId = z.infer<typeof tenantId>;

/**
 * The envelope every event travels in. `id` makes redelivery harmless (consumers dedupe on it);
 * trace context does not live here but in the Kafka headers (W3C `traceparent`).
 */
export const envelopeSchema = z.object({
  id: z.uuid(),
  type: z.string().min(1),
  tenant: tenantId,
  source: z.enum(SERVICES),
  occurredAt: z.iso.datetime({ offset: true }),
  schemaVersion: z.number().int().positive(),
});
export type Envelope = z.infer<typeof envelopeSchema>;
