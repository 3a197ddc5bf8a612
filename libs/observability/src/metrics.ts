import { diag } from '@opentelemetry/api';
import { PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { currentTelemetry } from './telemetry';

/** The Prometheus text exposition format, as scrapers expect it. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

const serializer = new PrometheusSerializer();

/**
 * Every OpenTelemetry metric of the process in the Prometheus text format, for a service's own
 * `GET /metrics` route. Empty when telemetry is not started or disabled.
 */
export async function renderMetrics(): Promise<{ contentType: string; body: string }> {
  const prometheus = currentTelemetry()?.prometheus;
  if (!prometheus) return { contentType: PROMETHEUS_CONTENT_TYPE, body: '' };
  const { resourceMetrics, errors } = await prometheus.collect();
  if (errors.length) diag.error('renderMetrics: some metrics could not be collected', ...errors);
  return { contentType: PROMETHEUS_CONTENT_TYPE, body: serializer.serialize(resourceMetrics) };
}
