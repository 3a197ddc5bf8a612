// Tracing as a deployed service does it: main.ts in a child process, so the OpenTelemetry
// instrumentations patch kafkajs through Node's require hook (Jest's registry would bypass it),
// exporting over OTLP to a receiver of the test. Readings published together share produce
// requests; each must still travel in its own trace.
import { connectMqtt, EventReader, eventually, type OtlpReceiver, startOtlpReceiver } from '@urbis/testing';
import { type ChildService, startChildService } from '../test-support/child-service.test-helpers';
import {
  DevicesServiceDouble,
  type Infrastructure,
  serviceEnv,
  startInfrastructure,
  type TestDevice,
} from '../test-support/harness.test-helpers';

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-(0[01])$/;
const READING_SPAN = 'connectivity.uplink.received.v1 publish';

describe('every reading in its own trace (main.ts, real instrumentation)', () => {
  let infra: Infrastructure;
  let devices: DevicesServiceDouble;
  let uplinks: EventReader<'connectivity.uplink.received.v1'>;
  let otlp: OtlpReceiver;
  let service: ChildService | undefined;

  beforeAll(async () => {
    infra = await startInfrastructure('connectivity_tracing');
    devices = new DevicesServiceDouble(infra.kafka.bootstrapServers, infra.database.url);
    await devices.connect();
    uplinks = new EventReader(infra.kafka.bootstrapServers, 'connectivity.uplink.received.v1');
    await uplinks.start();
    otlp = await startOtlpReceiver();
  });

  afterEach(async () => {
    await service?.stop();
    service = undefined;
  });

  afterAll(async () => {
    await otlp?.stop();
    await uplinks?.stop();
    await devices?.disconnect();
    await infra?.stop();
  });

  /** Starts the service with `env`, publishes `perDevice` QoS 1 readings from each of 4 devices at once, returns them as read from Kafka. */
  async function publishTogether(env: Record<string, string>, perDevice: number) {
    service = await startChildService(
      serviceEnv(infra, {
        LOG_LEVEL: 'warn',
        OTEL_SERVICE_NAME: 'urbis-connectivity',
        OTEL_TRACES_EXPORTER: 'otlp',
        OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url,
        OTEL_BSP_SCHEDULE_DELAY: '200',
        // Readings arriving within 100 ms share a produce request.
        UPLINK_LINGER_MS: '100',
        ...env,
      }),
    );
    const running = service;
    const fleet = await Promise.all([0, 1, 2, 3].map(() => devices.register('alpha')));
    const clients = await Promise.all(fleet.map((device) => connectMqtt(running.mqttUrl, device)));
    await Promise.all(
      clients.flatMap((client, index) =>
        Array.from({ length: perDevice }, (_, n) =>
          client.publishAsync((fleet[index] as TestDevice).topic('up'), `reading ${n}`, { qos: 1 }),
        ),
      ),
    );
    await Promise.all(clients.map((client) => client.endAsync()));
    const ids = new Set(fleet.map((device) => device.deviceId));
    return uplinks.waitFor((event) => ids.has(event.payload.deviceId), fleet.length * perDevice, 10_000);
  }

  it("sends each reading of a shared produce request with its own reading span's traceparent", async () => {
    const reads = await publishTogether({}, 5);
    const contexts = reads.map((read) => TRACEPARENT.exec(read.headers['traceparent'] ?? ''));
    expect(contexts.every((context) => context?.[3] === '01')).toBe(true);
    const traceIds = contexts.map((context) => context?.[1] as string);
    expect(new Set(traceIds).size).toBe(reads.length);

    // Each message's traceparent is its reading's span, with that reading's device on it.
    await eventually(() => traceIds.every((traceId) => otlp.trace(traceId).some((span) => span.name === READING_SPAN)), {
      timeoutMs: 15_000,
      what: 'the reading span of every uplink',
    });
    reads.forEach((read, index) => {
      const spans = otlp.trace(traceIds[index] as string);
      const reading = spans.find((span) => span.name === READING_SPAN);
      expect(reading).toMatchObject({
        service: 'urbis-connectivity',
        kind: 4,
        spanId: contexts[index]?.[2],
        attributes: { 'urbis.device_id': read.event.payload.deviceId, 'urbis.tenant': 'alpha', 'urbis.transport': 'mqtt' },
      });
    });

    // One send span per produce request (the readings did share one), not one per message.
    const sends = otlp.spans().filter((span) => span.name === 'send connectivity.uplink.received.v1');
    const counts = sends.map((span) => Number(span.attributes['messaging.batch.message_count']));
    expect(counts.every((count) => count >= 1)).toBe(true);
    expect(Math.max(...counts)).toBeGreaterThan(1);
    expect(counts.reduce((sum, count) => sum + count, 0)).toBeGreaterThanOrEqual(reads.length);
    expect(sends.length).toBeLessThan(reads.length);
  });

  it('keeps every reading its own trace context when spans are sampled out (OTEL_TRACES_SAMPLER)', async () => {
    otlp.clear();
    const reads = await publishTogether({ OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0' }, 3);
    const contexts = reads.map((read) => TRACEPARENT.exec(read.headers['traceparent'] ?? ''));
    // Not sampled, and said so, so that downstream services do not record them either.
    expect(contexts.every((context) => context?.[3] === '00')).toBe(true);
    const traceIds = contexts.map((context) => context?.[1] as string);
    expect(new Set(traceIds).size).toBe(reads.length);
    await service?.stop(); // flushes whatever would have been exported
    service = undefined;
    expect(otlp.spans().filter((span) => traceIds.includes(span.traceId))).toEqual([]);
  });
});
