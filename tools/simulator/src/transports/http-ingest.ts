import type { Reading } from '../kinds';
import type { LoginGate } from './login-gate';

export interface IngestAnswer {
  status: number;
  eventId?: string;
  /** Seconds the server asked the device to wait (429, 503). */
  retryAfter?: number;
}

/**
 * A device posting readings to connectivity's HTTP ingest with its token: 202 once Kafka has the
 * reading. Refusals of the token go through the login gate like MQTT logins.
 */
export class HttpIngestDevice {
  private proven = false;

  constructor(
    private readonly options: { connectivityUrl: string; tenant: string; deviceId: string; token: string; gate: LoginGate },
  ) {}

  async post(reading: Reading): Promise<IngestAnswer> {
    // A device whose token connectivity has accepted needs no slot; a new one might be refused.
    const release = this.proven ? undefined : await this.options.gate.enter();
    let answer: IngestAnswer;
    try {
      const response = await fetch(
        `${this.options.connectivityUrl}/ingest/v1/${this.options.tenant}/devices/${this.options.deviceId}`,
        {
          method: 'POST',
          headers: {
            authorization: `Bearer ${this.options.token}`,
            'content-type': reading.contentType ?? 'application/octet-stream',
          },
          body: reading.payload,
          signal: AbortSignal.timeout(15_000),
        },
      );
      const body = (await response.json().catch(() => ({}))) as { eventId?: string };
      const retryAfter = Number(response.headers.get('retry-after'));
      answer = {
        status: response.status,
        ...(body.eventId !== undefined && { eventId: body.eventId }),
        ...(Number.isFinite(retryAfter) && retryAfter > 0 && { retryAfter }),
      };
    } catch (error) {
      release?.('unreachable');
      throw error;
    }
    if (answer.status === 202) this.proven = true;
    release?.(answer.status === 401 ? 'refused' : answer.status === 202 ? 'accepted' : 'unreachable');
    return answer;
  }
}
