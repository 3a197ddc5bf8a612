import { Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { PROBLEM_CONTENT_TYPE } from '@urbis/runtime';
import type { FastifyInstance } from 'fastify';
import { NGSI_LD_PROBLEM_CONTENT_TYPE, type NgsiLdErrorType, ngsiLdProblem } from '../ngsi-ld/errors';

/** The NGSI-LD error type of an HTTP status the platform answered generically (clause 5.5.2). */
const TYPE_OF_STATUS: Record<number, NgsiLdErrorType> = {
  400: 'BadRequestData',
  404: 'ResourceNotFound',
  405: 'OperationNotSupported',
  406: 'InvalidRequest',
  413: 'BadRequestData',
  415: 'InvalidRequest',
  422: 'OperationNotSupported',
  500: 'InternalError',
  503: 'InternalError',
};

/**
 * Errors raised before an NGSI-LD handler runs (Fastify's body limit, unknown routes, a shutting
 * down service) leave the platform as generic problem details; on /ngsi-ld/ routes they are
 * rewritten as NGSI-LD ProblemDetails with the standard type, keeping status and detail.
 * Authentication and authorization refusals keep their own problem types.
 */
@Injectable()
export class NgsiLdProblemHook implements OnModuleInit {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    fastify.addHook('onSend', (request, reply, payload, done) => {
      const contentType = String(reply.getHeader('content-type') ?? '');
      if (!request.url.startsWith('/ngsi-ld/') || !contentType.startsWith(PROBLEM_CONTENT_TYPE) || typeof payload !== 'string') return done(null, payload);
      let problem: { type?: string; detail?: string; title?: string; traceId?: string };
      try {
        problem = JSON.parse(payload) as typeof problem;
      } catch {
        return done(null, payload);
      }
      const type = TYPE_OF_STATUS[reply.statusCode];
      if (problem.type !== 'about:blank' || !type) return done(null, payload);
      reply.header('content-type', NGSI_LD_PROBLEM_CONTENT_TYPE);
      const rewritten = { ...ngsiLdProblem(type, problem.detail ?? problem.title ?? 'request refused', reply.statusCode), ...(problem.traceId && { traceId: problem.traceId }) };
      done(null, JSON.stringify(rewritten));
    });
  }
}
