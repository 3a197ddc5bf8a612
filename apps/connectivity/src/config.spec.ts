import { ConfigError, parseConfig } from '@urbis/runtime';
import path from 'node:path';
import { configSchema } from './config';

const CERT = path.join(__dirname, '__fixtures__/mqtt-tls.test-cert.pem');
const KEY = path.join(__dirname, '__fixtures__/mqtt-tls.test-key.pem');

function problemsOf(env: Record<string, string>): Record<string, string> {
  try {
    parseConfig(configSchema, env);
  } catch (error) {
    if (error instanceof ConfigError) return Object.fromEntries(error.problems.map((p) => [p.variable, p.problem]));
    throw error;
  }
  return {};
}

describe('connectivity config: the MQTT TLS listener', () => {
  it('is off unless MQTT_TLS_PORT is set', () => {
    expect(parseConfig(configSchema, {}).mqtt.tls).toBeUndefined();
  });

  it('takes its port, certificate and key together', () => {
    expect(parseConfig(configSchema, { MQTT_TLS_PORT: '8883', MQTT_TLS_CERT_FILE: CERT, MQTT_TLS_KEY_FILE: KEY }).mqtt.tls).toEqual({
      port: 8883,
      certFile: CERT,
      keyFile: KEY,
    });
  });

  it('names what is missing or unreadable, with the other bad variables', () => {
    expect(problemsOf({ MQTT_TLS_PORT: '8883', MQTT_TLS_KEY_FILE: '/nonexistent/tls.key', MQTT_PORT: 'x' })).toEqual({
      MQTT_TLS_CERT_FILE: 'required with MQTT_TLS_PORT',
      MQTT_TLS_KEY_FILE: 'no such file',
      MQTT_PORT: expect.stringContaining('integer'),
    });
    expect(problemsOf({ MQTT_TLS_CERT_FILE: CERT, MQTT_TLS_KEY_FILE: KEY })).toEqual({
      MQTT_TLS_PORT: 'required with MQTT_TLS_CERT_FILE',
    });
  });
});
