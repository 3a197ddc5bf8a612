import { Controller, Get, Param, Query, Req, Res } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, type Principal, Roles, Tenant } from '@urbis/auth';
import { DataAccess } from '../access/data-access';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { randomUUID } from 'node:crypto';
import { ContextService } from '../contexts/context.service';
import { namedTenant, negotiate, requestContext } from '../http/ngsi-ld-http';
import { NgsiLdResponder } from '../http/responder';
import { assertName } from '../ngsi-ld/entity-input';
import { notFound } from '../ngsi-ld/errors';
import { type AttributeDetails, EntityRepository } from '../storage/entity.repository';
import { EntitiesService } from './entities.service';
import { flag, type QueryParameters } from './query-options';
import { READERS } from './roles';

/** Discovery of what the tenant's data holds (clause 5.7.5 - 5.7.8). */
@ApiTags('NGSI-LD discovery')
@Controller('ngsi-ld/v1')
@Roles(...READERS)
export class DiscoveryController {
  constructor(
    private readonly repository: EntityRepository,
    private readonly entities: EntitiesService,
    private readonly contexts: ContextService,
    private readonly responder: NgsiLdResponder,
    private readonly access: DataAccess,
  ) {}

  /** Restricted callers discover only the types (and attributes) their policies grant. */
  private grantedTypes(tenant: string, principal: Principal): ((type: string) => boolean) | undefined {
    const types = this.access.typesOf(this.access.scope(tenant, principal, 'read'));
    return types && ((type) => types.includes(type));
  }

  @Get('types')
  @ApiOperation({ summary: 'Entity types: EntityTypeList, or EntityType details (details=true)' })
  async types(@Tenant() tenant: string, @CurrentPrincipal() principal: Principal, @Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply, @Query() query: QueryParameters) {
    const { mediaType, contextValue, context } = await this.prepare(tenant, request);
    const granted = this.grantedTypes(tenant, principal);
    const types = (await this.repository.types(tenant)).filter((entry) => !granted || granted(entry.type));
    const body = flag(query, 'details')
      ? types.map((entry) => ({
          id: entry.type,
          type: 'EntityType',
          typeName: context.compactIri(entry.type),
          attributeNames: entry.attributes.map((iri) => context.compactIri(iri)),
        }))
      : { id: `urn:ngsi-ld:EntityTypeList:${randomUUID()}`, type: 'EntityTypeList', typeList: types.map((entry) => context.compactIri(entry.type)) };
    return this.responder.body(request, reply, mediaType, contextValue, body);
  }

  @Get('types/:type')
  @ApiOperation({ summary: 'One entity type: EntityTypeInfo (entityCount, attributeDetails)' })
  async type(@Tenant() tenant: string, @CurrentPrincipal() principal: Principal, @Param('type') type: string, @Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    const { mediaType, contextValue, context } = await this.prepare(tenant, request);
    assertName(type, 'type');
    const iri = context.expandTerm(type);
    const granted = this.grantedTypes(tenant, principal);
    const details = !granted || granted(iri) ? await this.repository.typeDetails(tenant, iri) : null;
    if (!details) throw notFound(`no entity of type ${type}`);
    return this.responder.body(request, reply, mediaType, contextValue, {
      id: iri,
      type: 'EntityTypeInfo',
      typeName: context.compactIri(iri),
      entityCount: details.entityCount,
      attributeDetails: details.attributes.map((attribute) => ({
        id: attribute.name,
        type: 'Attribute',
        attributeName: context.compactIri(attribute.name),
        attributeTypes: attribute.types,
      })),
    });
  }

  @Get('attributes')
  @ApiOperation({ summary: 'Attributes: AttributeList, or Attribute details (details=true)' })
  async attributes(@Tenant() tenant: string, @CurrentPrincipal() principal: Principal, @Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply, @Query() query: QueryParameters) {
    const { mediaType, contextValue, context } = await this.prepare(tenant, request);
    const attributes = this.restrictedTo(await this.repository.attributes(tenant), this.grantedTypes(tenant, principal));
    const body = flag(query, 'details')
      ? attributes.map((attribute) => this.attributeOf(attribute, context))
      : { id: `urn:ngsi-ld:AttributeList:${randomUUID()}`, type: 'AttributeList', attributeList: attributes.map((attribute) => context.compactIri(attribute.name)) };
    return this.responder.body(request, reply, mediaType, contextValue, body);
  }

  @Get('attributes/:attrId')
  @ApiOperation({ summary: 'One attribute: Attribute (attributeCount, attributeTypes, typeNames)' })
  async attribute(@Tenant() tenant: string, @CurrentPrincipal() principal: Principal, @Param('attrId') name: string, @Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    const { mediaType, contextValue, context } = await this.prepare(tenant, request);
    assertName(name, 'attribute');
    const [attribute] = this.restrictedTo(await this.repository.attributes(tenant, context.expandTerm(name)), this.grantedTypes(tenant, principal));
    if (!attribute) throw notFound(`no entity has an attribute ${name}`);
    return this.responder.body(request, reply, mediaType, contextValue, this.attributeOf(attribute, context));
  }

  /** Attributes as a restricted caller may know them: on granted types only. */
  private restrictedTo(attributes: AttributeDetails[], granted: ((type: string) => boolean) | undefined): AttributeDetails[] {
    if (!granted) return attributes;
    return attributes.map((attribute) => ({ ...attribute, typeNames: attribute.typeNames.filter(granted) })).filter((attribute) => attribute.typeNames.length > 0);
  }

  private attributeOf(attribute: { name: string; count: number; attributeTypes: string[]; typeNames: string[] }, context: { compactIri(iri: string): string }) {
    return {
      id: attribute.name,
      type: 'Attribute',
      attributeName: context.compactIri(attribute.name),
      attributeCount: attribute.count,
      attributeTypes: attribute.attributeTypes,
      typeNames: attribute.typeNames.map((iri) => context.compactIri(iri)),
    };
  }

  private async prepare(tenant: string, request: FastifyRequest) {
    const mediaType = negotiate(request.headers.accept);
    const contextValue = requestContext(request);
    const context = await this.contexts.resolve(contextValue);
    await this.entities.assertTenantReadable(tenant, namedTenant(request));
    return { mediaType, contextValue, context };
  }
}
