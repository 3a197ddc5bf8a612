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
import { Roles, Tenant } from '@urbis/auth';
import { z } from 'zod';
import { ApiProblems } from '../common/api';
import { type PageQuery, pageQuery } from '../common/paging';
import { openApiSchema, ZodValidationPipe } from '../common/zod-validation.pipe';
import { INTEGRATION_READERS, INTEGRATION_WRITERS } from '../delivery/deliveries.controller';
import { list } from '../delivery/delivery.dto';
import {
  eventTypeCatalogue,
  rotateRequest,
  type RotateRequest,
  webhookInput,
  type WebhookInput,
  webhookPatch,
  type WebhookPatch,
  webhookView,
  webhookWithSecret,
} from './webhook.dto';
import { WebhooksService } from './webhooks.service';

@ApiTags('webhooks')
@Controller('integration/v1/webhooks')
export class WebhooksController {
  constructor(private readonly webhooks: WebhooksService) {}

  @Get('event-types')
  @Roles(...INTEGRATION_READERS)
  @ApiOperation({ summary: 'The platform event types a webhook can take (AsyncAPI: docs/asyncapi.yaml)' })
  @ApiOkResponse({
    schema: openApiSchema(
      z.object({ items: z.array(z.object({ type: z.string(), summary: z.string() })) }),
      'output',
    ),
  })
  @ApiProblems()
  eventTypes() {
    return { items: eventTypeCatalogue };
  }

  @Post()
  @Roles(...INTEGRATION_WRITERS)
  @ApiOperation({
    summary:
      'Register a webhook; the answer carries its signing secret, once. Requests carry `Urbis-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`',
  })
  @ApiBody({ schema: openApiSchema(webhookInput) })
  @ApiCreatedResponse({ schema: openApiSchema(webhookWithSecret, 'output') })
  @ApiProblems(400, 409)
  create(@Tenant() tenant: string, @Body(new ZodValidationPipe(webhookInput)) body: WebhookInput) {
    return this.webhooks.create(tenant, body);
  }

  @Get()
  @Roles(...INTEGRATION_READERS)
  @ApiOperation({ summary: "The tenant's webhooks" })
  @ApiOkResponse({ schema: openApiSchema(list(webhookView), 'output') })
  @ApiProblems(400)
  list(@Tenant() tenant: string, @Query(new ZodValidationPipe(pageQuery)) query: PageQuery) {
    return this.webhooks.list(tenant, query);
  }

  @Get(':id')
  @Roles(...INTEGRATION_READERS)
  @ApiOperation({ summary: 'One webhook (its secrets by id and validity, never their value)' })
  @ApiOkResponse({ schema: openApiSchema(webhookView, 'output') })
  @ApiProblems(400, 404)
  get(@Tenant() tenant: string, @Param('id', ParseUUIDPipe) id: string) {
    return this.webhooks.get(tenant, id);
  }

  @Patch(':id')
  @Roles(...INTEGRATION_WRITERS)
  @ApiOperation({
    summary: 'Change the URL, event types, filter (null removes it) or pause it (active false)',
  })
  @ApiBody({ schema: openApiSchema(webhookPatch) })
  @ApiOkResponse({ schema: openApiSchema(webhookView, 'output') })
  @ApiProblems(400, 404)
  update(
    @Tenant() tenant: string,
    @Param('id', ParseUUIDPipe) id: string,
    @Body(new ZodValidationPipe(webhookPatch)) body: WebhookPatch,
  ) {
    return this.webhooks.update(tenant, id, body);
  }

  @Delete(':id')
  @HttpCode(204)
  @Roles(...INTEGRATION_WRITERS)
  @ApiOperation({
    summary: 'Delete a webhook; its pending deliveries are dead-lettered, never sent unsigned',
  })
  @ApiNoContentResponse()
  @ApiProblems(400, 404)
  async remove(@Tenant() tenant: string, @Param('id', ParseUUIDPipe) id: string) {
    await this.webhooks.remove(tenant, id);
  }

  @Post(':id/rotate-secret')
  @Roles(...INTEGRATION_WRITERS)
  @ApiOperation({
    summary: 'A new signing secret (shown once); the previous one also signs until previousValidUntil',
  })
  @ApiBody({ schema: openApiSchema(rotateRequest) })
  @ApiCreatedResponse({
    schema: openApiSchema(webhookWithSecret.extend({ previousValidUntil: z.iso.datetime() }), 'output'),
  })
  @ApiProblems(400, 404)
  rotate(
    @Tenant() tenant: string,
    @Param('id', ParseUUIDPipe) id: string,
    @Body(new ZodValidationPipe(rotateRequest)) body: RotateRequest,
  ) {
    return this.webhooks.rotate(tenant, id, body ?? {});
  }
}
