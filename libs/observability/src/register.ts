// Line one of every service's main.ts: `import '@urbis/observability/register'`.
// The instrumentations patch http, @nestjs/core and pg as they are required, so
// telemetry must start before any of them loads; configured by the standard OTEL_* variables.
import { startTelemetry, telemetryOptionsFromEnv } from './telemetry';

startTelemetry(telemetryOptionsFromEnv());
