import { BadRequestException, HttpStatus, NotFoundException } from '@nestjs/common';
import type { HttpAdapterHost } from '@nestjs/core';
import type { Logger } from '@urbis/observability';
import { createServer } from 'node:net';
import { Client } from 'pg';
import { z } from 'zod';
import { ProblemException } from './problem';
import { ProblemDetailsFilter } from './problem-details.filter';

function filter() {
  const logger = { error: jest.fn(), warn: jest.fn() } as unknown as Logger & { error: jest.Mock; warn: jest.Mock };
  return { filter: new ProblemDetailsFilter({} as HttpAdapterHost, logger), logger };
}

describe('ProblemDetailsFilter', () => {
  it('keeps an HttpException status and message', () => {
    const { problem, contentType } = filter().filter.render(new NotFoundException('no such device'));
    expect(contentType).toBe('application/problem+json');
    expect(problem).toEqual({
      type: 'about:blank',
      title: 'Not Found',
      status: 404,
      detail: 'no such device',
    });
  });

  it('lists validation messages', () => {
    const { problem } = filter().filter.render(
      new BadRequestException(['name is required', 'ttl must be positive']),
    );
    expect(problem).toMatchObject({
      status: 400,
      title: 'Bad Request',
      errors: ['name is required', 'ttl must be positive'],
    });
  });

  it('maps a ZodError to 400 with each issue', () => {
    const result = z.object({ name: z.string() }).safeParse({ name: 1 });
    if (result.success) throw new Error('expected a failure');
    const { problem } = filter().filter.render(result.error);
    expect(problem).toMatchObject({ status: 400, errors: [{ path: 'name', message: expect.any(String) }] });
  });

  it('writes a ProblemException as is, with its own content type', () => {
    const body = {
      type: 'https://uri.etsi.org/ngsi-ld/errors/ResourceNotFound',
      title: 'Entity not found',
      status: 404,
      detail: 'urn:x',
    };
    const rendered = filter().filter.render(new ProblemException(body, 'application/json'));
    expect(rendered).toEqual({ problem: body, contentType: 'application/json' });
  });

  it('passes through problem-shaped HttpException bodies from other modules', () => {
    const { problem } = filter().filter.render(
      new BadRequestException({ type: 'https://urbis.dev/problems/x', title: 'X', status: 400, code: 'x' }),
    );
    expect(problem).toEqual({ type: 'https://urbis.dev/problems/x', title: 'X', status: 400, code: 'x' });
  });

  it('turns an unknown error into a 500 with a trace id and without leaking it', () => {
    const { filter: f, logger } = filter();
    const error = new Error('password=hunter2 at /srv/app/secret.ts');
    const { problem } = f.render(error);
    expect(problem.status).toBe(HttpStatus.INTERNAL_SERVER_ERROR);
    expect(problem['traceId']).toMatch(/^[0-9a-f]{32}$/);
    expect(JSON.stringify(problem)).not.toContain('hunter2');
    expect(JSON.stringify(problem)).not.toContain('secret.ts');
    expect(logger.error).toHaveBeenCalledWith(
      expect.objectContaining({ err: error, traceId: problem['traceId'] }),
      'unhandled error',
    );
  });

  it('answers 503 with Retry-After when the database cannot be reached, not 500', async () => {
    // A real driver error: pg connecting to a port nobody listens on.
    const port = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const address = server.address();
        server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
      });
    });
    const error = await new Client({ host: '127.0.0.1', port, connectionTimeoutMillis: 2000 }).connect().then(
      () => undefined,
      (refused: unknown) => refused,
    );
    const { filter: f, logger } = filter();
    const rendered = f.render(error);
    expect(rendered.problem).toMatchObject({ status: HttpStatus.SERVICE_UNAVAILABLE, title: 'Service Unavailable' });
    expect(rendered.problem.detail).toMatch(/retry in 5 s/);
    expect(rendered.headers).toEqual({ 'Retry-After': '5' });
    expect(logger.warn).toHaveBeenCalled();
    expect(logger.error).not.toHaveBeenCalled();
  });
});
