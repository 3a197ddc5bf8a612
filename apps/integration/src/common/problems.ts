import { HttpStatus } from '@nestjs/common';
import { ProblemException } from '@urbis/runtime';

/** What can go wrong in the integration API; each code has one status and one problem type. */
export enum IntegrationErrorCode {
  DeliveryNotFound = 'delivery-not-found',
  EndpointNotFound = 'endpoint-not-found',
  NotDeadLettered = 'not-dead-lettered',
  DestinationInvalid = 'destination-invalid',
  DestinationRefused = 'destination-refused',
  WebhookNotFound = 'webhook-not-found',
  WebhookInvalid = 'webhook-invalid',
  WebhookNameTaken = 'webhook-name-taken',
  ConnectorNotFound = 'connector-not-found',
  ConnectorInvalid = 'connector-invalid',
  ConnectorNameTaken = 'connector-name-taken',
  MappingInvalid = 'mapping-invalid',
  PushUnauthorized = 'push-unauthorized',
  PushPayloadInvalid = 'push-payload-invalid',
  PushTooLarge = 'push-too-large',
  PushMappingFailed = 'push-mapping-failed',
  ConnectorNotRunning = 'connector-not-running',
}

const STATUS: Record<IntegrationErrorCode, { status: HttpStatus; title: string }> = {
  [IntegrationErrorCode.DeliveryNotFound]: { status: HttpStatus.NOT_FOUND, title: 'Delivery not found' },
  [IntegrationErrorCode.EndpointNotFound]: { status: HttpStatus.NOT_FOUND, title: 'Endpoint not found' },
  [IntegrationErrorCode.NotDeadLettered]: {
    status: HttpStatus.CONFLICT,
    title: 'Delivery is not dead-lettered',
  },
  [IntegrationErrorCode.DestinationInvalid]: { status: HttpStatus.BAD_REQUEST, title: 'Invalid destination' },
  [IntegrationErrorCode.DestinationRefused]: {
    status: HttpStatus.BAD_REQUEST,
    title: "Destination refused by the tenant's policy",
  },
  [IntegrationErrorCode.WebhookNotFound]: { status: HttpStatus.NOT_FOUND, title: 'Webhook not found' },
  [IntegrationErrorCode.WebhookInvalid]: { status: HttpStatus.BAD_REQUEST, title: 'Invalid webhook' },
  [IntegrationErrorCode.WebhookNameTaken]: {
    status: HttpStatus.CONFLICT,
    title: 'Webhook name already used',
  },
  [IntegrationErrorCode.ConnectorNotFound]: { status: HttpStatus.NOT_FOUND, title: 'Connector not found' },
  [IntegrationErrorCode.ConnectorInvalid]: { status: HttpStatus.BAD_REQUEST, title: 'Invalid connector' },
  [IntegrationErrorCode.ConnectorNameTaken]: {
    status: HttpStatus.CONFLICT,
    title: 'Connector name already used',
  },
  [IntegrationErrorCode.MappingInvalid]: { status: HttpStatus.BAD_REQUEST, title: 'Invalid JSONata mapping' },
  [IntegrationErrorCode.PushUnauthorized]: {
    status: HttpStatus.UNAUTHORIZED,
    title: 'Wrong or missing push secret',
  },
  [IntegrationErrorCode.PushPayloadInvalid]: {
    status: HttpStatus.BAD_REQUEST,
    title: 'Unreadable pushed payload',
  },
  [IntegrationErrorCode.PushTooLarge]: {
    status: HttpStatus.PAYLOAD_TOO_LARGE,
    title: 'Pushed payload too large',
  },
  [IntegrationErrorCode.PushMappingFailed]: {
    status: HttpStatus.UNPROCESSABLE_ENTITY,
    title: 'The mapping could not turn the payload into observations',
  },
  [IntegrationErrorCode.ConnectorNotRunning]: {
    status: HttpStatus.SERVICE_UNAVAILABLE,
    title: 'Connector not running',
  },
};

export const PROBLEM_TYPE_BASE = 'https://urbis.city/problems/integration/';

/** An RFC 7807 problem of the integration API, with its `code`; the runtime's filter writes it. */
export class IntegrationProblem extends ProblemException {
  constructor(
    readonly code: IntegrationErrorCode,
    detail: string,
    extensions: Record<string, unknown> = {},
  ) {
    const { status, title } = STATUS[code];
    super({ ...extensions, type: `${PROBLEM_TYPE_BASE}${code}`, title, status, detail, code });
  }
}
