import { Module, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { Logger } from '@urbis/observability';
import { SERVICE_CONFIG, SERVICE_LOGGER, ServiceLifecycle } from '@urbis/runtime';
import type { FastifyInstance } from 'fastify';
import type { IntegrationConfig } from '../config';
import { DestinationGuard } from '../outbound/destination-guard';
import { OutboundHttp } from '../outbound/outbound-http';
import { OutboundModule } from '../outbound/outbound.module';
import { ConnectorSupervisor } from './connector-supervisor';
import { ConnectorsController } from './connectors.controller';
import { ConnectorsRepository } from './connectors.repository';
import { ConnectorsService } from './connectors.service';
import { ObservationSink } from './observation-sink';
import { PushController } from './push.controller';

/** The largest push body any connector may take (each connector sets its own, lower, limit). */
const PUSH_BODY_LIMIT = 10_485_760;

/** Inbound connectors: configured through the API, run by the supervisor, producing observations. */
@Module({
  imports: [OutboundModule],
  controllers: [ConnectorsController, PushController],
  providers: [
    ConnectorsRepository,
    ObservationSink,
    ConnectorsService,
    {
      provide: ConnectorSupervisor,
      inject: [
        ConnectorsRepository,
        ObservationSink,
        DestinationGuard,
        OutboundHttp,
        SERVICE_CONFIG,
        SERVICE_LOGGER,
        ServiceLifecycle,
        ConnectorsService,
      ],
      useFactory: (
        repository: ConnectorsRepository,
        sink: ObservationSink,
        guard: DestinationGuard,
        http: OutboundHttp,
        config: IntegrationConfig,
        logger: Logger,
        lifecycle: ServiceLifecycle,
        service: ConnectorsService,
      ) => {
        const supervisor = new ConnectorSupervisor(repository, sink, guard, http, config, logger);
        service.attach(supervisor);
        lifecycle.addWorker(supervisor);
        return supervisor;
      },
    },
  ],
})
export class ConnectorsModule implements OnModuleInit {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    // Pushed readings come as CSV, XML, plain text...: what JSON and text parsers do not take
    // reaches the mapping as text. JSON bodies up to the push limit.
    fastify.addContentTypeParser(
      '*',
      { parseAs: 'string', bodyLimit: PUSH_BODY_LIMIT },
      (_request, body, done) => done(null, body),
    );
    fastify.removeContentTypeParser('application/json');
    fastify.addContentTypeParser(
      'application/json',
      { parseAs: 'string', bodyLimit: PUSH_BODY_LIMIT },
      fastify.getDefaultJsonParser('error', 'error'),
    );
  }
}
