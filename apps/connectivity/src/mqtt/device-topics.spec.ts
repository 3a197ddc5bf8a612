import { classifyPublication, isCommandDownTopic, maySubscribe, parseDeviceIdentity } from './device-topics';

const device = { tenant: 'alpha', deviceId: 'sensor-1' };
const commandId = '6f1c2a7e-3b1d-4c55-9a0e-2f6b8d9e1a23';

describe('device topics', () => {
  it('parses <tenant>/<deviceId> and refuses anything else', () => {
    expect(parseDeviceIdentity('alpha/sensor-1')).toEqual(device);
    expect(parseDeviceIdentity('alpha/a:b.c_d-e')).toEqual({ tenant: 'alpha', deviceId: 'a:b.c_d-e' });
    for (const bad of [undefined, '', 'sensor-1', 'Alpha/sensor-1', 'alpha/', 'alpha/a/b', '/sensor-1', 'alpha/-x']) {
      expect(parseDeviceIdentity(bad)).toBeNull();
    }
  });

  it('classifies what a device publishes below its own prefix only', () => {
    expect(classifyPublication(device, 'urbis/alpha/devices/sensor-1/up')).toEqual({ kind: 'uplink' });
    expect(classifyPublication(device, 'urbis/alpha/devices/sensor-1/twin/reported')).toEqual({ kind: 'twin-reported' });
    expect(classifyPublication(device, `urbis/alpha/devices/sensor-1/commands/${commandId}/response`)).toEqual({
      kind: 'command-response',
      commandId,
    });
    for (const topic of [
      'urbis/alpha/devices/sensor-2/up',
      'urbis/beta/devices/sensor-1/up',
      'urbis/alpha/devices/sensor-1',
      'urbis/alpha/devices/sensor-1/up/more',
      'urbis/alpha/devices/sensor-10/up',
      `urbis/alpha/devices/sensor-1/commands/${commandId}`,
      'urbis/alpha/devices/sensor-1/commands/not-a-uuid/response',
      'urbis/alpha/devices/sensor-1/twin/desired',
    ]) {
      expect(classifyPublication(device, topic)).toBeNull();
    }
  });

  it('lets a device subscribe only to its own commands', () => {
    expect(maySubscribe(device, 'urbis/alpha/devices/sensor-1/commands/+')).toBe(true);
    expect(maySubscribe(device, 'urbis/alpha/devices/sensor-1/commands/#')).toBe(true);
    expect(maySubscribe(device, `urbis/alpha/devices/sensor-1/commands/${commandId}`)).toBe(true);
    for (const filter of [
      '#',
      'urbis/#',
      'urbis/alpha/devices/+/commands/+',
      'urbis/alpha/devices/sensor-1/#',
      'urbis/alpha/devices/sensor-1/up',
      'urbis/alpha/devices/sensor-2/commands/#',
      'urbis/alpha/devices/sensor-1/commands/+/response',
    ]) {
      expect(maySubscribe(device, filter)).toBe(false);
    }
  });

  it('forwards only command-down topics', () => {
    expect(isCommandDownTopic(`urbis/alpha/devices/sensor-1/commands/${commandId}`)).toBe(true);
    expect(isCommandDownTopic('urbis/alpha/devices/sensor-1/up')).toBe(false);
    expect(isCommandDownTopic(`urbis/alpha/devices/sensor-1/commands/${commandId}/response`)).toBe(false);
  });
});
