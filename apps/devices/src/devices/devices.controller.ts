import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBody, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Audited } from '@urbis/audit';
import { Role, Roles, Tenant } from '@urbis/auth';
import { deviceId } from '@urbis/contracts';
import { ApiProblems, openApiSchema, ZodValidationPipe } from '@urbis/runtime';
import {
  deviceInput,
  type DeviceInput,
  deviceList,
  devicePatch,
  type DevicePatch,
  deviceQuery,
  type DeviceQuery,
  deviceView,
  lifecycleChange,
  type LifecycleChange,
} from './device.dto';
import { DevicesService } from './devices.service';

export const DEVICE_READERS = [
  Role.PlatformAdmin,
  Role.TenantAdmin,
  Role.Operator,
  Role.Integrator,
  Role.Auditor,
];
export const DEVICE_WRITERS = [Role.PlatformAdmin, Role.TenantAdmin, Role.Operator];

export const deviceIdPipe = new ZodValidationPipe(deviceId);

@ApiTags('devices')
@Controller('devices/v1/devices')
export class DevicesController {
  constructor(private readonly devices: DevicesService) {}

  @Post()
  @Roles(...DEVICE_WRITERS)
  @Audited({ action: 'devices.device.provision', resource: 'device', idFromResult: 'id' })
  @ApiOperation({ summary: 'Provision a device (state provisioned)' })
  @ApiBody({ schema: openApiSchema(deviceInput) })
  @ApiCreatedResponse({ schema: openApiSchema(deviceView, 'output') })
  @ApiProblems(400, 409)
  create(@Tenant() tenant: string, @Body(new ZodValidationPipe(deviceInput)) input: DeviceInput) {
    return this.devices.create(tenant, input);
  }

  @Get()
  @Roles(...DEVICE_READERS)
  @ApiOperation({ summary: 'List devices, filtered by state, profile, tag or external id' })
  @ApiOkResponse({ schema: openApiSchema(deviceList, 'output') })
  @ApiProblems(400)
  list(@Tenant() tenant: string, @Query(new ZodValidationPipe(deviceQuery)) query: DeviceQuery) {
    return this.devices.list(tenant, query);
  }

  @Get(':deviceId')
  @Roles(...DEVICE_READERS)
  @ApiOperation({ summary: 'Get a device' })
  @ApiOkResponse({ schema: openApiSchema(deviceView, 'output') })
  @ApiProblems(400, 404)
  get(@Tenant() tenant: string, @Param('deviceId', deviceIdPipe) id: string) {
    return this.devices.get(tenant, id);
  }

  @Patch(':deviceId')
  @Roles(...DEVICE_WRITERS)
  @Audited({ action: 'devices.device.update', resource: 'device', idParam: 'deviceId' })
  @ApiOperation({ summary: "Change a device's name, profile, tags, location, external id or DevEUI" })
  @ApiBody({ schema: openApiSchema(devicePatch) })
  @ApiOkResponse({ schema: openApiSchema(deviceView, 'output') })
  @ApiProblems(400, 404, 409)
  update(
    @Tenant() tenant: string,
    @Param('deviceId', deviceIdPipe) id: string,
    @Body(new ZodValidationPipe(devicePatch)) patch: DevicePatch,
  ) {
    return this.devices.update(tenant, id, patch);
  }

  @Post(':deviceId/lifecycle')
  @HttpCode(200)
  @Roles(...DEVICE_WRITERS)
  @Audited({ action: 'devices.device.lifecycle', resource: 'device', idParam: 'deviceId' })
  @ApiOperation({
    summary: 'Move a device along provisioned → active ⇄ suspended → decommissioned (409 when not allowed)',
  })
  @ApiBody({ schema: openApiSchema(lifecycleChange) })
  @ApiOkResponse({ schema: openApiSchema(deviceView, 'output') })
  @ApiProblems(400, 404, 409)
  transition(
    @Tenant() tenant: string,
    @Param('deviceId', deviceIdPipe) id: string,
    @Body(new ZodValidationPipe(lifecycleChange)) change: LifecycleChange,
  ) {
    return this.devices.transition(tenant, id, change);
  }

  @Delete(':deviceId')
  @HttpCode(204)
  @Roles(Role.PlatformAdmin, Role.TenantAdmin)
  @Audited({ action: 'devices.device.delete', resource: 'device', idParam: 'deviceId' })
  @ApiOperation({ summary: 'Delete a device from the registry (its credentials are revoked)' })
  @ApiProblems(400, 404)
  async delete(@Tenant() tenant: string, @Param('deviceId', deviceIdPipe) id: string): Promise<void> {
    await this.devices.delete(tenant, id);
  }
}
