export {
  currentTelemetry,
  defaultInstrumentations,
  instrumentModule,
  shutdownTelemetry,
  startTelemetry,
  telemetryOptionsFromEnv,
  type Telemetry,
  type TelemetryOptions,
  type TracesExporterName,
} from './telemetry';
export { PROMETHEUS_CONTENT_TYPE, renderMetrics } from './metrics';
export { createLogger, NestPinoLogger, type Logger, type LoggerOptions } from './logger';
export { messageContext, type KafkaMessageHeaders } from './kafka-context';
export { recordHttpRoute } from './http-route';
