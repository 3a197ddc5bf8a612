import { type BeforeApplicationShutdown, type DynamicModule, Global, Module } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { AUTH_AUDITOR } from '@urbis/auth';
import type { ServiceName } from '@urbis/contracts';
import { EventPublisher } from '@urbis/messaging';
import type { Logger } from '@urbis/observability';

import { AuditInterceptor } from './audited';
import { AuditTrail } from './audit-trail';
import { AuthRefusalAuditor } from './auth-refusal-auditor';

export interface AuditModuleOptions {
  source: ServiceName;
  logger: Logger;
  windowMs?: number;
}

/** Publishes counted occurrences on shutdown, before the runtime closes the producer (onApplicationShutdown). */
class AuditTrailFlusher implements BeforeApplicationShutdown {
  constructor(private readonly trail: AuditTrail) {}

  beforeApplicationShutdown(): Promise<void> {
    return this.trail.flush();
  }
}

/**
 * `AuditTrail` for the whole service, the auditor libs/auth's guard reports refusals to, and
 * the interceptor that records `@Audited` routes.
 * Needs an `EventPublisher` provider (the runtime's messaging module). `bootstrapService`
 * imports it for every service.
 */
@Global()
@Module({})
export class AuditModule {
  static forRoot(options: AuditModuleOptions): DynamicModule {
    return {
      module: AuditModule,
      providers: [
        {
          provide: AuditTrail,
          inject: [EventPublisher],
          useFactory: (publisher: EventPublisher) =>
            new AuditTrail({ source: options.source, publisher, logger: options.logger, windowMs: options.windowMs }),
        },
        { provide: AUTH_AUDITOR, inject: [AuditTrail], useFactory: (trail: AuditTrail) => new AuthRefusalAuditor(trail) },
        { provide: AuditTrailFlusher, inject: [AuditTrail], useFactory: (trail: AuditTrail) => new AuditTrailFlusher(trail) },
        { provide: APP_INTERCEPTOR, useClass: AuditInterceptor },
      ],
      exports: [AuditTrail, AUTH_AUDITOR],
    };
  }
}
