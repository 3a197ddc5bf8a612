import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';

/** Who a device is on an Urbis MQTT server: client id and username `<tenant>/<deviceId>`, its token. */
export interface MqttDeviceLogin {
  clientId: string;
  token: string;
}

/**
 * Connects a real MQTT 3.1.1 client (mqtt.js) as the device, without reconnecting. Rejects with
 * the CONNACK refusal (its `code`), a socket error, or a close before CONNACK.
 */
export function connectMqtt(
  url: string,
  device: MqttDeviceLogin,
  overrides: IClientOptions = {},
): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const client = mqtt.connect(url, {
      clientId: device.clientId,
      username: device.clientId,
      password: device.token,
      protocolVersion: 4,
      reconnectPeriod: 0,
      connectTimeout: 5_000,
      ...overrides,
    });
    const onError = (error: Error) => settle(error);
    const onClose = () => settle(new Error('closed before CONNACK'));
    const settle = (error?: Error) => {
      client.off('error', onError).off('close', onClose);
      if (!error) return resolve(client);
      client.end(true);
      reject(error);
    };
    client.once('connect', () => settle());
    client.once('error', onError);
    client.once('close', onClose);
  });
}

/** Resolves once the client's connection is closed (by the server or by itself). */
export function mqttClosed(client: MqttClient): Promise<void> {
  return new Promise((resolve) => (client.disconnected ? resolve() : client.once('close', () => resolve())));
}
