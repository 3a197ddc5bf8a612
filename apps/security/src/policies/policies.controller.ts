import { Body, Controller, Delete, Get, Headers, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import { ApiBody, ApiCreatedResponse, ApiHeader, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { AccessDecision, Policy, PolicyInput } from '@urbis/access-policy';
import { CurrentPrincipal, type Principal, Role, Roles, Tenant } from '@urbis/auth';
import { ApiProblems, openApiSchema, ZodValidationPipe } from '@urbis/runtime';
import { SecurityErrorCode, SecurityProblem } from '../common/problems';
import { type DecisionRequest, decisionRequest, policyIdParam, policyInput, type PolicyListQuery, policyListQuery, policyResponse } from './policies.dto';
import { PoliciesService } from './policies.service';
import { PolicyDocumentPipe } from './policy-document.pipe';

const POLICY_ADMINS = [Role.TenantAdmin, Role.PlatformAdmin];
const POLICY_READERS = [Role.TenantAdmin, Role.Auditor, Role.PlatformAdmin];

/** `If-Match: "3"` (or `3`): the version the caller read. */
function expectedVersion(ifMatch: string | undefined): number | undefined {
  if (ifMatch === undefined) return undefined;
  const match = /^\s*(?:W\/)?"?(\d{1,9})"?\s*$/.exec(ifMatch);
  if (!match) throw new SecurityProblem(SecurityErrorCode.PolicyInvalid, 'If-Match must be the policy version, e.g. "3".');
  return Number(match[1]);
}

@ApiTags('policies')
@Controller('security/v1')
export class PoliciesController {
  constructor(private readonly policies: PoliciesService) {}

  @Post('policies')
  @Roles(...POLICY_ADMINS)
  @ApiOperation({ summary: 'Create a data-access policy', description: 'Published on security.policy.changed.v2 and audited.' })
  @ApiBody({ schema: openApiSchema(policyInput) })
  @ApiCreatedResponse({ schema: openApiSchema(policyResponse, 'output') })
  @ApiProblems(400, 413)
  create(@Tenant() tenant: string, @CurrentPrincipal() caller: Principal, @Body(PolicyDocumentPipe) input: PolicyInput): Promise<Policy> {
    return this.policies.create(tenant, caller, input);
  }

  @Get('policies')
  @Roles(...POLICY_READERS)
  @ApiOperation({ summary: "The tenant's policies" })
  @ApiQuery({ name: 'subjectKind', required: false, enum: ['client', 'role', 'user'] })
  @ApiQuery({ name: 'subjectId', required: false })
  @ApiQuery({ name: 'limit', required: false })
  @ApiQuery({ name: 'offset', required: false })
  @ApiProblems(400)
  list(@Tenant() tenant: string, @Query(new ZodValidationPipe(policyListQuery)) query: PolicyListQuery) {
    const { limit, offset, ...filter } = query;
    return this.policies.list(tenant, filter, { limit, offset });
  }

  @Get('policies/:policyId')
  @Roles(...POLICY_READERS)
  @ApiOkResponse({ schema: openApiSchema(policyResponse, 'output') })
  @ApiProblems(400, 404)
  get(@Tenant() tenant: string, @Param('policyId', new ZodValidationPipe(policyIdParam)) policyId: string): Promise<Policy> {
    return this.policies.get(tenant, policyId);
  }

  @Put('policies/:policyId')
  @Roles(...POLICY_ADMINS)
  @ApiOperation({ summary: 'Replace a policy (a new version)', description: 'With `If-Match: "<version>"`, refused with 409 if the policy changed since.' })
  @ApiHeader({ name: 'If-Match', required: false })
  @ApiBody({ schema: openApiSchema(policyInput) })
  @ApiOkResponse({ schema: openApiSchema(policyResponse, 'output') })
  @ApiProblems(400, 404, 409, 413)
  replace(
    @Tenant() tenant: string,
    @CurrentPrincipal() caller: Principal,
    @Param('policyId', new ZodValidationPipe(policyIdParam)) policyId: string,
    @Headers('if-match') ifMatch: string | undefined,
    @Body(PolicyDocumentPipe) input: PolicyInput,
  ): Promise<Policy> {
    return this.policies.replace(tenant, caller, policyId, input, expectedVersion(ifMatch));
  }

  @Delete('policies/:policyId')
  @HttpCode(204)
  @Roles(...POLICY_ADMINS)
  @ApiHeader({ name: 'If-Match', required: false })
  @ApiNoContentResponse({ description: 'Deleted; published and audited' })
  @ApiProblems(400, 404, 409)
  async delete(
    @Tenant() tenant: string,
    @CurrentPrincipal() caller: Principal,
    @Param('policyId', new ZodValidationPipe(policyIdParam)) policyId: string,
    @Headers('if-match') ifMatch: string | undefined,
  ): Promise<void> {
    await this.policies.delete(tenant, caller, policyId, expectedVersion(ifMatch));
  }

  @Post('decisions')
  @HttpCode(200)
  @Roles(Role.TenantAdmin, Role.Auditor, Role.PlatformAdmin)
  @ApiOperation({
    summary: 'Decide an access: may this subject read or write these attributes of this entity type?',
    description: 'Evaluates the tenant’s policies (deny by default) with @urbis/access-policy; every denial is audited.',
  })
  @ApiBody({ schema: openApiSchema(decisionRequest) })
  @ApiOkResponse({ description: '{ decision, attributes, deniedAttributes, reason, detail, policies }' })
  @ApiProblems(400)
  decide(@Tenant() tenant: string, @CurrentPrincipal() caller: Principal, @Body(new ZodValidationPipe(decisionRequest)) request: DecisionRequest): Promise<AccessDecision> {
    return this.policies.decide(tenant, caller, request);
  }
}
