import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { SERVICE_CONFIG } from '@urbis/runtime';
import type { FastifyInstance } from 'fastify';
import type { DataConfig } from '../config';
import { badRequest, invalidRequest, NgsiLdError } from '../ngsi-ld/errors';

/** The media types NGSI-LD requests carry (clause 6.3.4); merge-patch for PATCH /entities/{id}. */
export const REQUEST_MEDIA_TYPES = ['application/json', 'application/ld+json', 'application/merge-patch+json'] as const;

/**
 * Parses request bodies as NGSI-LD wants: JSON and JSON-LD (and merge-patch JSON), anything
 * else 415, malformed JSON 400 InvalidRequest, too large 413, all as ProblemDetails.
 */
@Injectable()
export class NgsiLdBodyParsers implements OnModuleInit {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    @Inject(SERVICE_CONFIG) private readonly config: DataConfig,
  ) {}

  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    const limit = this.config.ngsiLd.maxBodyBytes;
    fastify.removeAllContentTypeParsers();
    fastify.addContentTypeParser('*', { parseAs: 'string', bodyLimit: limit }, (request, body, done) => {
      const mediaType = (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
      if (!(REQUEST_MEDIA_TYPES as readonly string[]).includes(mediaType)) {
        done(new NgsiLdError('InvalidRequest', `Content-Type ${JSON.stringify(mediaType)} is not supported: use application/json or application/ld+json`, 415), undefined);
        return;
      }
      const text = typeof body === 'string' ? body : body.toString('utf8');
      if (Buffer.byteLength(text) > limit) {
        done(new NgsiLdError('BadRequestData', `request bodies are limited to ${limit} bytes`, 413), undefined);
        return;
      }
      if (text.trim() === '') {
        // A DELETE (or GET) declaring a JSON body it does not send is common client behaviour.
        done(['GET', 'DELETE', 'HEAD'].includes(request.method) ? null : badRequest('the request body is empty'), undefined);
        return;
      }
      try {
        done(null, JSON.parse(text));
      } catch (error) {
        done(invalidRequest(`the request body is not valid JSON: ${error instanceof Error ? error.message : String(error)}`), undefined);
      }
    });
  }
}
