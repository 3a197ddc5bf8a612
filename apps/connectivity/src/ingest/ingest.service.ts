import { Inject, Injectable } from '@nestjs/common';
import { type Logger } from '@urbis/observability';
import { SERVICE_LOGGER } from '@urbis/runtime';
import { LimitsService } from '../limits/limits.service';
import { ConnectivityMetrics } from '../metrics/connectivity-metrics';
import { parseDeviceIdentity } from '../mqtt/device-topics';
import { ConnectivityException, ConnectivityProblem } from '../problems';
import { type AuthFailure, DeviceAuthenticator } from '../registry/device-authenticator';
import { DeviceStatusService } from '../status/device-status.service';
import { UplinkService } from '../uplinks/uplink.service';

export interface IngestRequest {
  tenant: string;
  deviceId: string;
  authorization: string | undefined;
  contentType: string | undefined;
  body: Buffer | undefined;
  receivedAt: Date;
  /** The peer's address, for the audit record of a refused device. */
  address?: string;
}

export interface IngestAccepted {
  eventId: string;
  receivedAt: string;
}

const REFUSALS: Record<AuthFailure, ConnectivityProblem> = {
  'unknown-device': ConnectivityProblem.DeviceUnauthenticated,
  'no-valid-credential': ConnectivityProblem.DeviceUnauthenticated,
  'bad-token': ConnectivityProblem.DeviceUnauthenticated,
  'device-not-active': ConnectivityProblem.DeviceNotActive,
  'too-many-failures': ConnectivityProblem.TooManyAuthFailures,
};

/** How long a device refused for repeated failures should wait (the authenticator's failure window). */
const AUTH_RETRY_AFTER_SECONDS = 60;

/** HTTP ingest: a device posts a reading with its token; accepted once Kafka acknowledged it. */
@Injectable()
export class IngestService {
  constructor(
    @Inject(SERVICE_LOGGER) private readonly logger: Logger,
    private readonly authenticator: DeviceAuthenticator,
    private readonly uplinks: UplinkService,
    private readonly metrics: ConnectivityMetrics,
    private readonly status: DeviceStatusService,
    private readonly limits: LimitsService,
  ) {}

  async ingest(request: IngestRequest): Promise<IngestAccepted> {
    const identity = parseDeviceIdentity(`${request.tenant}/${request.deviceId}`);
    if (!identity) {
      throw this.refuse('bad-username', ConnectivityProblem.InvalidDevice, 'The tenant or device id is not well-formed.');
    }
    const token = /^Bearer\s+(\S+)\s*$/i.exec(request.authorization ?? '')?.[1];
    if (!token) {
      throw this.refuse('bad-token', ConnectivityProblem.MissingDeviceToken, 'Send the device token as `Authorization: Bearer <token>`.');
    }
    const outcome = await this.authenticator.authenticate(identity.tenant, identity.deviceId, token);
    if (!outcome.ok) {
      this.logger.info({ device: `${identity.tenant}/${identity.deviceId}`, reason: outcome.reason }, 'HTTP ingest refused');
      this.limits.auditRefusal('http', identity.tenant, identity.deviceId, outcome.reason, request.address);
      throw this.refuse(outcome.reason, REFUSALS[outcome.reason], `The device was refused: ${outcome.reason}.`, {
        ...(outcome.reason === 'too-many-failures' && { retryAfterSeconds: AUTH_RETRY_AFTER_SECONDS }),
      });
    }
    const body = request.body ?? Buffer.alloc(0);
    if (body.length === 0) throw this.refuse('invalid-payload', ConnectivityProblem.EmptyPayload, 'The request has no body.');
    const exceeded = this.limits.checkMessage('http', outcome.device, body.length);
    if (exceeded?.reason === 'payload-too-large') {
      throw new ConnectivityException(ConnectivityProblem.PayloadTooLarge, `The payload has ${exceeded.detail}.`, {
        maxPayloadBytes: exceeded.limit,
      });
    }
    if (exceeded) {
      throw new ConnectivityException(ConnectivityProblem.RateLimited, `The device or its tenant sends too much: ${exceeded.detail}.`, {
        retryAfterSeconds: exceeded.retryAfterSeconds,
        limit: exceeded.limit,
      });
    }
    const receivedAt = request.receivedAt.toISOString();
    try {
      const eventId = await this.uplinks.publish(identity.tenant, {
        deviceId: identity.deviceId,
        transport: 'http',
        receivedAt,
        ...(request.contentType && { contentType: request.contentType }),
        payload: body.toString('base64'),
      });
      this.status.seen(identity.tenant, identity.deviceId, 'http', request.receivedAt);
      return { eventId, receivedAt };
    } catch (error) {
      this.logger.warn({ err: error }, 'HTTP uplink not accepted by Kafka');
      throw this.refuse('broker-unavailable', ConnectivityProblem.BrokerUnavailable, 'The uplink could not be stored; retry it.', {
        retryAfterSeconds: 1,
      });
    }
  }

  private refuse(
    reason: Parameters<ConnectivityMetrics['rejected']>[1],
    problem: ConnectivityProblem,
    detail: string,
    extensions: Record<string, unknown> = {},
  ): ConnectivityException {
    this.metrics.rejected('http', reason);
    return new ConnectivityException(problem, detail, extensions);
  }
}
