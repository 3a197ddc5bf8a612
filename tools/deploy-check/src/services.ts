/** The five services as they ship: HTTP port (also docker-compose's) and image names. */
export const SERVICES = [
  { name: 'connectivity', port: 8081 },
  { name: 'devices', port: 8082 },
  { name: 'integration', port: 8083 },
  { name: 'data', port: 1026 },
  { name: 'security', port: 8085 },
] as const;

export type ServiceName = (typeof SERVICES)[number]['name'];

/** Chart and image versions move together; bump on every chart change (STYLE 9). */
export const CHART_VERSION = '0.3.0';
export const APP_VERSION = '0.1.0';

export const DEFAULT_REGISTRY = 'ghcr.io';
export const imageRepository = (service: string) => `urbis-platform/${service}`;
export const migrateImageRepository = (service: string) => `urbis-platform/${service}-migrate`;

export const MQTT_PORT = 1883;
export const MQTTS_PORT = 8883;
