import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import { ApiBody, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Role, Roles, Tenant } from '@urbis/auth';
import { ApiProblems, openApiSchema, ZodValidationPipe } from '@urbis/runtime';
import { z } from 'zod';
import { pageQuery, type PageQuery } from '../common/paging';
import { DEVICE_READERS } from '../devices/devices.controller';
import {
  artifactInput,
  type ArtifactInput,
  artifactView,
  campaignDeviceView,
  campaignInput,
  type CampaignInput,
  campaignView,
  rollbackInput,
  type RollbackInput,
} from './firmware.dto';
import { FirmwareService } from './firmware.service';

const FIRMWARE_ADMINS = [Role.PlatformAdmin, Role.TenantAdmin, Role.Operator];

@ApiTags('firmware')
@Controller('devices/v1/firmware')
export class FirmwareController {
  constructor(private readonly firmware: FirmwareService) {}

  @Post('artifacts')
  @Roles(Role.PlatformAdmin, Role.TenantAdmin)
  @ApiOperation({ summary: 'Register a firmware artifact (version, sha256, size, download URL)' })
  @ApiBody({ schema: openApiSchema(artifactInput) })
  @ApiCreatedResponse({ schema: openApiSchema(artifactView, 'output') })
  @ApiProblems(400, 409)
  createArtifact(@Tenant() tenant: string, @Body(new ZodValidationPipe(artifactInput)) input: ArtifactInput) {
    return this.firmware.createArtifact(tenant, input);
  }

  @Get('artifacts')
  @Roles(...DEVICE_READERS)
  @ApiOperation({ summary: 'Firmware artifacts of the tenant' })
  @ApiOkResponse({ schema: openApiSchema(z.object({ items: z.array(artifactView) }), 'output') })
  @ApiProblems()
  artifacts(@Tenant() tenant: string) {
    return this.firmware.artifacts(tenant);
  }

  @Post('campaigns')
  @Roles(...FIRMWARE_ADMINS)
  @ApiOperation({
    summary:
      'Start a campaign: the targets (profile and/or tags) get the artifact in waves; the first wave is notified now',
  })
  @ApiBody({ schema: openApiSchema(campaignInput) })
  @ApiCreatedResponse({ schema: openApiSchema(campaignView, 'output') })
  @ApiProblems(400, 409)
  createCampaign(@Tenant() tenant: string, @Body(new ZodValidationPipe(campaignInput)) input: CampaignInput) {
    return this.firmware.createCampaign(tenant, input);
  }

  @Get('campaigns')
  @Roles(...DEVICE_READERS)
  @ApiOperation({ summary: 'Campaigns with their progress' })
  @ApiOkResponse({ schema: openApiSchema(z.object({ items: z.array(campaignView) }), 'output') })
  @ApiProblems()
  campaigns(@Tenant() tenant: string) {
    return this.firmware.campaigns(tenant);
  }

  @Get('campaigns/:campaignId')
  @Roles(...DEVICE_READERS)
  @ApiOperation({ summary: 'A campaign and its progress per wave and status' })
  @ApiOkResponse({ schema: openApiSchema(campaignView, 'output') })
  @ApiProblems(400, 404)
  campaign(@Tenant() tenant: string, @Param('campaignId', ParseUUIDPipe) id: string) {
    return this.firmware.campaign(tenant, id);
  }

  @Get('campaigns/:campaignId/devices')
  @Roles(...DEVICE_READERS)
  @ApiOperation({ summary: "Each device's status in the campaign" })
  @ApiOkResponse({ schema: openApiSchema(z.object({ items: z.array(campaignDeviceView) }), 'output') })
  @ApiProblems(400, 404)
  devices(
    @Tenant() tenant: string,
    @Param('campaignId', ParseUUIDPipe) id: string,
    @Query(new ZodValidationPipe(pageQuery)) page: PageQuery,
  ) {
    return this.firmware.devices(tenant, id, page.limit, page.offset);
  }

  @Post('campaigns/:campaignId/pause')
  @HttpCode(200)
  @Roles(...FIRMWARE_ADMINS)
  @ApiOperation({ summary: 'Pause a running campaign' })
  @ApiOkResponse({ schema: openApiSchema(campaignView, 'output') })
  @ApiProblems(400, 404, 409)
  pause(@Tenant() tenant: string, @Param('campaignId', ParseUUIDPipe) id: string) {
    return this.firmware.pause(tenant, id);
  }

  @Post('campaigns/:campaignId/resume')
  @HttpCode(200)
  @Roles(...FIRMWARE_ADMINS)
  @ApiOperation({ summary: "Resume a paused campaign; its current wave's failed devices are notified again" })
  @ApiOkResponse({ schema: openApiSchema(campaignView, 'output') })
  @ApiProblems(400, 404, 409)
  resume(@Tenant() tenant: string, @Param('campaignId', ParseUUIDPipe) id: string) {
    return this.firmware.resume(tenant, id);
  }

  @Post('campaigns/:campaignId/cancel')
  @HttpCode(200)
  @Roles(...FIRMWARE_ADMINS)
  @ApiOperation({ summary: 'Cancel a campaign: no further device is notified' })
  @ApiOkResponse({ schema: openApiSchema(campaignView, 'output') })
  @ApiProblems(400, 404, 409)
  cancel(@Tenant() tenant: string, @Param('campaignId', ParseUUIDPipe) id: string) {
    return this.firmware.cancel(tenant, id);
  }

  @Post('campaigns/:campaignId/rollback')
  @HttpCode(200)
  @Roles(...FIRMWARE_ADMINS)
  @ApiOperation({ summary: 'Roll back: every device the campaign reached gets the rollback artifact' })
  @ApiBody({ schema: openApiSchema(rollbackInput), required: false })
  @ApiOkResponse({ schema: openApiSchema(campaignView, 'output') })
  @ApiProblems(400, 404, 409)
  rollback(
    @Tenant() tenant: string,
    @Param('campaignId', ParseUUIDPipe) id: string,
    @Body(new ZodValidationPipe(rollbackInput.optional().transform((body) => body ?? {})))
    input: RollbackInput,
  ) {
    return this.firmware.rollback(tenant, id, input);
  }
}
