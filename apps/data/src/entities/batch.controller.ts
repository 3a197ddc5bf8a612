import { Body, Controller, HttpCode, Post, Query, Req, Res } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, type Principal, Roles, Tenant } from '@urbis/auth';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ContextService } from '../contexts/context.service';
import { linkedContext, mediaTypeOf, negotiate, namedTenant, requestContext } from '../http/ngsi-ld-http';
import { NgsiLdResponder } from '../http/responder';
import { renderEntity } from '../ngsi-ld/entity-output';
import { badRequest } from '../ngsi-ld/errors';
import { type BatchOperation, type BatchResult, BatchService } from './batch.service';
import { EntitiesService } from './entities.service';
import { geoQueryPredicateOf } from './geo-options';
import { optionsOf, pageOf, type QueryParameters, renderOptionsOf, selectionOf, type QueryTerms } from './query-options';
import { READERS, WRITERS } from './roles';

/** Batch operations and POST queries (clause 6.14 - 6.19, 6.23). */
@ApiTags('NGSI-LD batch operations')
@Controller('ngsi-ld/v1/entityOperations')
export class BatchController {
  constructor(
    private readonly batch: BatchService,
    private readonly entities: EntitiesService,
    private readonly contexts: ContextService,
    private readonly responder: NgsiLdResponder,
  ) {}

  @Post('create')
  @Roles(...WRITERS)
  @ApiOperation({ summary: 'Create entities: 201 with their ids, or 207 BatchOperationResult' })
  create(@Tenant() tenant: string, @CurrentPrincipal() principal: Principal, @Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply, @Body() body: unknown, @Query() query: QueryParameters) {
    return this.run('create', tenant, principal, request, reply, body, optionsOf(query, []));
  }

  @Post('upsert')
  @Roles(...WRITERS)
  @ApiOperation({ summary: 'Create or replace (options=replace, default) / update (options=update) entities' })
  upsert(@Tenant() tenant: string, @CurrentPrincipal() principal: Principal, @Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply, @Body() body: unknown, @Query() query: QueryParameters) {
    const options = optionsOf(query, ['replace', 'update']);
    if (options.has('replace') && options.has('update')) throw badRequest('options=replace and options=update exclude each other');
    return this.run('upsert', tenant, principal, request, reply, body, options);
  }

  @Post('update')
  @Roles(...WRITERS)
  @ApiOperation({ summary: 'Update entities (options=noOverwrite): 204, or 207 BatchOperationResult' })
  update(@Tenant() tenant: string, @CurrentPrincipal() principal: Principal, @Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply, @Body() body: unknown, @Query() query: QueryParameters) {
    return this.run('update', tenant, principal, request, reply, body, optionsOf(query, ['noOverwrite']));
  }

  @Post('merge')
  @Roles(...WRITERS)
  @ApiOperation({ summary: 'Merge entities: 204, or 207 BatchOperationResult' })
  merge(@Tenant() tenant: string, @CurrentPrincipal() principal: Principal, @Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply, @Body() body: unknown) {
    return this.run('merge', tenant, principal, request, reply, body, new Set());
  }

  @Post('delete')
  @Roles(...WRITERS)
  @ApiOperation({ summary: 'Delete entities by id: 204, or 207 BatchOperationResult' })
  delete(@Tenant() tenant: string, @CurrentPrincipal() principal: Principal, @Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply, @Body() body: unknown) {
    return this.run('delete', tenant, principal, request, reply, body, new Set());
  }

