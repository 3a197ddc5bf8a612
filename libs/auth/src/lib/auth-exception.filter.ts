import { type ArgumentsHost, Catch, type ExceptionFilter, Inject } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';

import { AuthException } from './auth.errors';
import { AUTH_OPTIONS, type ResolvedAuthOptions } from './auth.options';

/** Writes AuthException as application/problem+json, with WWW-Authenticate on 401. Express or Fastify. */
@Catch(AuthException)
export class AuthExceptionFilter implements ExceptionFilter<AuthException> {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    @Inject(AUTH_OPTIONS) private readonly options: ResolvedAuthOptions,
  ) {}

  catch(exception: AuthException, host: ArgumentsHost): void {
    const { httpAdapter } = this.adapterHost;
    const response: unknown = host.switchToHttp().getResponse();
    const challenge = exception.wwwAuthenticate(this.options.realm);
    if (challenge) httpAdapter.setHeader(response, 'WWW-Authenticate', challenge);
    httpAdapter.setHeader(response, 'Content-Type', 'application/problem+json');
    httpAdapter.reply(response, JSON.stringify(exception.problem), exception.getStatus());
  }
}
