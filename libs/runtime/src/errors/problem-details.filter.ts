import {
  type ArgumentsHost,
  Catch,
  type ExceptionFilter,
  HttpException,
  HttpStatus,
  Inject,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { isSpanContextValid, trace } from '@opentelemetry/api';
import { isUnavailableError } from '@urbis/messaging';
import type { Logger } from '@urbis/observability';
import { randomBytes } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import { ZodError } from 'zod';
import { SERVICE_LOGGER } from '../tokens';
import { isProblemDetails, PROBLEM_CONTENT_TYPE, ProblemException, type ProblemDetails } from './problem';

interface Rendered {
  problem: ProblemDetails;
  contentType: string;
  headers?: Record<string, string>;
}

/** What a client is told to wait when a dependency is unreachable (a database restart takes seconds). */
const UNAVAILABLE_RETRY_AFTER_SECONDS = 5;

function titleOf(status: number): string {
  return STATUS_CODES[status] ?? 'Error';
}

/** The trace id of the request's span: what an operator searches for. Random if tracing is off. */
function currentTraceId(): string {
  const spanContext = trace.getActiveSpan()?.spanContext();
  return spanContext && isSpanContextValid(spanContext)
    ? spanContext.traceId
    : randomBytes(16).toString('hex');
}

function fromHttpException(exception: HttpException): ProblemDetails {
  const status = exception.getStatus();
  const response = exception.getResponse();
  if (isProblemDetails(response)) return response;
  const problem: ProblemDetails = { type: 'about:blank', title: titleOf(status), status };
  if (typeof response === 'string') {
    problem.detail = response;
  } else if (typeof response === 'object' && response !== null) {
    // Nest's built-in shape: { statusCode, message: string | string[], error }.
    const message = (response as { message?: unknown }).message;
    if (Array.isArray(message)) {
      problem.detail = 'The request is invalid.';
      problem['errors'] = message.map(String);
    } else if (typeof message === 'string') {
      problem.detail = message;
    }
  }
  return problem;
}

function fromZodError(error: ZodError): ProblemDetails {
  return {
    type: 'about:blank',
    title: titleOf(HttpStatus.BAD_REQUEST),
    status: HttpStatus.BAD_REQUEST,
    detail: 'The request is invalid.',
    errors: error.issues.map((issue) => ({ path: issue.path.map(String).join('.'), message: issue.message })),
  };
}

/**
 * Every error leaves a service as RFC 7807 problem details: HttpExceptions keep their status,
 * a ZodError (a request that failed validation) is 400, a dependency that cannot be reached now
 * (the database restarting: `isUnavailableError`) is 503 with `Retry-After`, and anything else is
 * a 500 that carries a trace id and nothing of the error itself (the log has the stack).
 */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    @Inject(SERVICE_LOGGER) private readonly logger: Logger,
  ) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http') throw exception;
    const { problem, contentType, headers } = this.render(exception);
    const { httpAdapter } = this.adapterHost;
    const response: unknown = host.switchToHttp().getResponse();
    httpAdapter.setHeader(response, 'Content-Type', contentType);
    for (const [name, value] of Object.entries(headers ?? {})) httpAdapter.setHeader(response, name, value);
    httpAdapter.reply(response, JSON.stringify(problem), problem.status);
  }

  render(exception: unknown): Rendered {
    if (exception instanceof ProblemException)
      return { problem: exception.problem, contentType: exception.contentType };
    if (exception instanceof HttpException)
      return { problem: fromHttpException(exception), contentType: PROBLEM_CONTENT_TYPE };
    if (exception instanceof ZodError)
      return { problem: fromZodError(exception), contentType: PROBLEM_CONTENT_TYPE };
    const traceId = currentTraceId();
    if (isUnavailableError(exception)) {
      this.logger.warn({ err: exception, traceId }, 'a dependency is unreachable: answered 503');
      return {
        problem: {
          type: 'about:blank',
          title: titleOf(HttpStatus.SERVICE_UNAVAILABLE),
          status: HttpStatus.SERVICE_UNAVAILABLE,
          detail: `The service cannot reach one of its dependencies right now; retry in ${UNAVAILABLE_RETRY_AFTER_SECONDS} s.`,
          traceId,
        },
        contentType: PROBLEM_CONTENT_TYPE,
        headers: { 'Retry-After': String(UNAVAILABLE_RETRY_AFTER_SECONDS) },
      };
    }
    this.logger.error({ err: exception, traceId }, 'unhandled error');
    return {
      problem: {
        type: 'about:blank',
        title: titleOf(HttpStatus.INTERNAL_SERVER_ERROR),
        status: HttpStatus.INTERNAL_SERVER_ERROR,
        detail: `An unexpected error occurred. Quote trace id ${traceId} when reporting it.`,
        traceId,
      },
      contentType: PROBLEM_CONTENT_TYPE,
    };
  }
}
