import {
  Injectable,
  type OnModuleInit,
  PayloadTooLargeException,
  UnsupportedMediaTypeException,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';

/** The bulk route takes up to 10,000 devices: larger bodies than anything else. */
export const BULK_MAX_BODY_BYTES = 16 * 1024 * 1024;
/** Fastify's default, kept for every other route. */
const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

export const isBulkRoute = (url: string) => url.split('?')[0].endsWith('/devices:bulk');

/**
 * Registers `text/csv` (bulk provisioning) and lets JSON bodies of the bulk route grow to 16 MiB
 * while every other route keeps Fastify's 1 MiB limit. Runs before the server listens.
 */
@Injectable()
export class BulkBodyParsers implements OnModuleInit {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    const json = fastify.getDefaultJsonParser('error', 'error');
    fastify.removeContentTypeParser('application/json');
    fastify.addContentTypeParser(
      'application/json',
      { parseAs: 'string', bodyLimit: BULK_MAX_BODY_BYTES },
      (request, body, done) => {
        const text = typeof body === 'string' ? body : body.toString('utf8');
        if (!isBulkRoute(request.url) && Buffer.byteLength(text) > DEFAULT_MAX_BODY_BYTES) {
          done(
            new PayloadTooLargeException(`Request bodies are limited to ${DEFAULT_MAX_BODY_BYTES} bytes.`),
            undefined,
          );
          return;
        }
        json(request, text, done);
      },
    );
    fastify.addContentTypeParser(
      'text/csv',
      { parseAs: 'string', bodyLimit: BULK_MAX_BODY_BYTES },
      (request, body, done) => {
        if (!isBulkRoute(request.url)) {
          done(
            new UnsupportedMediaTypeException('text/csv is accepted only by bulk provisioning.'),
            undefined,
          );
          return;
        }
        done(null, body);
      },
    );
  }
}
