import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { type HttpReceiver, startHttpReceiver } from './http-receiver';
import { type OtlpReceiver, startOtlpReceiver } from './otlp-receiver';
import { tsNodeArgs, tsNodeEnv } from './ts-process';

describe('OTLP/HTTP receiver', () => {
  let receiver: OtlpReceiver;
  beforeAll(async () => (receiver = await startOtlpReceiver()));
  afterAll(() => receiver.stop());

  it('takes what the OTLP/HTTP exporter the services use sends, as spans of their trace', async () => {
    // The real exporter, in a child process: Jest cannot load its dynamic imports.
    const { stdout } = await promisify(execFile)(process.execPath, tsNodeArgs(path.join(__dirname, 'otlp-export.test-helpers.ts'), [receiver.url]), {
      env: { ...process.env, ...tsNodeEnv() },
    });
    const { traceId, parentSpanId } = JSON.parse(stdout) as { traceId: string; parentSpanId: string };
    const spans = receiver.trace(traceId);
    expect(spans.map((span) => [span.service, span.name])).toEqual([
      ['probe', 'reading received'],
      ['probe', 'reading stored'],
    ]);
    expect(spans[1]).toMatchObject({ parentSpanId, attributes: { 'urbis.device': 'aq-001', count: 3 } });
    expect(spans[0]?.endTimeUnixNano).toBeGreaterThanOrEqual(spans[0]?.startTimeUnixNano ?? 0n);

    const listed = (await (await fetch(`${receiver.url}/traces`)).json()) as { traceId: string; services: string[]; spans: number }[];
    expect(listed).toContainEqual(expect.objectContaining({ traceId, services: ['probe'], spans: 2, root: 'probe: reading received' }));
    expect((await fetch(`${receiver.url}/traces/${traceId}`)).status).toBe(200);
  });

  it('refuses protobuf bodies, which it cannot read, so that a misconfigured exporter shows', async () => {
    const response = await fetch(`${receiver.url}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body: Buffer.from([10, 0]) });
    expect(response.status).toBe(415);
    expect(await response.text()).toContain('http/json');
  });
});

describe('HTTP receiver', () => {
  let receiver: HttpReceiver;
  beforeAll(async () => (receiver = await startHttpReceiver()));
  afterAll(() => receiver.stop());

  it('records requests, answers as told, and goes down and up on the same port', async () => {
    const post = (body: string) => fetch(`${receiver.url}/hook?x=1`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect((await post('{"n":1}')).status).toBe(200);
    receiver.respondWith(503);
    expect((await post('{"n":2}')).status).toBe(503);
    expect(receiver.requests.map((r) => [r.method, r.path, r.body])).toEqual([
      ['POST', '/hook?x=1', '{"n":1}'],
      ['POST', '/hook?x=1', '{"n":2}'],
    ]);

    await receiver.down();
    await expect(post('{"n":3}')).rejects.toThrow();
    const later = receiver.waitFor((r) => r.body === '{"n":4}');
    await receiver.up();
    receiver.respondWith(200);
    expect((await post('{"n":4}')).status).toBe(200);
    expect((await later).headers['content-type']).toBe('application/json');
  });
});
