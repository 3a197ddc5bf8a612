import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Put, Query, Req, Res } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, type Principal, Roles, Tenant } from '@urbis/auth';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ContextService } from '../contexts/context.service';
import { negotiate, namedTenant, requestContext } from '../http/ngsi-ld-http';
import { NgsiLdResponder } from '../http/responder';
import { renderEntity, renderFeature } from '../ngsi-ld/entity-output';
import { badRequest } from '../ngsi-ld/errors';
import { parseTypes } from '../ngsi-ld/entity-input';
import { EntitiesService } from './entities.service';
import { geometryPropertyOf, geoPredicateOf } from './geo-options';
import { flag, optionsOf, pageOf, queryTermsOf, type QueryParameters, renderOptionsOf, selectionOf, single } from './query-options';
import { READERS, WRITERS } from './roles';
import { renderUpdateResult } from './update-result';

/** NGSI-LD entities and their attributes (clauses 6.4, 6.5, 6.6, 6.7). */
@ApiTags('NGSI-LD entities')
@Controller('ngsi-ld/v1/entities')
export class EntitiesController {
  constructor(
    private readonly entities: EntitiesService,
    private readonly contexts: ContextService,
    private readonly responder: NgsiLdResponder,
  ) {}

  @Post()
  @Roles(...WRITERS)
  @ApiOperation({ summary: 'Create an entity (201, Location)' })
  async create(@Tenant() tenant: string, @CurrentPrincipal() principal: Principal, @Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply, @Body() body: unknown): Promise<void> {
    const context = await this.contexts.resolve(requestContext(request, body));
    const id = await this.entities.create(tenant, principal, body, context);
    reply.status(201).header('location', `/ngsi-ld/v1/entities/${encodeURIComponent(id)}`);
  }

  @Get()
  @Roles(...READERS)
  @ApiOperation({ summary: 'Query entities: type, id, idPattern, attrs, pick/omit, q, scopeQ, geo-query, paging, representations' })
  async query(@Tenant() tenant: string, @CurrentPrincipal() principal: Principal, @Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply, @Query() query: QueryParameters): Promise<object> {
    const mediaType = negotiate(request.headers.accept, { geoJson: true });
    const contextValue = requestContext(request);
    const context = await this.contexts.resolve(contextValue);
    await this.entities.assertTenantReadable(tenant, namedTenant(request));
    const render = renderOptionsOf(query, context);
    const geo = geoPredicateOf(query, context);
    const selection = selectionOf(tenant, queryTermsOf(query), context, geo ? [geo] : []);
    const page = pageOf(query, this.entities.limits);
    const { entities, count } = await this.entities.query(principal, selection, page);
    if (count !== undefined) reply.header('NGSILD-Results-Count', String(count));
    if (mediaType === 'application/geo+json') {
      const geometryProperty = geometryPropertyOf(query, context);
      return this.responder.body(request, reply, mediaType, contextValue, {
        type: 'FeatureCollection',
        features: entities.map((entity) => renderFeature(entity, render, geometryProperty)),
      });
    }
    return this.responder.body(request, reply, mediaType, contextValue, entities.map((entity) => renderEntity(entity, render)));
  }

  @Get(':entityId')
  @Roles(...READERS)
  @ApiOperation({ summary: 'Retrieve an entity' })
  async retrieve(
    @Tenant() tenant: string, @CurrentPrincipal() principal: Principal,
    @Param('entityId') id: string,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
    @Query() query: QueryParameters,
  ): Promise<object> {
    const mediaType = negotiate(request.headers.accept, { geoJson: true });
    const contextValue = requestContext(request);
    const context = await this.contexts.resolve(contextValue);
    await this.entities.assertTenantReadable(tenant, namedTenant(request));
    const render = renderOptionsOf(query, context);
    const type = single(query, 'type');
    const entity = await this.entities.retrieve(tenant, principal, id, {
      ...(render.projection?.attrs && { attrs: render.projection.attrs }),
      ...(type !== undefined && { types: parseTypes(type.split(','), context) }),
    });
    if (mediaType === 'application/geo+json') {
      return this.responder.body(request, reply, mediaType, contextValue, renderFeature(entity, render, geometryPropertyOf(query, context)));
    }
    return this.responder.body(request, reply, mediaType, contextValue, renderEntity(entity, render));
  }

  @Put(':entityId')
  @HttpCode(204)
  @Roles(...WRITERS)
  @ApiOperation({ summary: 'Replace an entity' })
  async replace(@Tenant() tenant: string, @CurrentPrincipal() principal: Principal, @Param('entityId') id: string, @Req() request: FastifyRequest, @Body() body: unknown): Promise<void> {
    const context = await this.contexts.resolve(requestContext(request, body));
    await this.entities.replace(tenant, principal, id, body, context);
  }

