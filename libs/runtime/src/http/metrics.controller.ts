import { Controller, Get, Res, type Type } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { Public } from '@urbis/auth';
import { renderMetrics } from '@urbis/observability';
import type { FastifyReply } from 'fastify';

/**
 * `/metrics` in the Prometheus text format. Public unless METRICS_PUBLIC=false, in which case
 * the scraper presents a token like any other caller.
 */
export function metricsController(isPublic: boolean): Type {
  @ApiExcludeController()
  @Controller('metrics')
  class MetricsController {
    @Get()
    async metrics(@Res() reply: FastifyReply): Promise<void> {
      const { contentType, body } = await renderMetrics();
      await reply.header('Content-Type', contentType).header('Cache-Control', 'no-store').send(body);
    }
  }
  if (isPublic) Public()(MetricsController);
  return MetricsController;
}
