import { type CallHandler, type ExecutionContext, HttpException, Injectable, type NestInterceptor, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { requestAuthContext } from '@urbis/auth';
import { type Observable, tap } from 'rxjs';

import { actorOf, principalDetails } from './audit-record';
import { AuditTrail } from './audit-trail';

export interface AuditedOptions {
  /** `<service>.<entity>.<verb>`, e.g. `devices.credential.issue`. */
  action: string;
  /** What is acted on, e.g. `device`, `credential`. */
  resource: string;
  /** The route parameter naming it (e.g. `deviceId`); else `idFromResult`. */
  idParam?: string;
  /** A field of the handler's result naming it (a created resource's id). */
  idFromResult?: string;
}

export const AUDITED = 'urbis:audit:audited';

/**
 * Audits every call of the route: who (the verified caller), on which tenant and resource, and
 * whether it succeeded (a refused call records its problem code). For admin operations that are
 * not state changes of their own service's transaction; a change that must be audited exactly
 * when it commits uses `AuditTrail.enqueue` in that transaction instead.
 */
export const Audited = (options: AuditedOptions): MethodDecorator => SetMetadata(AUDITED, options);

interface HttpRequestLike {
  method?: string;
  url?: string;
  ip?: string;
  params?: Record<string, string | undefined>;
}

function problemCode(error: unknown): { status: number; code?: string } {
  if (!(error instanceof HttpException)) return { status: 500 };
  const body = error.getResponse();
  const code = typeof body === 'object' && body !== null ? (body as { code?: unknown }).code : undefined;
  return { status: error.getStatus(), ...(typeof code === 'string' && { code }) };
}

/** Records `@Audited` routes (registered for every service by AuditModule). */
@Injectable()
export class AuditInterceptor implements NestInterceptor {
  constructor(
    private readonly reflector: Reflector,
    private readonly trail: AuditTrail,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const options = context.getType() === 'http' ? this.reflector.get<AuditedOptions | undefined>(AUDITED, context.getHandler()) : undefined;
    if (!options) return next.handle();
    const request = context.switchToHttp().getRequest<HttpRequestLike>();
    const auth = requestAuthContext(request);
    if (!auth) return next.handle(); // a @Public() route: nobody verified to name
    const record = (outcome: 'succeeded' | 'failed', result: unknown, failure?: { status: number; code?: string }) => {
      const fromResult = options.idFromResult && typeof result === 'object' && result !== null ? (result as Record<string, unknown>)[options.idFromResult] : undefined;
      const id = (options.idParam ? request.params?.[options.idParam] : undefined) ?? (typeof fromResult === 'string' ? fromResult : undefined);
      this.trail.record({
        tenant: auth.tenant,
        actor: actorOf(auth.principal),
        action: options.action,
        resource: { type: options.resource, ...(id !== undefined && { id }) },
        outcome,
        ...(failure && { reason: failure.code ?? `http-${failure.status}` }),
        details: {
          ...principalDetails(auth.principal),
          method: request.method ?? '',
          path: (request.url ?? '').split('?')[0]?.slice(0, 512) ?? '',
          address: request.ip ?? 'unknown',
          ...(failure && { status: failure.status }),
        },
      });
    };
    return next.handle().pipe(
      tap({
        next: (result: unknown) => record('succeeded', result),
        error: (error: unknown) => record('failed', undefined, problemCode(error)),
      }),
    );
  }
}
