import { HttpStatus } from '@nestjs/common';
import { ProblemException } from '@urbis/runtime';

/** Problem types of the device-facing routes (ingest, network-server webhooks). */
export enum ConnectivityProblem {
  InvalidDevice = 'invalid-device',
  MissingDeviceToken = 'missing-device-token',
  DeviceUnauthenticated = 'device-unauthenticated',
  DeviceNotActive = 'device-not-active',
  TooManyAuthFailures = 'too-many-auth-failures',
  EmptyPayload = 'empty-payload',
  PayloadTooLarge = 'payload-too-large',
  RateLimited = 'rate-limited',
  BrokerUnavailable = 'broker-unavailable',
  InvalidWebhook = 'invalid-webhook',
  WebhookUnauthenticated = 'webhook-unauthenticated',
  UnknownDevEui = 'unknown-dev-eui',
  ReplayedFrame = 'replayed-frame',
  DeviceNotFound = 'device-not-found',
  ForeignTenant = 'foreign-tenant',
}

const STATUS: Record<ConnectivityProblem, { status: number; title: string }> = {
  [ConnectivityProblem.InvalidDevice]: { status: HttpStatus.BAD_REQUEST, title: 'Invalid tenant or device id' },
  [ConnectivityProblem.MissingDeviceToken]: { status: HttpStatus.UNAUTHORIZED, title: 'Device token required' },
  [ConnectivityProblem.DeviceUnauthenticated]: { status: HttpStatus.UNAUTHORIZED, title: 'Device not authenticated' },
  [ConnectivityProblem.DeviceNotActive]: { status: HttpStatus.FORBIDDEN, title: 'Device not active' },
  [ConnectivityProblem.TooManyAuthFailures]: { status: HttpStatus.TOO_MANY_REQUESTS, title: 'Too many failed authentications' },
  [ConnectivityProblem.EmptyPayload]: { status: HttpStatus.BAD_REQUEST, title: 'Empty payload' },
  [ConnectivityProblem.PayloadTooLarge]: { status: HttpStatus.PAYLOAD_TOO_LARGE, title: 'Payload too large' },
  [ConnectivityProblem.RateLimited]: { status: HttpStatus.TOO_MANY_REQUESTS, title: 'Rate limit exceeded' },
  [ConnectivityProblem.BrokerUnavailable]: { status: HttpStatus.SERVICE_UNAVAILABLE, title: 'Uplink not accepted' },
  [ConnectivityProblem.InvalidWebhook]: { status: HttpStatus.BAD_REQUEST, title: 'Invalid webhook body' },
  [ConnectivityProblem.WebhookUnauthenticated]: { status: HttpStatus.UNAUTHORIZED, title: 'Network server not authenticated' },
  [ConnectivityProblem.UnknownDevEui]: { status: HttpStatus.NOT_FOUND, title: 'Unknown DevEUI' },
  [ConnectivityProblem.ReplayedFrame]: { status: HttpStatus.CONFLICT, title: 'Frame counter replayed' },
  [ConnectivityProblem.DeviceNotFound]: { status: HttpStatus.NOT_FOUND, title: 'Device not found' },
  [ConnectivityProblem.ForeignTenant]: { status: HttpStatus.FORBIDDEN, title: 'Another tenant' },
};

export const PROBLEM_TYPE_BASE = 'https://urbis.dev/problems/connectivity/';

/** An RFC 7807 problem of connectivity, with its code; the runtime's filter writes it as is. */
export class ConnectivityException extends ProblemException {
  constructor(
    readonly code: ConnectivityProblem,
    detail: string,
    extensions: Record<string, unknown> = {},
  ) {
    const { status, title } = STATUS[code];
    super({ type: `${PROBLEM_TYPE_BASE}${code}`, title, status, detail, code, ...extensions });
  }
}
