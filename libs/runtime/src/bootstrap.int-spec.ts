import { BadRequestException, Controller, Get, Injectable, Module } from '@nestjs/common';
import { Public } from '@urbis/auth';
import { createLogger, startTelemetry, shutdownTelemetry } from '@urbis/observability';
import { bootstrapService, type RunningService } from './bootstrap';
import { serviceConfigSchema } from './config/base-config';
import { parseConfig } from './config/load-config';
import { ServiceLifecycle } from './lifecycle/service-lifecycle';

/** What happened, in order: the shutdown sequence is the point of this test. */
const events: string[] = [];
const state = { dbUp: true };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

@Public()
@Controller('probe')
class ProbeController {
  @Get('slow')
  async slow(): Promise<{ done: true }> {
    events.push('request.start');
    await sleep(400);
    events.push('request.done');
    return { done: true };
  }

  @Get('boom')
  boom(): never {
    throw new Error('secret internals');
  }

  @Get('bad')
  bad(): never {
    throw new BadRequestException('ttl must be positive');
  }
}

@Controller('private')
class PrivateController {
  @Get()
  get(): string {
    return 'never without a token';
  }
}

/** Stands in for the database, the producer and a consumer, as services contribute them. */
@Injectable()
class FakeDependencies {
  running = false;
  constructor(lifecycle: ServiceLifecycle) {
    lifecycle.addConnection({
      name: 'database',
      check: async () => ({ ok: state.dbUp, detail: state.dbUp ? undefined : 'connection refused' }),
      close: async () => void events.push('database.close'),
    });
    lifecycle.addConnection({
      name: 'kafka-producer',
      check: async () => true,
      close: async () => void events.push('producer.close'),
    });
    lifecycle.addWorker({
      name: 'consumer',
      start: () => {
        this.running = true;
      },
      stop: async () => {
        events.push(`consumer.stop(stopping=${lifecycle.isStopping})`);
        await sleep(50);
        this.running = false;
        events.push('consumer.stopped');
      },
      isRunning: () => this.running,
    });
  }
}

@Module({ controllers: [ProbeController, PrivateController], providers: [FakeDependencies] })
class ProbeModule {}

const config = parseConfig(
  serviceConfigSchema({ name: 'probe', port: 0, databaseUrl: 'postgresql://postgres@127.0.0.1:5432/unused' }),
  { HOST: '127.0.0.1' },
);

describe('bootstrapService', () => {
  let service: RunningService;

  beforeAll(async () => {
    startTelemetry({ instrumentations: [] });
    service = await bootstrapService({
      module: ProbeModule,
      config,
      ownProcess: false,
      messaging: false,
      port: 0,
      logger: createLogger({
        service: 'probe',
        level: (process.env['PROBE_LOG'] as 'info' | undefined) ?? 'silent',
      }),
    });
  });

  afterAll(async () => {
    await service.shutdown();
    await shutdownTelemetry();
  });

  it('is live', async () => {
    const response = await fetch(`${service.url}/health/live`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'up' });
  });

  it('is ready only when every check passes, and says which one fails', async () => {
    const ready = await fetch(`${service.url}/health/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({
      status: 'ready',
      checks: [
        { name: 'database', ok: true },
        { name: 'kafka-producer', ok: true },
        { name: 'consumer', ok: true },
      ],
    });

    state.dbUp = false;
    const notReady = await fetch(`${service.url}/health/ready`);
    state.dbUp = true;
    expect(notReady.status).toBe(503);
    expect(await notReady.json()).toEqual({
      status: 'not-ready',
      checks: expect.arrayContaining([{ name: 'database', ok: false, detail: 'connection refused' }]),
    });
  });

  it('serves Prometheus metrics', async () => {
    const response = await fetch(`${service.url}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/plain');
    expect(await response.text()).toMatch(/^# (HELP|TYPE) /m);
  });

  it('serves the OpenAPI document, health routes included', async () => {
    const response = await fetch(`${service.url}/docs-json`);
    expect(response.status).toBe(200);
    const document = (await response.json()) as { info: { title: string }; paths: Record<string, unknown> };
    expect(document.info.title).toBe('Urbis probe');
    expect(Object.keys(document.paths)).toEqual(expect.arrayContaining(['/health/live', '/health/ready']));
    expect((await fetch(`${service.url}/docs`)).status).toBe(200);
  });

  it('answers errors as problem details, without leaking internals', async () => {
    const boom = await fetch(`${service.url}/probe/boom`);
    expect(boom.status).toBe(500);
    expect(boom.headers.get('content-type')).toContain('application/problem+json');
    const body = (await boom.json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      status: 500,
      title: 'Internal Server Error',
      traceId: expect.stringMatching(/^[0-9a-f]{32}$/),
    });
    expect(JSON.stringify(body)).not.toContain('secret internals');

    const bad = await fetch(`${service.url}/probe/bad`);
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({
      type: 'about:blank',
      title: 'Bad Request',
      status: 400,
      detail: 'ttl must be positive',
    });

    const missing = await fetch(`${service.url}/no/such/route`);
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toContain('application/problem+json');
  });

  it('protects non-public routes through @urbis/auth (its 401 problem, its challenge)', async () => {
    const response = await fetch(`${service.url}/private`);
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toContain('Bearer');
    expect(response.headers.get('content-type')).toContain('application/problem+json');
  });

  it('shuts down in order: not ready, consumers drained, in-flight requests finished, then connections closed', async () => {
    events.length = 0;
    const inFlight = fetch(`${service.url}/probe/slow`).then((response) => response.status);
    await sleep(100);
    const closing = service.shutdown('SIGTERM');
    await sleep(20);
    const refused = await fetch(`${service.url}/health/ready`)
      .then((response) => response.status)
      .catch(() => 'connection refused');
    expect(await inFlight).toBe(200);
    await closing;
    expect([503, 'connection refused']).toContain(refused);
    expect(events).toEqual([
      'request.start',
      'consumer.stop(stopping=true)',
      'consumer.stopped',
      'request.done',
      'producer.close',
      'database.close',
    ]);
  });
});
