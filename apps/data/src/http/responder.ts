import { Inject, Injectable } from '@nestjs/common';
import { SERVICE_CONFIG } from '@urbis/runtime';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { DataConfig } from '../config';
import { ContextService } from '../contexts/context.service';
import { baseUrlOf, linkHeader, type ResponseMediaType } from './ngsi-ld-http';

/**
 * Writes NGSI-LD response bodies (clause 6.3.6): JSON with the @context in a Link header, JSON-LD
 * with it in the body (in each entity of a list), GeoJSON with the Link header.
 */
@Injectable()
export class NgsiLdResponder {
  constructor(
    @Inject(SERVICE_CONFIG) private readonly config: DataConfig,
    private readonly contexts: ContextService,
  ) {}

  baseUrl(request: FastifyRequest): string {
    return baseUrlOf(request, this.config.ngsiLd.publicUrl);
  }

  /** Sets the headers for `mediaType` and returns the body to send (with @context for JSON-LD). */
  async body<T extends object>(request: FastifyRequest, reply: FastifyReply, mediaType: ResponseMediaType, contextValue: unknown, body: T): Promise<T> {
    reply.header('content-type', mediaType);
    if (mediaType === 'application/ld+json') {
      const context = contextValue ?? this.contexts.coreContextUrl;
      if (Array.isArray(body)) return body.map((item: object) => ({ ...item, '@context': context })) as unknown as T;
      return { ...body, '@context': context };
    }
    reply.header('link', linkHeader(await this.contexts.linkFor(contextValue, this.baseUrl(request))));
    return body;
  }
}