  @Post('query')
  @HttpCode(200)
  @Roles(...READERS)
  @ApiOperation({ summary: 'Query entities with a Query body (entities, attrs, q, geoQ, scopeQ, lang)' })
  async query(@Tenant() tenant: string, @CurrentPrincipal() principal: Principal, @Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply, @Body() body: unknown, @Query() query: QueryParameters) {
    const mediaType = negotiate(request.headers.accept);
    const contextValue = requestContext(request, body);
    const context = await this.contexts.resolve(contextValue);
    await this.entities.assertTenantReadable(tenant, namedTenant(request));
    const queryBody = queryBodyOf(body);
    const render = renderOptionsOf({ ...query, ...(queryBody.attrs && { attrs: queryBody.attrs.join(',') }), ...(queryBody.lang && { lang: queryBody.lang }) }, context);
    const terms: QueryTerms = { ...(queryBody.attrs && { attrs: queryBody.attrs }), ...(queryBody.q && { q: queryBody.q }), ...(queryBody.scopeQ && { scopeQ: queryBody.scopeQ }) };
    const geo = queryBody.geoQ ? geoQueryPredicateOf(queryBody.geoQ, context) : undefined;
    const page = pageOf(query, this.entities.limits);
    const selectors = queryBody.entities ?? [undefined];
    const entities = [];
    let count = 0;
    // Each EntitySelector is an alternative; their results are one list.
    for (const selector of selectors) {
      const selection = selectionOf(tenant, { ...terms, ...(selector?.id && { ids: [selector.id] }), ...(selector?.idPattern && { idPattern: selector.idPattern }), ...(selector?.type && { type: selector.type }) }, context, geo ? [geo] : []);
      const found = await this.entities.query(principal, selection, selectors.length === 1 ? page : { limit: page.offset + page.limit, offset: 0, count: page.count });
      entities.push(...found.entities);
      count += found.count ?? 0;
    }
    const unique = [...new Map(entities.map((entity) => [entity.id, entity])).values()];
    const paged = selectors.length === 1 ? unique : unique.slice(page.offset, page.offset + page.limit);
    if (page.count) reply.header('NGSILD-Results-Count', String(selectors.length === 1 ? count : unique.length));
    return this.responder.body(request, reply, mediaType, contextValue, paged.map((entity) => renderEntity(entity, render)));
  }

  private async run(operation: BatchOperation, tenant: string, principal: Principal, request: FastifyRequest, reply: FastifyReply, body: unknown, options: Set<string>): Promise<object | undefined> {
    const jsonLd = mediaTypeOf(request) === 'application/ld+json';
    const linked = jsonLd ? undefined : linkedContext(request);
    const contextOf = (entity: unknown): unknown => {
      const own = typeof entity === 'object' && entity !== null ? (entity as Record<string, unknown>)['@context'] : undefined;
      if (jsonLd && own === undefined) throw badRequest('every entity of a JSON-LD batch must carry its @context');
      if (!jsonLd && own !== undefined) throw badRequest('entities of an application/json batch must not carry an @context');
      return jsonLd ? own : linked;
    };
    const result = await this.batch.run(operation, tenant, principal, body, contextOf, options);
    return respond(operation, reply, result);
  }
}

function respond(operation: BatchOperation, reply: FastifyReply, result: BatchResult): object | undefined {
  if (result.errors.length > 0) {
    reply.status(207);
    return { success: result.success, errors: result.errors };
  }
  if (operation === 'create' || (operation === 'upsert' && result.created.length > 0)) {
    reply.status(201);
    return result.created;
  }
  reply.status(204);
  return undefined;
}

interface QueryBody {
  entities?: { id?: string; idPattern?: string; type?: string }[];
  attrs?: string[];
  q?: string;
  scopeQ?: string;
  lang?: string;
  geoQ?: Record<string, unknown>;
}

/** The Query data type (clause 5.2.23), checked member by member. */
function queryBodyOf(body: unknown): QueryBody {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw badRequest('a query is a JSON object of type "Query"');
  const raw = body as Record<string, unknown>;
  if (raw['type'] !== 'Query') throw badRequest('a query must have "type": "Query"');
  const out: QueryBody = {};
  const entities = raw['entities'];
  if (entities !== undefined) {
    if (!Array.isArray(entities) || entities.length === 0) throw badRequest('"entities" must be a non-empty array of EntitySelectors');
    out.entities = entities.map((selector) => {
      if (typeof selector !== 'object' || selector === null) throw badRequest('each EntitySelector is an object');
      const { id, idPattern, type } = selector as Record<string, unknown>;
      for (const [name, value] of Object.entries({ id, idPattern, type })) if (value !== undefined && typeof value !== 'string') throw badRequest(`EntitySelector ${name} must be a string`);
      return { ...(typeof id === 'string' && { id }), ...(typeof idPattern === 'string' && { idPattern }), ...(typeof type === 'string' && { type }) };
    });
  }
  const attrs = raw['attrs'];
  if (attrs !== undefined) {
    if (!Array.isArray(attrs) || !attrs.every((name) => typeof name === 'string')) throw badRequest('"attrs" must be an array of attribute names');
    out.attrs = attrs;
  }
  for (const name of ['q', 'scopeQ', 'lang'] as const) {
    const value = raw[name];
    if (value === undefined) continue;
    if (typeof value !== 'string') throw badRequest(`"${name}" must be a string`);
    out[name] = value;
  }
  if (raw['geoQ'] !== undefined) {
    if (typeof raw['geoQ'] !== 'object' || raw['geoQ'] === null) throw badRequest('"geoQ" must be an object');
    out.geoQ = raw['geoQ'] as Record<string, unknown>;
  }
  return out;
}
