import { Body, Controller, Get, Param, Patch } from '@nestjs/common';
import { ApiBody, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, type Principal, Role, Roles, Tenant } from '@urbis/auth';
import { ApiProblems, openApiSchema, ZodValidationPipe } from '@urbis/runtime';
import { DEVICE_READERS, deviceIdPipe } from '../devices/devices.controller';
import { desiredPatch, type DesiredPatch, reportedPatch, type ReportedPatch, twinView } from './twin.dto';
import { TwinService } from './twin.service';

@ApiTags('device twin')
@Controller('devices/v1/devices/:deviceId/twin')
export class TwinController {
  constructor(private readonly twins: TwinService) {}

  @Get()
  @Roles(...DEVICE_READERS)
  @ApiOperation({ summary: 'Desired and reported state with their versions, and the delta between them' })
  @ApiOkResponse({ schema: openApiSchema(twinView, 'output') })
  @ApiProblems(400, 404)
  get(@Tenant() tenant: string, @Param('deviceId', deviceIdPipe) deviceId: string) {
    return this.twins.get(tenant, deviceId);
  }

  @Patch('desired')
  @Roles(Role.PlatformAdmin, Role.TenantAdmin, Role.Operator)
  @ApiOperation({
    summary: 'Change the desired state (merge patch); an active device gets it as a `twin.desired` command',
  })
  @ApiBody({ schema: openApiSchema(desiredPatch) })
  @ApiOkResponse({ schema: openApiSchema(twinView, 'output') })
  @ApiProblems(400, 404, 409)
  setDesired(
    @Tenant() tenant: string,
    @CurrentPrincipal() caller: Principal,
    @Param('deviceId', deviceIdPipe) deviceId: string,
    @Body(new ZodValidationPipe(desiredPatch)) patch: DesiredPatch,
  ) {
    return this.twins.setDesired(tenant, deviceId, patch, caller);
  }

  @Patch('reported')
  @Roles(Role.PlatformAdmin, Role.TenantAdmin, Role.Operator, Role.Integrator)
  @ApiOperation({
    summary:
      'Report state on behalf of a device (gateways, integrations); devices on MQTT publish it on `urbis/<tenant>/devices/<id>/twin/reported`',
  })
  @ApiBody({ schema: openApiSchema(reportedPatch) })
  @ApiOkResponse({ schema: openApiSchema(twinView, 'output') })
  @ApiProblems(400, 404)
  report(
    @Tenant() tenant: string,
    @Param('deviceId', deviceIdPipe) deviceId: string,
    @Body(new ZodValidationPipe(reportedPatch)) body: ReportedPatch,
  ) {
    return this.twins.report(tenant, deviceId, body.state);
  }
}
