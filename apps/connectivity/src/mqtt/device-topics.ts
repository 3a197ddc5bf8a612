import { deviceId as deviceIdSchema, tenantId as tenantIdSchema } from '@urbis/contracts';

/** A device's identity on the MQTT server: client id and username are both `<tenant>/<deviceId>`. */
export interface DeviceIdentity {
  tenant: string;
  deviceId: string;
}

export function parseDeviceIdentity(value: string | undefined): DeviceIdentity | null {
  if (!value) return null;
  const slash = value.indexOf('/');
  if (slash < 0) return null;
  const tenant = value.slice(0, slash);
  const deviceId = value.slice(slash + 1);
  if (!tenantIdSchema.safeParse(tenant).success || !deviceIdSchema.safeParse(deviceId).success) return null;
  return { tenant, deviceId };
}

/** `urbis/<tenant>/devices/<deviceId>`: everything a device may touch lies below it. */
export function devicePrefix({ tenant, deviceId }: DeviceIdentity): string {
  return `urbis/${tenant}/devices/${deviceId}`;
}

export const commandTopic = (device: DeviceIdentity, commandId: string): string =>
  `${devicePrefix(device)}/commands/${commandId}`;

/** What a device publishes, by topic below its own prefix. */
export type DevicePublication =
  | { kind: 'uplink' }
  | { kind: 'twin-reported' }
  | { kind: 'command-response'; commandId: string };

const COMMAND_ID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/** What a publish on `topic` by `device` means, or null when the device may not publish there. */
export function classifyPublication(device: DeviceIdentity, topic: string): DevicePublication | null {
  const prefix = `${devicePrefix(device)}/`;
  if (!topic.startsWith(prefix)) return null;
  const rest = topic.slice(prefix.length);
  if (rest === 'up') return { kind: 'uplink' };
  if (rest === 'twin/reported') return { kind: 'twin-reported' };
  const response = /^commands\/([^/]+)\/response$/.exec(rest);
  if (response?.[1] && COMMAND_ID.test(response[1])) return { kind: 'command-response', commandId: response[1] };
  return null;
}

/**
 * Whether `device` may subscribe to the filter: only to its own commands (`.../commands/+`,
 * `.../commands/#` or one command's topic). Wildcards cannot reach above the prefix, since the
 * prefix itself is matched literally.
 */
export function maySubscribe(device: DeviceIdentity, filter: string): boolean {
  const prefix = `${devicePrefix(device)}/commands/`;
  if (!filter.startsWith(prefix)) return false;
  const rest = filter.slice(prefix.length);
  return rest === '+' || rest === '#' || COMMAND_ID.test(rest);
}

/** Whether a packet on `topic` may be forwarded to subscribers: only commands down, never device messages. */
export function isCommandDownTopic(topic: string): boolean {
  const parts = topic.split('/');
  return parts.length === 6 && parts[0] === 'urbis' && parts[2] === 'devices' && parts[4] === 'commands';
}
