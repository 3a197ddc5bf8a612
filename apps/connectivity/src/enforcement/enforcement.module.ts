import { Global, Inject, Module, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { EventConsumer } from '@urbis/messaging';
import type { Logger } from '@urbis/observability';
import { KAFKA, messagingLogger, PROBLEM_CONTENT_TYPE, SERVICE_CONFIG, SERVICE_LOGGER, ServiceLifecycle } from '@urbis/runtime';
import type { FastifyInstance } from 'fastify';
import type { Kafka } from 'kafkajs';
import type { ConnectivityConfig } from '../config';
import { ConnectivityMetrics } from '../metrics/connectivity-metrics';
import { AddressBlocklist } from './address-blocklist';
import { EnforcementService } from './enforcement.service';

export const ENFORCEMENT_CONSUMER = Symbol.for('urbis.connectivity.enforcement-consumer');

/** The device-facing HTTP routes: a blocked address may not use them either. */
const DEVICE_ROUTES = /^\/(ingest|lorawan)\/v1\//;

/**
 * Security's enforcement requests on this replica (worker `enforcement`, a consumer group of its
 * own per replica: every replica must apply every block). The MQTT server refuses blocked
 * addresses before CONNACK (LimitsService); the device-facing HTTP routes answer 403.
 */
@Global()
@Module({
  providers: [
    AddressBlocklist,
    EnforcementService,
    {
      provide: ENFORCEMENT_CONSUMER,
      inject: [KAFKA, SERVICE_CONFIG, SERVICE_LOGGER, ServiceLifecycle, EnforcementService],
      useFactory: (kafka: Kafka, config: ConnectivityConfig, logger: Logger, lifecycle: ServiceLifecycle, enforcement: EnforcementService) => {
        const consumer = new EventConsumer({
          kafka,
          groupId: `urbis-connectivity-enforcement-${config.replicaId}`,
          logger: messagingLogger(logger),
          fromBeginning: true,
          subscriptions: { 'security.enforcement.requested.v2': (events) => enforcement.handle(events) },
        });
        lifecycle.addWorker({ name: 'enforcement', start: () => consumer.start(), stop: () => consumer.stop(), isRunning: () => consumer.isRunning() });
        return consumer;
      },
    },
  ],
  exports: [AddressBlocklist],
})
export class EnforcementModule implements OnModuleInit {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly blocklist: AddressBlocklist,
    private readonly metrics: ConnectivityMetrics,
    @Inject(SERVICE_LOGGER) private readonly logger: Logger,
  ) {}

  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    fastify.addHook('onRequest', (request, reply, done) => {
      if (!DEVICE_ROUTES.test(request.url)) return done();
      const until = this.blocklist.blockedUntil(request.ip);
      if (until === undefined) return done();
      this.metrics.rejected('http', 'address-blocked');
      this.logger.info({ address: request.ip, url: request.url }, 'request from a blocked address refused');
      const retryAfter = Math.max(1, Math.ceil((until - Date.now()) / 1000));
      void reply
        .status(403)
        .header('Content-Type', PROBLEM_CONTENT_TYPE)
        .header('Retry-After', String(retryAfter))
        .send(JSON.stringify({ type: 'https://urbis.city/problems/connectivity/address-blocked', title: 'Address blocked', status: 403, detail: 'Requests from this address are refused for a while.', code: 'address-blocked' }));
    });
  }
}
