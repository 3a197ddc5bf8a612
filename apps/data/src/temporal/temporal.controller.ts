import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query, Req, Res } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, type Principal, Roles, Tenant } from '@urbis/auth';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ContextService } from '../contexts/context.service';
import { geoQueryPredicateOf } from '../entities/geo-options';
import { flag, pageOf, type QueryParameters, single } from '../entities/query-options';
import { READERS, WRITERS } from '../entities/roles';
import { namedTenant, negotiate, requestContext } from '../http/ngsi-ld-http';
import { NgsiLdResponder } from '../http/responder';
import { badRequest } from '../ngsi-ld/errors';
import { temporalQueryBodyOf, temporalReadOf, temporalSelectionOf, temporalSelectionOfQuery } from './temporal-request';
import { type ContentRange, TemporalService } from './temporal.service';

const contentRange = (range: ContentRange) => `date-time ${range.start}-${range.end}/${range.size}`;

/** The temporal evolution of entities (clauses 6.18 - 6.22 and 6.24). */
@ApiTags('NGSI-LD temporal')
@Controller('ngsi-ld/v1/temporal')
export class TemporalController {
  constructor(
    private readonly temporal: TemporalService,
    private readonly contexts: ContextService,
    private readonly responder: NgsiLdResponder,
  ) {}

  @Post('entities')
  @Roles(...WRITERS)
  @ApiOperation({ summary: 'Create a temporal entity (201, Location) or add instances to it (204)' })
  async create(@Tenant() tenant: string, @CurrentPrincipal() principal: Principal, @Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply, @Body() body: unknown): Promise<void> {
    const context = await this.contexts.resolve(requestContext(request, body));
    const created = await this.temporal.createOrAdd(tenant, principal, body, context);
    const id = String((body as Record<string, unknown>)['id'] ?? (body as Record<string, unknown>)['@id']);
    if (created) reply.status(201).header('location', `/ngsi-ld/v1/temporal/entities/${encodeURIComponent(id)}`);
    else reply.status(204);
  }

  @Get('entities')
  @Roles(...READERS)
  @ApiOperation({ summary: 'Query the temporal evolution of entities: timerel/timeAt/endTimeAt, timeproperty, lastN, attrs, q, geo, scopeQ, paging, temporalValues, aggregatedValues' })
  async query(@Tenant() tenant: string, @CurrentPrincipal() principal: Principal, @Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply, @Query() query: QueryParameters): Promise<object> {
    const mediaType = negotiate(request.headers.accept);
    const contextValue = requestContext(request);
    const context = await this.contexts.resolve(contextValue);
    await this.temporal.assertTenantReadable(tenant, namedTenant(request));
    const read = temporalReadOf(query, context, this.temporal.limits);
    const selection = temporalSelectionOfQuery(tenant, query, context);
    const page = pageOf(query, this.temporal.limits);
    const { bodies, count, range } = await this.temporal.query(principal, selection, page, read);
    return this.respond(request, reply, mediaType, contextValue, bodies, count, range);
  }

  @Post('entityOperations/query')
  @HttpCode(200)
  @Roles(...READERS)
  @ApiOperation({ summary: 'Query the temporal evolution of entities with a Query body (entities, attrs, q, geoQ, scopeQ, temporalQ)' })
  async queryByBody(@Tenant() tenant: string, @CurrentPrincipal() principal: Principal, @Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply, @Query() query: QueryParameters, @Body() body: unknown): Promise<object> {
    const mediaType = negotiate(request.headers.accept);
    const contextValue = requestContext(request, body);
    const context = await this.contexts.resolve(contextValue);
    await this.temporal.assertTenantReadable(tenant, namedTenant(request));
    const queryBody = temporalQueryBodyOf(body);
    const read = temporalReadOf(query, context, this.temporal.limits, { ...(queryBody.temporalQ && { temporalQ: queryBody.temporalQ }), ...(queryBody.attrs && { attrs: queryBody.attrs }) });
    const geo = queryBody.geoQ ? geoQueryPredicateOf(queryBody.geoQ, context) : undefined;
    const terms = { ...(queryBody.attrs && { attrs: queryBody.attrs }), ...(queryBody.q && { q: queryBody.q }), ...(queryBody.scopeQ && { scopeQ: queryBody.scopeQ }) };
    const selection = temporalSelectionOf(tenant, terms, context, geo, queryBody.selectors);
    const page = pageOf(query, this.temporal.limits);
    const { bodies, count, range } = await this.temporal.query(principal, selection, page, read);
    return this.respond(request, reply, mediaType, contextValue, bodies, count, range);
  }