  @Patch(':entityId')
  @HttpCode(204)
  @Roles(...WRITERS)
  @ApiOperation({ summary: 'Merge an entity (merge-patch: null deletes)' })
  async merge(@Tenant() tenant: string, @CurrentPrincipal() principal: Principal, @Param('entityId') id: string, @Req() request: FastifyRequest, @Body() body: unknown): Promise<void> {
    const context = await this.contexts.resolve(requestContext(request, body));
    await this.entities.merge(tenant, principal, id, body, context);
  }

  @Delete(':entityId')
  @HttpCode(204)
  @Roles(...WRITERS)
  @ApiOperation({ summary: 'Delete an entity' })
  async delete(@Tenant() tenant: string, @CurrentPrincipal() principal: Principal, @Param('entityId') id: string): Promise<void> {
    await this.entities.delete(tenant, principal, id);
  }

  @Post(':entityId/attrs')
  @Roles(...WRITERS)
  @ApiOperation({ summary: 'Append attributes (options=noOverwrite keeps existing ones): 204, or 207 with what was not appended' })
  async append(
    @Tenant() tenant: string, @CurrentPrincipal() principal: Principal,
    @Param('entityId') id: string,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
    @Query() query: QueryParameters,
    @Body() body: unknown,
  ): Promise<object | undefined> {
    const noOverwrite = optionsOf(query, ['noOverwrite']).has('noOverwrite');
    const context = await this.contexts.resolve(requestContext(request, body));
    const result = await this.entities.appendAttributes(tenant, principal, id, body, context, noOverwrite);
    if (result.notUpdated.length === 0) {
      reply.status(204);
      return undefined;
    }
    reply.status(207);
    return renderUpdateResult(result, context);
  }

  @Patch(':entityId/attrs')
  @Roles(...WRITERS)
  @ApiOperation({ summary: 'Update attributes the entity has: 204, or 207 with those it has not' })
  async update(
    @Tenant() tenant: string, @CurrentPrincipal() principal: Principal,
    @Param('entityId') id: string,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
    @Body() body: unknown,
  ): Promise<object | undefined> {
    const context = await this.contexts.resolve(requestContext(request, body));
    const result = await this.entities.updateAttributes(tenant, principal, id, body, context);
    if (result.notUpdated.length === 0) {
      reply.status(204);
      return undefined;
    }
    reply.status(207);
    return renderUpdateResult(result, context);
  }

  @Patch(':entityId/attrs/:attrId')
  @HttpCode(204)
  @Roles(...WRITERS)
  @ApiOperation({ summary: 'Partial attribute update' })
  async partialUpdate(@Tenant() tenant: string, @CurrentPrincipal() principal: Principal, @Param('entityId') id: string, @Param('attrId') attr: string, @Req() request: FastifyRequest, @Body() body: unknown): Promise<void> {
    const context = await this.contexts.resolve(requestContext(request, body));
    await this.entities.partialAttributeUpdate(tenant, principal, id, attr, body, context);
  }

  @Put(':entityId/attrs/:attrId')
  @HttpCode(204)
  @Roles(...WRITERS)
  @ApiOperation({ summary: 'Replace an attribute' })
  async replaceAttribute(@Tenant() tenant: string, @CurrentPrincipal() principal: Principal, @Param('entityId') id: string, @Param('attrId') attr: string, @Req() request: FastifyRequest, @Body() body: unknown): Promise<void> {
    const context = await this.contexts.resolve(requestContext(request, body));
    await this.entities.replaceAttribute(tenant, principal, id, attr, body, context);
  }

  @Delete(':entityId/attrs/:attrId')
  @HttpCode(204)
  @Roles(...WRITERS)
  @ApiOperation({ summary: 'Delete an attribute (datasetId, deleteAll)' })
  async deleteAttribute(@Tenant() tenant: string, @CurrentPrincipal() principal: Principal, @Param('entityId') id: string, @Param('attrId') attr: string, @Req() request: FastifyRequest, @Query() query: QueryParameters): Promise<void> {
    const context = await this.contexts.resolve(requestContext(request));
    const datasetId = single(query, 'datasetId');
    const deleteAll = flag(query, 'deleteAll');
    if (deleteAll && datasetId !== undefined) throw badRequest('deleteAll and datasetId cannot be combined');
    await this.entities.deleteAttribute(tenant, principal, id, attr, context, { ...(datasetId !== undefined && { datasetId }), deleteAll });
  }
}
