import { Body, Controller, Get, Param, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import { ApiBody, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, type Principal, Role, Roles, Tenant } from '@urbis/auth';
import { ApiProblems, openApiSchema, ZodValidationPipe } from '@urbis/runtime';
import { z } from 'zod';
import { DEVICE_READERS, deviceIdPipe } from '../devices/devices.controller';
import {
  commandHistoryQuery,
  type CommandHistoryQuery,
  commandRequest,
  type CommandRequest,
  commandView,
} from './command.dto';
import { CommandsService } from './commands.service';

@ApiTags('device commands')
@Controller('devices/v1/devices/:deviceId/commands')
export class CommandsController {
  constructor(private readonly commands: CommandsService) {}

  @Post()
  @Roles(Role.PlatformAdmin, Role.TenantAdmin, Role.Operator)
  @ApiOperation({ summary: 'Send a command to an active device; connectivity delivers it within its TTL' })
  @ApiBody({ schema: openApiSchema(commandRequest) })
  @ApiCreatedResponse({ schema: openApiSchema(commandView, 'output') })
  @ApiProblems(400, 404, 409)
  request(
    @Tenant() tenant: string,
    @CurrentPrincipal() caller: Principal,
    @Param('deviceId', deviceIdPipe) deviceId: string,
    @Body(new ZodValidationPipe(commandRequest)) body: CommandRequest,
  ) {
    return this.commands.request(tenant, deviceId, body, caller);
  }

  @Get()
  @Roles(...DEVICE_READERS)
  @ApiOperation({ summary: "A device's command history, newest first" })
  @ApiOkResponse({
    schema: openApiSchema(z.object({ items: z.array(commandView), total: z.number().int() }), 'output'),
  })
  @ApiProblems(400, 404)
  history(
    @Tenant() tenant: string,
    @Param('deviceId', deviceIdPipe) deviceId: string,
    @Query(new ZodValidationPipe(commandHistoryQuery)) query: CommandHistoryQuery,
  ) {
    return this.commands.history(tenant, deviceId, query);
  }

  @Get(':commandId')
  @Roles(...DEVICE_READERS)
  @ApiOperation({ summary: 'One command and its status' })
  @ApiOkResponse({ schema: openApiSchema(commandView, 'output') })
  @ApiProblems(400, 404)
  get(
    @Tenant() tenant: string,
    @Param('deviceId', deviceIdPipe) deviceId: string,
    @Param('commandId', ParseUUIDPipe) id: string,
  ) {
    return this.commands.get(tenant, deviceId, id);
  }
}
