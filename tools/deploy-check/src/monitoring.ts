/**
 * Metrics every service exposes today on /metrics (libs/observability's runtime gauges and the
 * pg instrumentation, @urbis/messaging's Kafka requests; the OTel Prometheus serializer adds no unit suffix).
 * The build-output test checks each of them on every service.
 */
export const RUNTIME_METRICS = [
  'process_cpu_time_total',
  'process_memory_usage',
  'v8js_memory_heap_used',
  'db_client_operation_duration_bucket',
  'messaging_client_operation_duration_bucket',
  // the HTTP instrumentation's, after the first API request (/health and /metrics do not count)
  'http_server_request_duration_bucket',
  'http_server_request_duration_count',
];

/**
 * The services' own metrics (Prometheus name → OpenTelemetry instrument name in apps/<svc>/src).
 * Counters appear on /metrics after their first increment; a test finds each instrument in the code.
 */
export const SERVICE_METRICS: Record<string, string> = {
  connectivity_uplinks_accepted_total: 'connectivity.uplinks.accepted',
  connectivity_rejections_total: 'connectivity.rejections',
  connectivity_uplink_kafka_duration_bucket: 'connectivity.uplink.kafka.duration',
  connectivity_mqtt_sessions: 'connectivity.mqtt.sessions',
  connectivity_devices: 'connectivity.devices',
  integration_delivery_attempts_total: 'integration.delivery.attempts',
  integration_delivery_completed_total: 'integration.delivery.completed',
};

/** Metrics from elsewhere that exist today: Prometheus itself and Strimzi's Kafka Exporter. */
export const EXTERNAL_METRICS = ['up', 'kafka_consumergroup_lag', 'kafka_topic_partition_current_offset'];

/**
 * Metrics the dashboards and alerts use before the service exports them (Prometheus name →
 * the instrument its owner is adding, and who). docs/deploy.md lists them; the alerts on them
 * carry `urbis.dev/needs`. When an instrument lands, move its metric to SERVICE_METRICS.
 */
export const PENDING_METRICS: Record<string, { instrument: string; owner: string }> = {};
