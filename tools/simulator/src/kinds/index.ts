import { airQuality } from './air-quality';
import type { DeviceKind, DeviceKindName } from './kind';
import { parkingSpot } from './parking-spot';
import { streetlight } from './streetlight';
import { trafficCounter } from './traffic-counter';
import { wasteContainer } from './waste-container';

export * from './kind';

/** Every kind of device a district has, by name. */
export const DEVICE_KINDS: Readonly<Record<DeviceKindName, DeviceKind>> = {
  airQuality,
  parkingSpot,
  streetlight,
  wasteContainer,
  trafficCounter,
};
