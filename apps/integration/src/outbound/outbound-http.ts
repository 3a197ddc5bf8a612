import { Injectable } from '@nestjs/common';
import http, { type IncomingHttpHeaders } from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import type { RequestLimits } from '../config';
import { DestinationGuard } from './destination-guard';
import { OutboundError } from './outbound-error';

export interface OutboundRequest {
  tenant: string;
  url: string;
  method: 'POST' | 'GET';
  headers: Record<string, string>;
  body?: string | Buffer;
  limits: RequestLimits;
}

export interface OutboundResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /** At most `limits.maxResponseBytes` of the body. */
  body: Buffer;
  /** True when the body was longer than the limit and the rest was not read. */
  truncated: boolean;
  /** The URL that answered, after redirects. */
  url: string;
  redirects: number;
}

/** Redirects that keep the method and the body (RFC 9110 §15.4.8, §15.4.9); others are answers. */
const FOLLOWED_REDIRECTS = new Set([307, 308]);

/**
 * The one HTTP client of the service. Every request: the destination checked against the
 * tenant's rules (and each redirect hop again), a deadline covering connection, headers and
 * body, and a cap on how much of the response is read. Keep-alive agents are per tenant, so a
 * connection one tenant was allowed to open is never reused for another.
 */
@Injectable()
export class OutboundHttp {
  private readonly agents = new Map<string, http.Agent>();

  constructor(private readonly guard: DestinationGuard) {}

  async request(request: OutboundRequest): Promise<OutboundResponse> {
    const deadline = Date.now() + request.limits.timeoutMs;
    let url = this.parse(request.url);
    for (let redirects = 0; ; redirects++) {
      const response = await this.once(request, url, deadline, redirects);
      const location = response.headers.location;
      if (!FOLLOWED_REDIRECTS.has(response.status) || !location) return response;
      if (redirects >= request.limits.maxRedirects) {
        throw new OutboundError('too-many-redirects', `more than ${request.limits.maxRedirects} redirects`);
      }
      url = this.parse(new URL(location, url).toString());
    }
  }

  /** Drops a tenant's pooled connections (its rules changed). */
  forget(tenant: string): void {
    for (const [key, agent] of this.agents) {
      if (key.startsWith(`${tenant}|`)) {
        agent.destroy();
        this.agents.delete(key);
      }
    }
  }

  close(): void {
    for (const agent of this.agents.values()) agent.destroy();
    this.agents.clear();
  }

  private parse(raw: string): URL {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new OutboundError('invalid', `not a URL: ${raw}`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new OutboundError('invalid', `only http and https destinations, not ${url.protocol}`);
    }
    return url;
  }

  private agentFor(tenant: string, protocol: string): http.Agent {
    const key = `${tenant}|${protocol}`;
    let agent = this.agents.get(key);
    if (!agent) {
      const options = { keepAlive: true, maxSockets: 16, maxFreeSockets: 16, timeout: 60_000 };
      agent = protocol === 'https:' ? new https.Agent(options) : new http.Agent(options);
      this.agents.set(key, agent);
    }
    return agent;
  }

  private async once(
    request: OutboundRequest,
    url: URL,
    deadline: number,
    redirects: number,
  ): Promise<OutboundResponse> {
    const checked = await this.guard.check(request.tenant, url.hostname);
    const remaining = deadline - Date.now();
    if (remaining <= 0) throw new OutboundError('timeout', `no answer within ${request.limits.timeoutMs} ms`);
    // Connect to the address that was checked, whatever DNS says now.
    const pinned: LookupFunction = (_hostname, options, callback) => {
      if (options.all) callback(null, [{ address: checked.address, family: checked.family }]);
      else callback(null, checked.address, checked.family);
    };
    const transport = url.protocol === 'https:' ? https : http;
    const body = request.body === undefined ? undefined : Buffer.from(request.body);
    return new Promise<OutboundResponse>((resolve, reject) => {
      const req = transport.request(
        url,
        {
          method: request.method,
          headers: { ...request.headers, ...(body && { 'content-length': String(body.length) }) },
          agent: this.agentFor(request.tenant, url.protocol),
          lookup: pinned,
        },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          let truncated = false;
          const finish = () => {
            clearTimeout(timer);
            resolve({
              status: res.statusCode ?? 0,
              headers: res.headers,
              body: Buffer.concat(chunks),
              truncated,
              url: url.toString(),
              redirects,
            });
          };
          res.on('data', (chunk: Buffer) => {
            if (truncated) return;
            const room = request.limits.maxResponseBytes - size;
            if (chunk.length > room) {
              if (room > 0) chunks.push(chunk.subarray(0, room));
              size += Math.max(room, 0);
              truncated = true;
              // The rest is never read: the connection is closed instead.
              res.destroy();
              finish();
              return;
            }
            chunks.push(chunk);
            size += chunk.length;
          });
          res.on('end', finish);
          res.on('error', (error) => {
            if (!truncated) fail(error);
          });
        },
      );
      const fail = (error: unknown) => {
        clearTimeout(timer);
        reject(
          error instanceof OutboundError
            ? error
            : new OutboundError('network', describeNetworkError(error), { cause: error }),
        );
      };
      const timer = setTimeout(
        () => req.destroy(new OutboundError('timeout', `no answer within ${request.limits.timeoutMs} ms`)),
        remaining,
      );
      req.on('error', fail);
      req.end(body);
    });
  }
}

function describeNetworkError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  const message = error instanceof Error ? error.message : String(error);
  return code && !message.includes(code) ? `${code}: ${message}` : message;
}
