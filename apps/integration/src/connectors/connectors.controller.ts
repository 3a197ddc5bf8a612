import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  ParseUUIDPipe,
  Patch,
  Post,
  Query,
} from '@nestjs/common';
import {
  ApiBody,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { Role, Roles, Tenant } from '@urbis/auth';
import { z } from 'zod';
import { ApiProblems } from '../common/api';
import { type PageQuery, pageQuery } from '../common/paging';
import { openApiSchema, ZodValidationPipe } from '../common/zod-validation.pipe';
import { INTEGRATION_READERS } from '../delivery/deliveries.controller';
import { list } from '../delivery/delivery.dto';
import {
  connectorInput,
  type ConnectorInput,
  connectorPatch,
  type ConnectorPatch,
  connectorView,
} from './connector.dto';
import { ConnectorsService } from './connectors.service';

/** Connectors reach into a city's systems: operators and tenant admins manage them. */
const CONNECTOR_WRITERS = [Role.PlatformAdmin, Role.TenantAdmin, Role.Operator, Role.Integrator];

@ApiTags('connectors')
@Controller('integration/v1/connectors')
export class ConnectorsController {
  constructor(private readonly connectors: ConnectorsService) {}

  @Post()
  @Roles(...CONNECTOR_WRITERS)
  @ApiOperation({
    summary: 'Create a connector (http-push, http-poll, opcua, modbus) with its JSONata mapping',
    description:
      'The mapping sees one reading and returns observations `{ entity: { id, type }, attributes, observedAt?, deviceId? }` (one or an array; attributes as a list of `{ name, value, type?, unitCode?, observedAt? }` or an object `{ name: value }`). http-push answers include `pushSecret`, shown once.',
  })
  @ApiBody({ schema: openApiSchema(connectorInput) })
  @ApiCreatedResponse({
    schema: openApiSchema(connectorView.extend({ pushSecret: z.string().optional() }), 'output'),
  })
  @ApiProblems(400, 409)
  create(@Tenant() tenant: string, @Body(new ZodValidationPipe(connectorInput)) body: ConnectorInput) {
    return this.connectors.create(tenant, body);
  }

  @Get()
  @Roles(...INTEGRATION_READERS)
  @ApiOperation({ summary: "The tenant's connectors with their status and metrics" })
  @ApiOkResponse({ schema: openApiSchema(list(connectorView), 'output') })
  @ApiProblems(400)
  list(@Tenant() tenant: string, @Query(new ZodValidationPipe(pageQuery)) query: PageQuery) {
    return this.connectors.list(tenant, query);
  }

  @Get(':id')
  @Roles(...INTEGRATION_READERS)
  @ApiOperation({
    summary: 'One connector: status (running, failing with the last error, paused...), metrics',
  })
  @ApiOkResponse({ schema: openApiSchema(connectorView, 'output') })
  @ApiProblems(400, 404)
  get(@Tenant() tenant: string, @Param('id', ParseUUIDPipe) id: string) {
    return this.connectors.get(tenant, id);
  }

  @Patch(':id')
  @Roles(...CONNECTOR_WRITERS)
  @ApiOperation({
    summary: 'Change the configuration or the mapping; a running connector restarts with them',
  })
  @ApiBody({ schema: openApiSchema(connectorPatch) })
  @ApiOkResponse({ schema: openApiSchema(connectorView, 'output') })
  @ApiProblems(400, 404)
  update(
    @Tenant() tenant: string,
    @Param('id', ParseUUIDPipe) id: string,
    @Body(new ZodValidationPipe(connectorPatch)) body: ConnectorPatch,
  ) {
    return this.connectors.update(tenant, id, body);
  }

  @Post(':id/start')
  @HttpCode(200)
  @Roles(...CONNECTOR_WRITERS)
  @ApiOperation({ summary: 'Start (or resume) the connector' })
  @ApiOkResponse({ schema: openApiSchema(connectorView, 'output') })
  @ApiProblems(400, 404)
  start(@Tenant() tenant: string, @Param('id', ParseUUIDPipe) id: string) {
    return this.connectors.setState(tenant, id, 'running');
  }

  @Post(':id/pause')
  @HttpCode(200)
  @Roles(...CONNECTOR_WRITERS)
  @ApiOperation({ summary: 'Pause: stay connected, produce nothing (push answers 503)' })
  @ApiOkResponse({ schema: openApiSchema(connectorView, 'output') })
  @ApiProblems(400, 404)
  pause(@Tenant() tenant: string, @Param('id', ParseUUIDPipe) id: string) {
    return this.connectors.setState(tenant, id, 'paused');
  }

  @Post(':id/stop')
  @HttpCode(200)
  @Roles(...CONNECTOR_WRITERS)
  @ApiOperation({ summary: 'Stop: disconnect and release it' })
  @ApiOkResponse({ schema: openApiSchema(connectorView, 'output') })
  @ApiProblems(400, 404)
  stop(@Tenant() tenant: string, @Param('id', ParseUUIDPipe) id: string) {
    return this.connectors.setState(tenant, id, 'stopped');
  }

  @Delete(':id')
  @HttpCode(204)
  @Roles(...CONNECTOR_WRITERS)
  @ApiOperation({ summary: 'Delete the connector' })
  @ApiNoContentResponse()
  @ApiProblems(400, 404)
  async remove(@Tenant() tenant: string, @Param('id', ParseUUIDPipe) id: string) {
    await this.connectors.remove(tenant, id);
  }
}
