import type { z } from 'zod';
import type { httpPollConfig } from '../connector.dto';
import { type ConnectorRunner, type RunnerContext, Sleeper } from './runner';

type Config = z.output<typeof httpPollConfig>;

/**
 * Polls a URL at its interval with conditional requests (If-None-Match / If-Modified-Since from
 * the last answer's ETag / Last-Modified), so an unchanged feed costs a 304 and no observation.
 * Goes through the service's one HTTP client: destination policy, timeout, size limit.
 */
export class HttpPollRunner implements ConnectorRunner {
  private stopped = false;
  private paused = false;
  private loop?: Promise<void>;
  private readonly sleeper = new Sleeper();

  constructor(
    private readonly ctx: RunnerContext,
    private readonly config: Config,
    private validators: Record<string, string>,
  ) {}

  start(): void {
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.sleeper.wake();
    await this.loop;
    this.ctx.report.set('stopped');
  }

  async setPaused(paused: boolean): Promise<void> {
    this.paused = paused;
    this.ctx.report.set(paused ? 'paused' : 'starting');
    if (!paused) this.sleeper.wake();
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      if (!this.paused) await this.poll();
      if (this.stopped) break;
      await this.sleeper.sleep(this.paused ? 3_600_000 : this.config.intervalSeconds * 1000);
    }
  }

  private async poll(): Promise<void> {
    const { report } = this.ctx;
    try {
      const response = await this.ctx.http.request({
        tenant: this.ctx.tenant,
        url: this.config.url,
        method: 'GET',
        headers: {
          accept: 'application/json, */*;q=0.5',
          ...this.config.headers,
          ...(this.validators['etag'] && { 'if-none-match': this.validators['etag'] }),
          ...(this.validators['lastModified'] && { 'if-modified-since': this.validators['lastModified'] }),
        },
        limits: {
          timeoutMs: this.config.timeoutMs,
          maxResponseBytes: this.config.maxBodyBytes,
          maxRedirects: 3,
        },
      });
      if (this.paused || this.stopped) return;
      if (response.status === 304) {
        report.set('running');
        return;
      }
      if (response.status < 200 || response.status >= 300) {
        throw new Error(`HTTP ${response.status} from ${this.config.url}`);
      }
      if (response.truncated) throw new Error(`the answer is larger than ${this.config.maxBodyBytes} bytes`);
      const etag = header(response.headers['etag']);
      const lastModified = header(response.headers['last-modified']);
      const contentType = header(response.headers['content-type']) ?? '';
      const text = response.body.toString('utf8');
      let body: unknown = text;
      if (/json/i.test(contentType) || /^\s*[[{]/.test(text)) {
        try {
          body = JSON.parse(text);
        } catch {
          throw new Error(`the answer is not valid JSON (${contentType || 'no content type'})`);
        }
      }
      const receivedAt = new Date();
      await this.ctx.emit(
        {
          body,
          status: response.status,
          headers: { 'content-type': contentType, etag, 'last-modified': lastModified },
          receivedAt: receivedAt.toISOString(),
          connector: { id: this.ctx.connectorId, name: this.ctx.name },
        },
        receivedAt,
      );
      this.validators = { ...(etag && { etag }), ...(lastModified && { lastModified }) };
      report.pollState = this.validators;
      report.changed = true;
    } catch (error) {
      report.fail(error);
    }
  }
}

function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
