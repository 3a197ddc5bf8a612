import { metrics } from '@opentelemetry/api';
import { PROMETHEUS_CONTENT_TYPE, renderMetrics } from './metrics';
import { shutdownTelemetry, startTelemetry } from './telemetry';

describe('renderMetrics', () => {
  afterEach(() => shutdownTelemetry());

  it('is empty before telemetry starts', async () => {
    await expect(renderMetrics()).resolves.toEqual({ contentType: PROMETHEUS_CONTENT_TYPE, body: '' });
  });

  it('exposes OTel metrics and the process gauges as Prometheus text', async () => {
    startTelemetry({ serviceName: 'metrics-test', instrumentations: [], tracesExporters: [] });
    const uplinks = metrics.getMeter('connectivity').createCounter('urbis.uplinks.received', {
      description: 'Uplinks received from devices',
    });
    uplinks.add(3, { transport: 'mqtt' });
    uplinks.add(1, { transport: 'lorawan' });

    const { contentType, body } = await renderMetrics();

    expect(contentType).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(body).toContain('# HELP urbis_uplinks_received_total Uplinks received from devices');
    expect(body).toContain('# TYPE urbis_uplinks_received_total counter');
    expect(body).toMatch(/^urbis_uplinks_received_total\{transport="mqtt"(,[^}]*)?\} 3$/m);
    expect(body).toMatch(/^urbis_uplinks_received_total\{transport="lorawan"(,[^}]*)?\} 1$/m);
    expect(body).toMatch(/^process_memory_usage\{[^}]*\} \d+$/m);
    expect(body).toMatch(/^process_cpu_time_total\{cpu_mode="user"[^}]*\} [\d.e+-]+$/m);
    // Every non-comment line is `name{labels} value`: what a Prometheus scraper parses.
    const samples = body.split('\n').filter((line) => line.length > 0 && !line.startsWith('#'));
    expect(samples.length).toBeGreaterThan(0);
    for (const sample of samples) {
      expect(sample).toMatch(/^[a-zA-Z_:][a-zA-Z0-9_:]*(\{.*\})? [-+]?(\d+(\.\d+)?([eE][-+]?\d+)?|NaN|[-+]?Inf)$/);
    }
  });
});
