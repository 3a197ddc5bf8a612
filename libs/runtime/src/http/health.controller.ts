import { Controller, Get, HttpStatus, Res } from '@nestjs/common';
import { ApiOkResponse, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { Public } from '@urbis/auth';
import type { FastifyReply } from 'fastify';
import { ServiceLifecycle } from '../lifecycle/service-lifecycle';

@ApiTags('health')
@Public()
@Controller('health')
export class HealthController {
  constructor(private readonly lifecycle: ServiceLifecycle) {}

  /** The process is up and serving HTTP. */
  @Get('live')
  @ApiOkResponse({ description: 'The process is up.' })
  live(): { status: 'up' } {
    return { status: 'up' };
  }

  /** Every readiness check passes: database, broker, consumers and relay. */
  @Get('ready')
  @ApiOkResponse({ description: 'Ready: every check passes.' })
  @ApiServiceUnavailableResponse({ description: 'Not ready: the body lists each check and its state.' })
  async ready(@Res() reply: FastifyReply): Promise<void> {
    const report = await this.lifecycle.readiness();
    await reply
      .status(report.ready ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE)
      .header('Cache-Control', 'no-store')
      .send({ status: report.ready ? 'ready' : 'not-ready', checks: report.checks });
  }
}
