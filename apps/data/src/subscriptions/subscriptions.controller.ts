import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query, Req, Res } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, type Principal, Roles, Tenant } from '@urbis/auth';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ContextService } from '../contexts/context.service';
import { optionsOf, pageOf, type QueryParameters } from '../entities/query-options';
import { READERS, WRITERS } from '../entities/roles';
import { namedTenant, negotiate, requestContext } from '../http/ngsi-ld-http';
import { NgsiLdResponder } from '../http/responder';
import { NgsiLdError } from '../ngsi-ld/errors';
import { renderSubscription } from './subscription-output';
import { SubscriptionsService } from './subscriptions.service';

const COLLECTION = '/ngsi-ld/v1/subscriptions';

/** A subscription's URL: its id kept readable (URN colons unescaped), anything a path cannot hold escaped. */
export const subscriptionLocation = (id: string) =>
  `${COLLECTION}/${encodeURIComponent(id).replace(/%3A/gi, ':')}`;

/** NGSI-LD subscriptions (clauses 5.8 and 6.10, 6.11). */
@ApiTags('NGSI-LD subscriptions')
@Controller('ngsi-ld/v1/subscriptions')
export class SubscriptionsController {
  constructor(
    private readonly subscriptions: SubscriptionsService,
    private readonly contexts: ContextService,
    private readonly responder: NgsiLdResponder,
  ) {}

  @Post()
  @Roles(...WRITERS)
  @ApiOperation({ summary: 'Create a subscription (201, Location)' })
  async create(
    @Tenant() tenant: string,
    @CurrentPrincipal() principal: Principal,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
    @Body() body: unknown,
  ): Promise<void> {
    const id = await this.subscriptions.create(tenant, principal, body, {
      value: requestContext(request, body),
      baseUrl: this.responder.baseUrl(request),
    });
    reply.status(201).header('location', subscriptionLocation(id));
  }

  @Get()
  @Roles(...READERS)
  @ApiOperation({
    summary: 'Query subscriptions: limit, offset, count (NGSILD-Results-Count), prev/next Link headers',
  })
  async list(
    @Tenant() tenant: string,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
    @Query() query: QueryParameters,
  ): Promise<object> {
    const mediaType = negotiate(request.headers.accept);
    const contextValue = requestContext(request);
    const context = await this.contexts.resolve(contextValue);
    const sysAttrs = optionsOf(query, ['sysAttrs']).has('sysAttrs');
    await this.subscriptions.assertTenantReadable(tenant, namedTenant(request));
    const page = pageOf(query, this.subscriptions.limits);
    const { subscriptions, total } = await this.subscriptions.list(tenant, page);
    if (page.count) reply.header('NGSILD-Results-Count', String(total));
    const body = await this.responder.body(
      request,
      reply,
      mediaType,
      contextValue,
      subscriptions.map((subscription) => renderSubscription(subscription, context, { sysAttrs })),
    );
    const links = pageLinks(page, total);
    if (links.length > 0)
      reply.header(
        'link',
        [reply.getHeader('link'), ...links].filter((link) => link !== undefined).join(', '),
      );
    return body;
  }

  @Get(':subscriptionId')
  @Roles(...READERS)
  @ApiOperation({ summary: 'Retrieve a subscription' })
  async retrieve(
    @Tenant() tenant: string,
    @Param('subscriptionId') id: string,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
    @Query() query: QueryParameters,
  ): Promise<object> {
    const mediaType = negotiate(request.headers.accept);
    const contextValue = requestContext(request);
    const context = await this.contexts.resolve(contextValue);
    const sysAttrs = optionsOf(query, ['sysAttrs']).has('sysAttrs');
    await this.subscriptions.assertTenantReadable(tenant, namedTenant(request));
    const subscription = await this.subscriptions.retrieve(tenant, id);
    return this.responder.body(
      request,
      reply,
      mediaType,
      contextValue,
      renderSubscription(subscription, context, { sysAttrs }),
    );
  }

  @Patch(':subscriptionId')
  @HttpCode(204)
  @Roles(...WRITERS)
  @ApiOperation({
    summary: 'Update a subscription (its members; notification member by member; null removes)',
  })
  async update(
    @Tenant() tenant: string,
    @Param('subscriptionId') id: string,
    @Req() request: FastifyRequest,
    @Body() body: unknown,
  ): Promise<void> {
    await this.subscriptions.update(tenant, id, body, {
      value: requestContext(request, body),
      baseUrl: this.responder.baseUrl(request),
    });
  }

  @Delete(':subscriptionId')
  @HttpCode(204)
  @Roles(...WRITERS)
  @ApiOperation({ summary: 'Delete a subscription' })
  async delete(@Tenant() tenant: string, @Param('subscriptionId') id: string): Promise<void> {
    await this.subscriptions.delete(tenant, id);
  }

  @Patch()
  @Roles(...WRITERS)
  @ApiOperation({ summary: 'Not supported: PATCH needs a subscription id (405)' })
  updateCollection(@Res({ passthrough: true }) reply: FastifyReply): never {
    reply.header('allow', 'GET, POST');
    throw new NgsiLdError(
      'OperationNotSupported',
      'PATCH needs a subscription id: /ngsi-ld/v1/subscriptions/{subscriptionId}',
      405,
    );
  }

  @Delete()
  @Roles(...WRITERS)
  @ApiOperation({ summary: 'Not supported: DELETE needs a subscription id (405)' })
  deleteCollection(@Res({ passthrough: true }) reply: FastifyReply): never {
    reply.header('allow', 'GET, POST');
    throw new NgsiLdError(
      'OperationNotSupported',
      'DELETE needs a subscription id: /ngsi-ld/v1/subscriptions/{subscriptionId}',
      405,
    );
  }
}

/** Clause 5.5.9 paging links, relative to the broker. */
function pageLinks(page: { limit: number; offset: number }, total: number): string[] {
  const link = (offset: number, rel: string) =>
    `<${COLLECTION}?limit=${page.limit}&offset=${offset}>;rel="${rel}";type="application/ld+json"`;
  const links: string[] = [];
  if (page.offset > 0 && page.limit > 0) links.push(link(Math.max(0, page.offset - page.limit), 'prev'));
  if (page.limit > 0 && page.offset + page.limit < total) links.push(link(page.offset + page.limit, 'next'));
  return links;
}
