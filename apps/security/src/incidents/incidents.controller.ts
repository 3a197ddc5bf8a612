import { Body, Controller, Get, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, type Principal, Role, Roles, Tenant } from '@urbis/auth';
import { ApiProblems, openApiSchema, ZodValidationPipe } from '@urbis/runtime';
import { z } from 'zod';
import { RULES } from './detection-rules';
import { IncidentsService } from './incidents.service';
import { COUNTING_RULES, ThresholdsService } from './thresholds.service';
import { IncidentsRepository } from './incidents.repository';

const RESPONDERS = [Role.TenantAdmin, Role.Operator, Role.PlatformAdmin];
const READERS = [...RESPONDERS, Role.Auditor];

const listQuery = z
  .object({
    status: z.enum(['open', 'acknowledged', 'resolved']).optional(),
    rule: z.enum(RULES).optional(),
    limit: z.coerce.number().int().min(1).max(1000).default(100),
    offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
  })
  .strict();
const incidentId = z.uuid({ error: 'incidentId must be a UUID' });
const noteBody = z.object({ note: z.string().min(1).max(2000).optional() }).strict().default({});
const thresholdBody = z
  .object({
    count: z.number().int().min(1).max(10_000_000),
    windowSeconds: z.number().int().min(1).max(86_400),
    enforce: z.boolean(),
  })
  .strict();
const ruleParam = z.enum(COUNTING_RULES as [string, ...string[]], { error: `rule: one of ${COUNTING_RULES.join(', ')}` });

@ApiTags('incidents')
@Controller('security/v1/incidents')
export class IncidentsController {
  constructor(
    private readonly incidents: IncidentsService,
    private readonly thresholds: ThresholdsService,
    private readonly repository: IncidentsRepository,
  ) {}

  @Get()
  @Roles(...READERS)
  @ApiOperation({ summary: "The tenant's security incidents, newest first, with their enforcements" })
  @ApiQuery({ name: 'status', required: false, enum: ['open', 'acknowledged', 'resolved'] })
  @ApiQuery({ name: 'rule', required: false, enum: RULES })
  @ApiQuery({ name: 'limit', required: false })
  @ApiQuery({ name: 'offset', required: false })
  @ApiProblems(400)
  list(@Tenant() tenant: string, @Query(new ZodValidationPipe(listQuery)) query: z.output<typeof listQuery>) {
    const { limit, offset, ...filter } = query;
    return this.incidents.list(tenant, filter, { limit, offset });
  }

  @Get('thresholds')
  @Roles(...READERS)
  @ApiOperation({ summary: "The tenant's detection thresholds (its own, or the service's defaults)" })
  @ApiProblems()
  async listThresholds(@Tenant() tenant: string) {
    return { thresholds: [...(await this.thresholds.of(tenant)).values()] };
  }

  @Put('thresholds/:rule')
  @Roles(Role.TenantAdmin, Role.PlatformAdmin)
  @ApiOperation({ summary: 'Set the tenant’s threshold of a rule: how many occurrences within how many seconds, and whether to respond automatically' })
  @ApiBody({ schema: openApiSchema(thresholdBody) })
  @ApiProblems(400)
  async setThreshold(
    @Tenant() tenant: string,
    @CurrentPrincipal() caller: Principal,
    @Param('rule', new ZodValidationPipe(ruleParam)) rule: string,
    @Body(new ZodValidationPipe(thresholdBody)) body: z.output<typeof thresholdBody>,
  ) {
    await this.repository.transaction(async (tx) => {
      await this.repository.saveThreshold(tx, { tenant, rule, ...body, updatedAt: new Date() });
      await this.incidents.auditThreshold(tx, tenant, caller, rule, body);
    });
    this.thresholds.forget(tenant);
    return (await this.thresholds.of(tenant)).get(rule as (typeof COUNTING_RULES)[number]);
  }

  @Get(':incidentId')
  @Roles(...READERS)
  @ApiProblems(400, 404)
  get(@Tenant() tenant: string, @Param('incidentId', new ZodValidationPipe(incidentId)) id: string) {
    return this.incidents.get(tenant, id);
  }

  @Post(':incidentId/acknowledge')
  @HttpCode(200)
  @Roles(...RESPONDERS)
  @ApiBody({ schema: openApiSchema(noteBody), required: false })
  @ApiProblems(400, 404, 409)
  acknowledge(
    @Tenant() tenant: string,
    @CurrentPrincipal() caller: Principal,
    @Param('incidentId', new ZodValidationPipe(incidentId)) id: string,
    @Body(new ZodValidationPipe(noteBody)) body: z.output<typeof noteBody>,
  ) {
    return this.incidents.acknowledge(tenant, caller, id, body.note);
  }

  @Post(':incidentId/resolve')
  @HttpCode(200)
  @Roles(...RESPONDERS)
  @ApiBody({ schema: openApiSchema(noteBody), required: false })
  @ApiProblems(400, 404, 409)
  resolve(
    @Tenant() tenant: string,
    @CurrentPrincipal() caller: Principal,
    @Param('incidentId', new ZodValidationPipe(incidentId)) id: string,
    @Body(new ZodValidationPipe(noteBody)) body: z.output<typeof noteBody>,
  ) {
    return this.incidents.resolve(tenant, caller, id, body.note);
  }
}
