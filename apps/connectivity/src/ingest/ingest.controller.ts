import { Body, Controller, Headers, HttpCode, Ip, Param, Post, Res } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBearerAuth,
  ApiBody,
  ApiConsumes,
  ApiOperation,
  ApiProperty,
  ApiResponse,
  ApiTags,
} from '@nestjs/swagger';
import { Public } from '@urbis/auth';
import type { FastifyReply } from 'fastify';
import { ConnectivityException } from '../problems';
import { type IngestAccepted, IngestService } from './ingest.service';

class IngestAcceptedDto implements IngestAccepted {
  @ApiProperty({ description: 'Id of the connectivity.uplink.received.v1 event', format: 'uuid' })
  eventId!: string;
  @ApiProperty({ format: 'date-time' })
  receivedAt!: string;
}

@ApiTags('ingest')
@Controller('ingest/v1')
export class IngestController {
  constructor(private readonly ingest: IngestService) {}

  /** Device-facing: no user token; the device's own token authenticates it. */
  @Public('device-credential')
  @Post(':tenant/devices/:deviceId')
  @HttpCode(202)
  @ApiBearerAuth()
  @ApiOperation({
    summary: 'A device posts a reading',
    description:
      'Authenticated by the device token (`Authorization: Bearer <token>`). Any content type; the body is forwarded as received. 202 only once Kafka acknowledged the uplink.',
  })
  @ApiConsumes('application/json', 'application/octet-stream', 'text/plain')
  @ApiBody({ schema: { type: 'string', format: 'binary' } })
  @ApiAcceptedResponse({ type: IngestAcceptedDto })
  @ApiResponse({ status: 400, description: 'Malformed tenant/device id, or empty body' })
  @ApiResponse({ status: 401, description: 'Missing or wrong device token, unknown device' })
  @ApiResponse({ status: 403, description: 'Device suspended or decommissioned' })
  @ApiResponse({ status: 413, description: 'Payload larger than the device limit' })
  @ApiResponse({ status: 429, description: 'Too many failed authentications (Retry-After)' })
  @ApiResponse({ status: 503, description: 'Kafka did not acknowledge; retry (Retry-After)' })
  async post(
    @Param('tenant') tenant: string,
    @Param('deviceId') deviceId: string,
    @Headers('authorization') authorization: string | undefined,
    @Headers('content-type') contentType: string | undefined,
    @Body() body: Buffer | undefined,
    @Ip() address: string,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<IngestAcceptedDto> {
    try {
      return await this.ingest.ingest({ tenant, deviceId, authorization, contentType, body, receivedAt: new Date(), address });
    } catch (error) {
      if (error instanceof ConnectivityException) applyProblemHeaders(reply, error);
      throw error;
    }
  }
}

/** Headers a problem implies: Retry-After for 429/503, a Bearer challenge for 401. */
export function applyProblemHeaders(reply: FastifyReply, error: ConnectivityException): void {
  const retryAfter = error.problem['retryAfterSeconds'];
  if (typeof retryAfter === 'number') void reply.header('Retry-After', String(Math.ceil(retryAfter)));
  if (error.problem.status === 401) void reply.header('WWW-Authenticate', 'Bearer realm="urbis-devices"');
}
