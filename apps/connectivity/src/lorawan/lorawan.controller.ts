import { Body, Controller, Headers, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiBody, ApiOperation, ApiProperty, ApiPropertyOptional, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import { Public } from '@urbis/auth';
import type { FastifyReply } from 'fastify';
import { ZodError } from 'zod';
import { applyProblemHeaders } from '../ingest/ingest.controller';
import { ConnectivityException } from '../problems';
import { LorawanService, type WebhookAccepted } from './lorawan.service';
import { CHIRPSTACK_EVENTS, type ChirpstackEvent, type NetworkServer, type NetworkServerMessage, parseChirpstack, parseTts } from './network-server-messages';

class WebhookAcceptedDto implements WebhookAccepted {
  @ApiProperty()
  deviceId!: string;
  @ApiProperty({ enum: ['uplink', 'join', 'status'] })
  kind!: 'uplink' | 'join' | 'status';
  @ApiPropertyOptional({ format: 'uuid' })
  eventId?: string;
  @ApiPropertyOptional()
  duplicate?: boolean;
}

/** ChirpStack's other events (ack, txack, log, location, integration) are acknowledged and ignored. */
const IGNORED = 'ignored';

@ApiTags('lorawan')
@Controller('lorawan/v1/:tenant')
export class LorawanController {
  constructor(private readonly lorawan: LorawanService) {}

  @Public('shared-secret')
  @Post('chirpstack')
  @HttpCode(202)
  @ApiBearerAuth()
  @ApiOperation({
    summary: 'ChirpStack v4 HTTP integration (JSON)',
    description: 'Authenticated by the tenant’s webhook secret (`Authorization: Bearer <secret>`). Handles `up`, `join` and `status`; other events are acknowledged and ignored.',
  })
  @ApiQuery({ name: 'event', required: true, description: 'ChirpStack event type (up, join, status, ack, txack, log, location, integration)' })
  @ApiBody({ schema: { type: 'object' } })
  @ApiAcceptedResponse({ type: WebhookAcceptedDto })
  @ApiResponse({ status: 400, description: 'Invalid JSON or event body' })
  @ApiResponse({ status: 401, description: 'Wrong or missing webhook secret' })
  @ApiResponse({ status: 404, description: 'No device with this DevEUI' })
  @ApiResponse({ status: 409, description: 'Frame counter below the last accepted one (replay)' })
  async chirpstack(
    @Param('tenant') tenant: string,
    @Query('event') event: string | undefined,
    @Headers('authorization') authorization: string | undefined,
    @Body() body: Buffer | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<WebhookAcceptedDto | { status: typeof IGNORED }> {
    return this.handle(reply, tenant, authorization, body, 'chirpstack-v4', (json) => {
      if (!event) throw this.lorawan.refuseBody('The `event` query parameter is required.');
      if (!(CHIRPSTACK_EVENTS as readonly string[]).includes(event)) return null;
      return parseChirpstack(event as ChirpstackEvent, json);
    });
  }

  @Public('shared-secret')
  @Post('tts')
  @HttpCode(202)
  @ApiBearerAuth()
  @ApiOperation({
    summary: 'The Things Stack v3 webhook',
    description: 'Authenticated by the tenant’s webhook secret (`Authorization: Bearer <secret>`). Handles uplink messages and join-accepts; other message types are acknowledged and ignored.',
  })
  @ApiBody({ schema: { type: 'object' } })
  @ApiAcceptedResponse({ type: WebhookAcceptedDto })
  @ApiResponse({ status: 400, description: 'Invalid JSON or message body' })
  @ApiResponse({ status: 401, description: 'Wrong or missing webhook secret' })
  @ApiResponse({ status: 404, description: 'No device with this DevEUI' })
  @ApiResponse({ status: 409, description: 'Frame counter below the last accepted one (replay)' })
  async tts(
    @Param('tenant') tenant: string,
    @Headers('authorization') authorization: string | undefined,
    @Body() body: Buffer | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<WebhookAcceptedDto | { status: typeof IGNORED }> {
    return this.handle(reply, tenant, authorization, body, 'tts-v3', (json) => {
      const isObject = typeof json === 'object' && json !== null;
      if (isObject && !('uplink_message' in json) && !('join_accept' in json)) return null;
      return parseTts(json);
    });
  }

  private async handle(
    reply: FastifyReply,
    tenant: string,
    authorization: string | undefined,
    body: Buffer | undefined,
    networkServer: NetworkServer,
    parse: (json: unknown) => NetworkServerMessage | null,
  ): Promise<WebhookAcceptedDto | { status: typeof IGNORED }> {
    try {
      this.lorawan.authenticate(tenant, authorization, reply.request.ip);
      let json: unknown;
      try {
        json = JSON.parse((body ?? Buffer.alloc(0)).toString('utf8'));
      } catch (error) {
        throw this.lorawan.refuseBody(`The body is not JSON: ${(error as Error).message}`);
      }
      let message: NetworkServerMessage | null;
      try {
        message = parse(json);
      } catch (error) {
        if (!(error instanceof ZodError)) throw error;
        throw this.lorawan.refuseBody(
          `The body is not a valid ${networkServer} message.`,
          error.issues.map((issue) => ({ path: issue.path.map(String).join('.'), message: issue.message })),
        );
      }
      if (!message) return { status: IGNORED };
      return await this.lorawan.accept(tenant, networkServer, message);
    } catch (error) {
      if (error instanceof ConnectivityException) applyProblemHeaders(reply, error);
      throw error;
    }
  }
}
