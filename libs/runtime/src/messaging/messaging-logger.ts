import type { MessagingLogger } from '@urbis/messaging';
import type { Logger } from '@urbis/observability';

/** @urbis/messaging's logger interface over the service's pino logger. */
export function messagingLogger(logger: Logger): MessagingLogger {
  const child = logger.child({ component: 'messaging' });
  return {
    error: (message, extra) => child.error(extra ?? {}, message),
    warn: (message, extra) => child.warn(extra ?? {}, message),
    info: (message, extra) => child.info(extra ?? {}, message),
    debug: (message, extra) => child.debug(extra ?? {}, message),
  };
}
