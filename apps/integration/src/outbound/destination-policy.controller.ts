import { Body, Controller, Get, Put } from '@nestjs/common';
import { ApiBody, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, type Principal, Role, Roles, Tenant } from '@urbis/auth';
import { z } from 'zod';
import { ApiProblems } from '../common/api';
import { openApiSchema, ZodValidationPipe } from '../common/zod-validation.pipe';
import { isCidr } from './address-policy';
import { DestinationGuard } from './destination-guard';
import { DestinationPolicyRepository } from './destination-policy.repository';
import { OutboundHttp } from './outbound-http';

export const destinationPolicy = z
  .object({
    allowLoopback: z.boolean().default(false).describe('127.0.0.0/8 and ::1 (a local stack, tests)'),
    allowPrivate: z.boolean().default(false).describe('10/8, 172.16/12, 192.168/16, 100.64/10, fc00::/7'),
    allowLinkLocal: z.boolean().default(false).describe('169.254/16, fe80::/10 (cloud metadata lives here)'),
    allowedNetworks: z
      .array(z.string().refine(isCidr, 'expected a CIDR such as 10.20.0.0/16'))
      .max(100)
      .default([])
      .describe('Ranges reachable whatever their kind, e.g. a SCADA network'),
  })
  .strict();
type DestinationPolicyInput = z.output<typeof destinationPolicy>;

const policyView = destinationPolicy.extend({
  tenant: z.string(),
  updatedBy: z.string().optional(),
  updatedAt: z.iso.datetime().optional(),
});

/**
 * Which destinations a tenant's deliveries, polls and SCADA connections may reach besides public
 * addresses. Only a platform admin changes it: allowing a tenant into private networks is a
 * decision about the platform's own network, not the tenant's.
 */
@ApiTags('destination policy')
@Controller('integration/v1/destination-policy')
export class DestinationPolicyController {
  constructor(
    private readonly policies: DestinationPolicyRepository,
    private readonly guard: DestinationGuard,
    private readonly http: OutboundHttp,
  ) {}

  @Get()
  @Roles(Role.PlatformAdmin, Role.TenantAdmin, Role.Operator, Role.Integrator, Role.Auditor)
  @ApiOperation({ summary: "The tenant's destination policy (everything non-public refused unless allowed)" })
  @ApiOkResponse({ schema: openApiSchema(policyView, 'output') })
  @ApiProblems()
  async get(@Tenant() tenant: string) {
    const row = await this.policies.find(tenant);
    return row
      ? {
          tenant,
          allowLoopback: row.allowLoopback,
          allowPrivate: row.allowPrivate,
          allowLinkLocal: row.allowLinkLocal,
          allowedNetworks: row.allowedNetworks,
          ...(row.updatedBy !== null && { updatedBy: row.updatedBy }),
          updatedAt: row.updatedAt.toISOString(),
        }
      : { tenant, ...destinationPolicy.parse({}) };
  }

  @Put()
  @Roles(Role.PlatformAdmin)
  @ApiOperation({
    summary: "Set a tenant's destination policy (platform admins; name the tenant with X-Urbis-Tenant)",
  })
  @ApiBody({ schema: openApiSchema(destinationPolicy) })
  @ApiOkResponse({ schema: openApiSchema(policyView, 'output') })
  @ApiProblems(400)
  async put(
    @Tenant() tenant: string,
    @CurrentPrincipal() caller: Principal,
    @Body(new ZodValidationPipe(destinationPolicy)) body: DestinationPolicyInput,
  ) {
    await this.policies.upsert(tenant, body, caller.subject);
    this.guard.forget(tenant);
    this.http.forget(tenant);
    return this.get(tenant);
  }
}
