import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBody, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Role, Roles, Tenant } from '@urbis/auth';
import { z } from 'zod';
import { ApiProblems } from '../common/api';
import { type PageQuery, pageQuery } from '../common/paging';
import { openApiSchema, ZodValidationPipe } from '../common/zod-validation.pipe';
import { DeliveriesService } from './deliveries.service';
import {
  attemptQuery,
  type AttemptQuery,
  attemptView,
  deadLetterQuery,
  type DeadLetterQuery,
  deliveryDetail,
  deliveryQuery,
  type DeliveryQuery,
  deliveryView,
  endpointView,
  list,
  replayRequest,
  type ReplayRequest,
} from './delivery.dto';

export const INTEGRATION_READERS = [
  Role.PlatformAdmin,
  Role.TenantAdmin,
  Role.Operator,
  Role.Integrator,
  Role.Auditor,
];
export const INTEGRATION_WRITERS = [Role.PlatformAdmin, Role.TenantAdmin, Role.Operator, Role.Integrator];

@ApiTags('deliveries')
@Controller('integration/v1')
export class DeliveriesController {
  constructor(private readonly deliveries: DeliveriesService) {}

  @Get('deliveries')
  @Roles(...INTEGRATION_READERS)
  @ApiOperation({ summary: 'Deliveries (NGSI-LD notifications and webhooks), newest first' })
  @ApiOkResponse({ schema: openApiSchema(list(deliveryView), 'output') })
  @ApiProblems(400)
  list(@Tenant() tenant: string, @Query(new ZodValidationPipe(deliveryQuery)) query: DeliveryQuery) {
    return this.deliveries.list(tenant, query);
  }

  @Get('deliveries/:id')
  @Roles(...INTEGRATION_READERS)
  @ApiOperation({ summary: 'One delivery: its payload, headers and every attempt' })
  @ApiOkResponse({ schema: openApiSchema(deliveryDetail, 'output') })
  @ApiProblems(400, 404)
  get(@Tenant() tenant: string, @Param('id', ParseUUIDPipe) id: string) {
    return this.deliveries.get(tenant, id);
  }

  @Get('attempts')
  @Roles(...INTEGRATION_READERS)
  @ApiOperation({ summary: 'The delivery log: every attempt, newest first' })
  @ApiOkResponse({ schema: openApiSchema(list(attemptView), 'output') })
  @ApiProblems(400)
  attempts(@Tenant() tenant: string, @Query(new ZodValidationPipe(attemptQuery)) query: AttemptQuery) {
    return this.deliveries.attempts(tenant, query);
  }

  @Get('dead-letters')
  @Roles(...INTEGRATION_READERS)
  @ApiOperation({ summary: 'Deliveries that were given up on, newest first' })
  @ApiOkResponse({ schema: openApiSchema(list(deliveryView), 'output') })
  @ApiProblems(400)
  deadLetters(
    @Tenant() tenant: string,
    @Query(new ZodValidationPipe(deadLetterQuery)) query: DeadLetterQuery,
  ) {
    return this.deliveries.deadLetters(tenant, query);
  }

  @Get('dead-letters/:id')
  @Roles(...INTEGRATION_READERS)
  @ApiOperation({ summary: 'Inspect a dead letter: payload, headers, every attempt and why it was given up' })
  @ApiOkResponse({ schema: openApiSchema(deliveryDetail, 'output') })
  @ApiProblems(400, 404)
  deadLetter(@Tenant() tenant: string, @Param('id', ParseUUIDPipe) id: string) {
    return this.deliveries.get(tenant, id, true);
  }

  @Post('dead-letters/:id/replay')
  @HttpCode(202)
  @Roles(...INTEGRATION_WRITERS)
  @ApiOperation({
    summary: 'Replay a dead letter: it goes back to the end of its queue with the same Idempotency-Key',
  })
  @ApiAcceptedResponse({ schema: openApiSchema(deliveryDetail, 'output') })
  @ApiProblems(400, 404, 409)
  replayOne(@Tenant() tenant: string, @Param('id', ParseUUIDPipe) id: string) {
    return this.deliveries.replayOne(tenant, id);
  }

  @Post('dead-letters/replay')
  @HttpCode(202)
  @Roles(...INTEGRATION_WRITERS)
  @ApiOperation({ summary: "Replay many dead letters: by id, or an endpoint's (oldest first, up to limit)" })
  @ApiBody({ schema: openApiSchema(replayRequest) })
  @ApiAcceptedResponse({
    schema: openApiSchema(z.object({ replayed: z.number().int(), ids: z.array(z.uuid()) }), 'output'),
  })
  @ApiProblems(400, 404)
  replay(@Tenant() tenant: string, @Body(new ZodValidationPipe(replayRequest)) body: ReplayRequest) {
    return this.deliveries.replay(tenant, body);
  }

  @Get('endpoints')
  @Roles(...INTEGRATION_READERS)
  @ApiOperation({ summary: 'Destinations with their queue length and circuit breaker' })
  @ApiOkResponse({ schema: openApiSchema(list(endpointView), 'output') })
  @ApiProblems(400)
  endpoints(@Tenant() tenant: string, @Query(new ZodValidationPipe(pageQuery)) query: PageQuery) {
    return this.deliveries.endpoints(tenant, query);
  }

  @Get('endpoints/:id')
  @Roles(...INTEGRATION_READERS)
  @ApiOperation({ summary: 'One destination: queue length and circuit breaker' })
  @ApiOkResponse({ schema: openApiSchema(endpointView, 'output') })
  @ApiProblems(400, 404)
  endpoint(@Tenant() tenant: string, @Param('id', ParseUUIDPipe) id: string) {
    return this.deliveries.endpoint(tenant, id);
  }
}
