/** The service's whole config object (BaseConfig plus its own sections). */
export const SERVICE_CONFIG = Symbol.for('urbis.runtime.config');
/** The service's pino logger (`Logger` from @urbis/observability). */
export const SERVICE_LOGGER = Symbol.for('urbis.runtime.logger');
