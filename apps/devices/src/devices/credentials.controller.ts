import { Body, Controller, Delete, Get, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { ApiBody, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Audited } from '@urbis/audit';
import { Role, Roles, Tenant } from '@urbis/auth';
import { ApiProblems, openApiSchema, ZodValidationPipe } from '@urbis/runtime';
import { z } from 'zod';
import {
  credentialRequest,
  type CredentialRequest,
  credentialView,
  issuedCredential,
} from './credential.dto';
import { CredentialsService } from './credentials.service';
import { deviceIdPipe } from './devices.controller';

const CREDENTIAL_ADMINS = [Role.PlatformAdmin, Role.TenantAdmin, Role.Operator];

@ApiTags('device credentials')
@Controller('devices/v1/devices/:deviceId/credentials')
export class CredentialsController {
  constructor(private readonly credentials: CredentialsService) {}

  @Post()
  @Roles(...CREDENTIAL_ADMINS)
  @Audited({ action: 'devices.credential.issue', resource: 'device', idParam: 'deviceId' })
  @ApiOperation({
    summary:
      'Issue a device token (returned once). If the device has one, this is a rotation: the old one stays valid for the overlap',
  })
  @ApiBody({ schema: openApiSchema(credentialRequest), required: false })
  @ApiCreatedResponse({ schema: openApiSchema(issuedCredential, 'output') })
  @ApiProblems(400, 404, 409)
  issue(
    @Tenant() tenant: string,
    @Param('deviceId', deviceIdPipe) deviceId: string,
    @Body(new ZodValidationPipe(credentialRequest.optional().transform((body) => body ?? {})))
    request: CredentialRequest,
  ) {
    return this.credentials.issue(tenant, deviceId, request);
  }

  @Get()
  @Roles(...CREDENTIAL_ADMINS, Role.Auditor)
  @ApiOperation({ summary: "A device's credentials and their validity (never the tokens)" })
  @ApiOkResponse({ schema: openApiSchema(z.object({ items: z.array(credentialView) }), 'output') })
  @ApiProblems(400, 404)
  list(@Tenant() tenant: string, @Param('deviceId', deviceIdPipe) deviceId: string) {
    return this.credentials.list(tenant, deviceId);
  }

  @Delete(':credentialId')
  @Roles(...CREDENTIAL_ADMINS)
  @Audited({ action: 'devices.credential.revoke', resource: 'credential', idParam: 'credentialId' })
  @ApiOperation({ summary: 'Revoke a credential now' })
  @ApiOkResponse({ schema: openApiSchema(credentialView, 'output') })
  @ApiProblems(400, 404, 409)
  revoke(
    @Tenant() tenant: string,
    @Param('deviceId', deviceIdPipe) deviceId: string,
    @Param('credentialId', ParseUUIDPipe) credentialId: string,
  ) {
    return this.credentials.revoke(tenant, deviceId, credentialId);
  }
}
