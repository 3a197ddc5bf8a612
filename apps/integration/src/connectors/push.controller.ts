import { Body, Controller, Headers, HttpCode, Ip, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBody, ApiHeader, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { Public } from '@urbis/auth';
import { z } from 'zod';
import { openApiSchema } from '../common/zod-validation.pipe';
import { ConnectorsService } from './connectors.service';

@ApiTags('connectors')
@Controller('integration/v1/push')
export class PushController {
  constructor(private readonly connectors: ConnectorsService) {}

  /** System-facing: no user token; the connector's push secret authenticates the caller. */
  @Public('shared-secret')
  @Post(':connectorId')
  @HttpCode(202)
  @ApiOperation({
    summary: 'An external system posts readings to an http-push connector',
    description:
      "Authenticated by the connector's push secret (`Authorization: Bearer <secret>` or `X-Urbis-Push-Secret`). JSON bodies are parsed, anything else is given to the mapping as text. 202 once the observations are on Kafka.",
  })
  @ApiHeader({ name: 'X-Urbis-Push-Secret', required: false })
  @ApiBody({ schema: { type: 'object' } })
  @ApiAcceptedResponse({
    schema: openApiSchema(
      z.object({ observations: z.number().int(), eventIds: z.array(z.uuid()) }),
      'output',
    ),
  })
  @ApiResponse({ status: 400, description: 'Unreadable body (e.g. malformed JSON)' })
  @ApiResponse({ status: 401, description: 'Unknown connector or wrong secret' })
  @ApiResponse({ status: 413, description: 'Larger than the connector takes' })
  @ApiResponse({
    status: 422,
    description: 'The mapping could not make observations of it (the reason is in detail)',
  })
  @ApiResponse({ status: 503, description: 'The connector is paused or stopped' })
  push(
    @Param('connectorId', ParseUUIDPipe) id: string,
    @Headers('authorization') authorization: string | undefined,
    @Headers('x-urbis-push-secret') pushSecret: string | undefined,
    @Headers('content-type') contentType: string | undefined,
    @Headers('content-length') contentLength: string | undefined,
    @Ip() address: string,
    @Body() body: unknown,
  ) {
    const bearer = authorization?.match(/^Bearer\s+(\S+)$/i)?.[1];
    const size = Number(
      contentLength ??
        (typeof body === 'string' ? Buffer.byteLength(body) : JSON.stringify(body ?? '').length),
    );
    return this.connectors.push(id, pushSecret ?? bearer, body, contentType ?? '', size, address);
  }
}