  @Get('entities/:entityId')
  @Roles(...READERS)
  @ApiOperation({ summary: 'Retrieve the temporal evolution of an entity (206 with Content-Range when instances were cut)' })
  async retrieve(@Tenant() tenant: string, @CurrentPrincipal() principal: Principal, @Param('entityId') id: string, @Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply, @Query() query: QueryParameters): Promise<object> {
    const mediaType = negotiate(request.headers.accept);
    const contextValue = requestContext(request);
    const context = await this.contexts.resolve(contextValue);
    await this.temporal.assertTenantReadable(tenant, namedTenant(request));
    const read = temporalReadOf(query, context, this.temporal.limits);
    const { body, range } = await this.temporal.retrieve(tenant, principal, id, read);
    return this.respond(request, reply, mediaType, contextValue, body, undefined, range);
  }

  @Delete('entities/:entityId')
  @HttpCode(204)
  @Roles(...WRITERS)
  @ApiOperation({ summary: 'Delete the temporal representation of an entity: all its history (the current entity stays)' })
  async delete(@Tenant() tenant: string, @CurrentPrincipal() principal: Principal, @Param('entityId') id: string): Promise<void> {
    await this.temporal.deleteEntity(tenant, principal, id);
  }

  @Post('entities/:entityId/attrs')
  @HttpCode(204)
  @Roles(...WRITERS)
  @ApiOperation({ summary: 'Add attribute instances to a temporal entity' })
  async add(@Tenant() tenant: string, @CurrentPrincipal() principal: Principal, @Param('entityId') id: string, @Req() request: FastifyRequest, @Body() body: unknown): Promise<void> {
    const context = await this.contexts.resolve(requestContext(request, body));
    await this.temporal.add(tenant, principal, id, body, context);
  }

  @Delete('entities/:entityId/attrs/:attrId')
  @HttpCode(204)
  @Roles(...WRITERS)
  @ApiOperation({ summary: "Delete an attribute's instances (datasetId, deleteAll)" })
  async deleteAttribute(@Tenant() tenant: string, @CurrentPrincipal() principal: Principal, @Param('entityId') id: string, @Param('attrId') attr: string, @Req() request: FastifyRequest, @Query() query: QueryParameters): Promise<void> {
    const context = await this.contexts.resolve(requestContext(request));
    const datasetId = single(query, 'datasetId');
    const deleteAll = flag(query, 'deleteAll');
    if (deleteAll && datasetId !== undefined) throw badRequest('deleteAll and datasetId cannot be combined');
    await this.temporal.deleteAttribute(tenant, principal, id, attr, context, { ...(datasetId !== undefined && { datasetId }), deleteAll });
  }

  @Patch('entities/:entityId/attrs/:attrId/:instanceId')
  @HttpCode(204)
  @Roles(...WRITERS)
  @ApiOperation({ summary: 'Modify an attribute instance' })
  async modifyInstance(@Tenant() tenant: string, @CurrentPrincipal() principal: Principal, @Param('entityId') id: string, @Param('attrId') attr: string, @Param('instanceId') instanceId: string, @Req() request: FastifyRequest, @Body() body: unknown): Promise<void> {
    const context = await this.contexts.resolve(requestContext(request, body));
    await this.temporal.modifyInstance(tenant, principal, id, attr, instanceId, body, context);
  }

  @Delete('entities/:entityId/attrs/:attrId/:instanceId')
  @HttpCode(204)
  @Roles(...WRITERS)
  @ApiOperation({ summary: 'Delete an attribute instance' })
  async deleteInstance(@Tenant() tenant: string, @CurrentPrincipal() principal: Principal, @Param('entityId') id: string, @Param('attrId') attr: string, @Param('instanceId') instanceId: string, @Req() request: FastifyRequest): Promise<void> {
    const context = await this.contexts.resolve(requestContext(request));
    await this.temporal.deleteInstance(tenant, principal, id, attr, instanceId, context);
  }

  /** 200, or 206 with Content-Range when instances were cut (clause 6.3.10); counts and @context as for entities. */
  private respond(request: FastifyRequest, reply: FastifyReply, mediaType: ReturnType<typeof negotiate>, contextValue: unknown, body: object, count?: number, range?: ContentRange): Promise<object> {
    if (count !== undefined) reply.header('NGSILD-Results-Count', String(count));
    if (range) reply.status(206).header('content-range', contentRange(range));
    return this.responder.body(request, reply, mediaType, contextValue, body);
  }
}
