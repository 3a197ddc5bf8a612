import { metrics, ValueType } from '@opentelemetry/api';

/**
 * A few process gauges that cost nothing to observe: CPU time, memory, uptime. Names follow the
 * OpenTelemetry semantic conventions; Prometheus sees them with dots as underscores.
 */
export function registerRuntimeMetrics(): void {
  const meter = metrics.getMeter('@urbis/observability');

  meter
    .createObservableCounter('process.cpu.time', {
      description: 'CPU time used by the process',
      unit: 's',
      valueType: ValueType.DOUBLE,
    })
    .addCallback((result) => {
      const { user, system } = process.cpuUsage();
      result.observe(user / 1e6, { 'cpu.mode': 'user' });
      result.observe(system / 1e6, { 'cpu.mode': 'system' });
    });

  meter
    .createObservableUpDownCounter('process.memory.usage', {
      description: 'Resident set size of the process',
      unit: 'By',
      valueType: ValueType.INT,
    })
    .addCallback((result) => result.observe(process.memoryUsage.rss()));

  meter
    .createObservableGauge('v8js.memory.heap.used', {
      description: 'V8 heap in use',
      unit: 'By',
      valueType: ValueType.INT,
    })
    .addCallback((result) => result.observe(process.memoryUsage().heapUsed));

  meter
    .createObservableGauge('process.uptime', { description: 'Time since the process started', unit: 's' })
    .addCallback((result) => result.observe(process.uptime()));
}
