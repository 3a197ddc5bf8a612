import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { Role, Roles } from '@urbis/auth';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { flag, type QueryParameters, single } from '../entities/query-options';
import { READERS, WRITERS } from '../entities/roles';
import { NgsiLdResponder } from '../http/responder';
import { badRequest, notFound } from '../ngsi-ld/errors';
import { ContextDocumentsRepository, type ContextDocument, type ContextKind } from './context-documents.repository';
import { ContextLoader, HOSTED_CONTEXT_PATH } from './context-loader';
import { ContextService } from './context.service';
import { CORE_CONTEXT } from './core-context';

const KINDS: readonly ContextKind[] = ['Hosted', 'Cached', 'ImplicitlyCreated'];
const CORE_ID = 'core';

/** @context management (clause 5.13): the documents the broker hosts and has cached. */
@ApiTags('NGSI-LD @contexts')
@Controller('ngsi-ld/v1/jsonldContexts')
export class ContextsController {
  constructor(
    private readonly documents: ContextDocumentsRepository,
    private readonly loader: ContextLoader,
    private readonly contexts: ContextService,
    private readonly responder: NgsiLdResponder,
  ) {}

  @Post()
  @Roles(...WRITERS)
  @ApiOperation({ summary: 'Add a hosted @context (201, Location)' })
  async add(@Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply, @Body() body: unknown): Promise<void> {
    if (typeof body !== 'object' || body === null || Array.isArray(body) || !('@context' in body)) throw badRequest('the body must be {"@context": {...}}');
    const value = (body as { '@context': unknown })['@context'];
    if (typeof value !== 'object' || value === null) throw badRequest('a hosted @context is the context itself (an object or an array), not a URL');
    await this.contexts.resolve(value);
    const base = this.responder.baseUrl(request);
    const saved = await this.documents.save('Hosted', (id) => `${base}${HOSTED_CONTEXT_PATH}${id}`, { '@context': value });
    reply.status(201).header('location', `${HOSTED_CONTEXT_PATH}${saved.id}`);
  }

  @Get()
  @Roles(...READERS)
  @ApiOperation({ summary: 'The @contexts the broker serves: URLs, or their details (details=true, kind=)' })
  async list(@Query() query: QueryParameters): Promise<object[]> {
    const kind = single(query, 'kind');
    if (kind !== undefined && !KINDS.includes(kind as ContextKind)) throw badRequest(`kind must be one of ${KINDS.join(', ')}`);
    const documents = await this.documents.list(kind as ContextKind | undefined);
    const withCore = kind === undefined || kind === 'Cached' ? [this.coreDocument(), ...documents] : documents;
    return flag(query, 'details') ? withCore.map(detailsOf) : (withCore.map((document) => document.url) as unknown as object[]);
  }

  @Get(':contextId')
  @Roles(...READERS)
  @ApiOperation({ summary: 'A served @context (details=true: what the broker knows of it)' })
  async get(@Param('contextId') id: string, @Query() query: QueryParameters, @Res({ passthrough: true }) reply: FastifyReply): Promise<object> {
    const document = id === CORE_ID ? this.coreDocument() : await this.documents.byId(id);
    if (!document) throw notFound(`no @context ${id}`);
    if (flag(query, 'details')) return detailsOf(document);
    reply.header('content-type', 'application/ld+json');
    return document.body;
  }

  @Delete(':contextId')
  @HttpCode(204)
  @Roles(Role.PlatformAdmin, Role.TenantAdmin)
  @ApiOperation({ summary: 'Delete a hosted @context, or drop (reload=true: refetch) a cached one' })
  async delete(@Param('contextId') id: string, @Query() query: QueryParameters): Promise<void> {
    if (id === CORE_ID) throw badRequest('the core @context cannot be deleted');
    const document = await this.documents.byId(id);
    if (!document) throw notFound(`no @context ${id}`);
    const reload = flag(query, 'reload');
    if (reload && document.kind !== 'Cached') throw badRequest('reload=true applies to cached @contexts only');
    if (reload) {
      const fresh = await this.loader.fetchDocument(document.url);
      if (typeof fresh !== 'object' || fresh === null || !('@context' in fresh)) throw badRequest(`${document.url} no longer holds an @context`);
      await this.documents.replaceBody(id, fresh as ContextDocument['body']);
    } else {
      await this.documents.delete(id);
    }
    this.contexts.invalidate(document.url);
  }

  private coreDocument(): ContextDocument {
    return { id: CORE_ID, url: this.contexts.coreContextUrl, kind: 'Cached', body: CORE_CONTEXT as unknown as ContextDocument['body'], createdAt: new Date(0) };
  }
}

function detailsOf(document: ContextDocument) {
  return { URL: document.url, localId: document.id, kind: document.kind, createdAt: document.createdAt.toISOString() };
}
