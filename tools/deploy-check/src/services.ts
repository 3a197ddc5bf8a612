import { SERVICE_PORTS, type ServiceName } from '@urbis/contracts';

export type { ServiceName };

/** The five services as they ship: HTTP port (also docker-compose's and the local stack's) and image names. */
export const SERVICES: readonly { name: ServiceName; port: number }[] = (Object.keys(SERVICE_PORTS) as ServiceName[]).map((name) => ({
  name,
  port: SERVICE_PORTS[name],
}));

/** A variable a service reads from a Secret the platform team creates (docs/deploy.md, step 1). */
export interface SecretVariable {
  name: string;
  secretName: string;
  key: string;
  /** The pod starts without the Secret (the service then runs without that feature). */
  optional?: boolean;
}

/**
 * What a chart gives its service beyond the shared environment, by default: variables from
 * Secrets (`extraEnvFromSecrets`) and from the pod (`envFromPod`). When a service's config gains
 * a Secret or a per-replica variable, add it here and run `deploy-check:generate`; the
 * build-output test boots every service with the chart's environment in production mode.
 */
export const SERVICE_ENV: Record<ServiceName, { fromSecrets: SecretVariable[]; fromPod: Record<string, string> }> = {
  connectivity: {
    fromSecrets: [{ name: 'LORAWAN_WEBHOOK_SECRETS', secretName: 'urbis-lorawan-webhooks', key: 'secrets', optional: true }],
    fromPod: { REPLICA_ID: 'metadata.name' },
  },
  devices: { fromSecrets: [], fromPod: {} },
  // INSTANCE_ID names the replica that holds a delivery's or a connector's lease
  integration: { fromSecrets: [], fromPod: { INSTANCE_ID: 'metadata.name' } },
  data: { fromSecrets: [], fromPod: {} },
  // The Ed25519 key that signs the audit ledger's checkpoints; security refuses to start without it.
  security: { fromSecrets: [{ name: 'LEDGER_SIGNING_KEY', secretName: 'urbis-ledger-signing-key', key: 'key' }], fromPod: {} },
};

/** Chart and image versions move together; bump on every chart change (STYLE 9). */
export const CHART_VERSION = '0.6.0';
export const APP_VERSION = '0.1.0';

export const DEFAULT_REGISTRY = 'ghcr.io';
export const imageRepository = (service: string) => `urbis-platform/${service}`;
export const migrateImageRepository = (service: string) => `urbis-platform/${service}-migrate`;

export const MQTT_PORT = 1883;
export const MQTTS_PORT = 8883;
