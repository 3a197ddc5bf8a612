import { Body, Controller, Delete, Get, HttpCode, Post, Put, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { Audited } from '@urbis/audit';
import { CurrentPrincipal, type Principal, Role, Roles, Tenant } from '@urbis/auth';
import { ApiProblems, ZodValidationPipe } from '@urbis/runtime';
import { z } from 'zod';
import { ContextService } from '../contexts/context.service';
import { assertName } from '../ngsi-ld/entity-input';
import { notFound } from '../ngsi-ld/errors';
import { ANY, retentionPolicyInput, type RetentionPolicy, type RetentionPolicyInput } from './retention-policy';
import { RetentionRepository } from './retention.repository';
import { RetentionService } from './retention.service';

const selector = z.object({ entityType: z.string().min(1).max(512).optional(), attribute: z.string().min(1).max(512).optional() }).strict();

/** How long each tenant keeps its history (issue 6, point 5): read and set by its administrators. */
@ApiTags('data retention')
@Controller('data/v1/retention-policies')
export class RetentionController {
  constructor(
    private readonly repository: RetentionRepository,
    private readonly retention: RetentionService,
    private readonly contexts: ContextService,
  ) {}

  @Get()
  @Roles(Role.PlatformAdmin, Role.TenantAdmin, Role.Auditor)
  @ApiOperation({ summary: "The tenant's retention policies" })
  async list(@Tenant() tenant: string) {
    return (await this.repository.list(tenant)).map((policy) => this.view(policy));
  }

  @Put()
  @Roles(Role.PlatformAdmin, Role.TenantAdmin)
  @Audited({ action: 'data.retention.set', resource: 'retention-policy' })
  @ApiOperation({ summary: 'Set the retention of the tenant, an entity type, or one attribute of a type' })
  @ApiProblems(400)
  async set(@Tenant() tenant: string, @CurrentPrincipal() principal: Principal, @Body(new ZodValidationPipe(retentionPolicyInput)) input: RetentionPolicyInput) {
    const { entityType, attr } = this.expand(input);
    const saved = await this.repository.upsert({ tenant, entityType, attr, rawDays: input.keepRawDays, rollupDays: input.keepRollupDays ?? null, updatedBy: principal.subject || principal.clientId });
    return this.view(saved);
  }

  @Delete()
  @HttpCode(204)
  @Roles(Role.PlatformAdmin, Role.TenantAdmin)
  @Audited({ action: 'data.retention.delete', resource: 'retention-policy' })
  @ApiOperation({ summary: 'Remove a retention policy (?entityType=&attribute=); its data is then kept' })
  @ApiProblems(400, 404)
  async remove(@Tenant() tenant: string, @Query(new ZodValidationPipe(selector)) query: z.output<typeof selector>): Promise<void> {
    const { entityType, attr } = this.expand(query);
    if (!(await this.repository.delete(tenant, entityType, attr))) throw notFound('no such retention policy');
  }

  @Post('runs')
  @Roles(Role.PlatformAdmin)
  @Audited({ action: 'data.retention.run', resource: 'retention-run' })
  @ApiOperation({ summary: 'Purge now, across tenants (what the scheduled job does); answers what it removed, or that another replica is purging' })
  async run() {
    const result = await this.retention.purge();
    return result ?? { skipped: 'another replica is purging' };
  }

  private expand(input: { entityType?: string; attribute?: string }): { entityType: string; attr: string } {
    const core = this.contexts.core;
    if (input.entityType !== undefined) assertName(input.entityType, 'entityType');
    if (input.attribute !== undefined) assertName(input.attribute, 'attribute');
    return {
      entityType: input.entityType === undefined ? ANY : core.expandTerm(input.entityType),
      attr: input.attribute === undefined ? ANY : core.expandTerm(input.attribute),
    };
  }

  private view(policy: RetentionPolicy) {
    const core = this.contexts.core;
    return {
      ...(policy.entityType !== ANY && { entityType: core.compactIri(policy.entityType) }),
      ...(policy.attr !== ANY && { attribute: core.compactIri(policy.attr) }),
      keepRawDays: policy.rawDays,
      ...(policy.rollupDays !== null && { keepRollupDays: policy.rollupDays }),
      updatedAt: policy.updatedAt.toISOString(),
      updatedBy: policy.updatedBy,
    };
  }
}
