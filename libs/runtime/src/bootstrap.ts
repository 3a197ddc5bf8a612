import { type DynamicModule, HttpStatus, Module, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { AuditModule } from '@urbis/audit';
import { AuthModule } from '@urbis/auth';
import { type ServiceName, SERVICES } from '@urbis/contracts';
import { createLogger, type Logger, NestPinoLogger, recordHttpRoute, shutdownTelemetry } from '@urbis/observability';
import type { BaseConfig } from './config/base-config';
import { PROBLEM_CONTENT_TYPE } from './errors/problem';
import { ServiceLifecycle } from './lifecycle/service-lifecycle';
import { MessagingRuntimeModule } from './messaging/messaging.module';
import { RuntimeModule } from './runtime.module';

export interface BootstrapOptions {
  /** The service name (logs, OpenAPI title); default `config.service.name`. */
  name?: string;
  /** The service's root module (its features, DatabaseModule, OutboxRelayModule...). */
  module: Type | DynamicModule;
  config: BaseConfig;
  /**
   * Run as the process's service (default true): on SIGTERM/SIGINT shut down and exit 0 (1
   * if SHUTDOWN_TIMEOUT_MS passes first); a boot failure exits 1. Tests pass false and call
   * `shutdown()` themselves; a boot failure then rejects.
   */
  ownProcess?: boolean;
  /** Kafka client, publisher and broker check (default true). */
  messaging?: boolean;
  /** Default: a pino logger at LOG_LEVEL on stdout. */
  logger?: Logger;
  /** Port to listen on instead of config.http.port (tests pass 0). */
  port?: number;
}

export interface RunningService {
  app: NestFastifyApplication;
  /** e.g. `http://127.0.0.1:8082` */
  url: string;
  lifecycle: ServiceLifecycle;
  /** The graceful shutdown a SIGTERM triggers, without exiting the process. Idempotent. */
  shutdown(signal?: string): Promise<void>;
}

const isServiceName = (name: string): name is ServiceName => (SERVICES as readonly string[]).includes(name);

function rootModule(options: BootstrapOptions, name: string, logger: Logger): DynamicModule {
  const { config } = options;
  const messaging = options.messaging !== false;
  @Module({})
  class UrbisServiceRoot {}
  return {
    module: UrbisServiceRoot,
    imports: [
      RuntimeModule.forRoot(config, logger),
      AuthModule.forRoot({ realmUrl: config.auth.issuerUrl, clientId: config.auth.clientId, ...(config.auth.anonymous && { anonymous: config.auth.anonymous }) }),
      ...(messaging ? [MessagingRuntimeModule.forRoot()] : []),
      // Audit records (and the guard's refusals as records) for every platform service.
      ...(messaging && isServiceName(name) ? [AuditModule.forRoot({ source: name, logger })] : []),
      options.module,
    ],
  };
}

function setUpOpenApi(app: NestFastifyApplication, name: string): void {
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle(`Urbis ${name}`)
      .setDescription(`The ${name} service API.`)
      .addBearerAuth()
      .build(),
  );
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json' });
}

/** Each request's server span and duration metric carry the route it matched (`http.route`). */
function nameRequestsByRoute(app: NestFastifyApplication): void {
  app
    .getHttpAdapter()
    .getInstance()
    .addHook('onRequest', (request, _reply, done) => {
      const route = request.routeOptions.url;
      if (route) recordHttpRoute(route);
      done();
    });
}

/**
 * Once shutdown began, new requests are refused (503) and responses to those in flight close
 * their connection, so that closing the server does not wait out keep-alive timeouts.
 */
function refuseNewRequestsWhenStopping(app: NestFastifyApplication, lifecycle: ServiceLifecycle): void {
  const fastify = app.getHttpAdapter().getInstance();
  fastify.addHook('onSend', (_request, reply, payload, done) => {
    if (lifecycle.isStopping) reply.header('Connection', 'close');
    done(null, payload);
  });
  fastify.addHook('onRequest', (_request, reply, done) => {
    if (!lifecycle.isStopping) return done();
    reply
      .status(HttpStatus.SERVICE_UNAVAILABLE)
      .header('Content-Type', PROBLEM_CONTENT_TYPE)
      .send(
        JSON.stringify({
          type: 'about:blank',
          title: 'Service Unavailable',
          status: 503,
          detail: 'The service is shutting down.',
        }),
      );
  });
}

/**
 * Boots a service: NestJS on Fastify, the runtime (config, logger, health, metrics, problem
 * details, auth, Kafka), OpenAPI at /docs (JSON at /docs-json), then listens.
 */
export async function bootstrapService(options: BootstrapOptions): Promise<RunningService> {
  const { config } = options;
  const name = options.name ?? config.service.name;
  const ownProcess = options.ownProcess ?? true;
  const logger = options.logger ?? createLogger({ service: name, level: config.log.level });

  let app: NestFastifyApplication;
  try {
    app = await NestFactory.create<NestFastifyApplication>(
      rootModule(options, name, logger),
      // Clients (the ETSI NGSI-LD test suite among them) add trailing slashes; entity ids in
      // paths are URIs, often longer than find-my-way's default of 100 characters.
      new FastifyAdapter({ routerOptions: { ignoreTrailingSlash: true, maxParamLength: 2048 } }),
      {
        bufferLogs: true,
        abortOnError: false,
      },
    );
    app.useLogger(new NestPinoLogger(logger));
    app.flushLogs();
    const lifecycle = app.get(ServiceLifecycle);
    refuseNewRequestsWhenStopping(app, lifecycle);
    nameRequestsByRoute(app);
    setUpOpenApi(app, name);
    await app.listen({ host: config.http.host, port: options.port ?? config.http.port });
  } catch (error) {
    logger.fatal({ err: error }, `${name} failed to start`);
    if (!ownProcess) throw error;
    await shutdownTelemetry().catch(() => undefined);
    process.exit(1);
  }

  const lifecycle = app.get(ServiceLifecycle);
  lifecycle.attachHttpServer(app.getHttpServer());
  const address = app.getHttpServer().address();
  const port = typeof address === 'object' && address ? address.port : config.http.port;
  const host = config.http.host === '0.0.0.0' ? '127.0.0.1' : config.http.host;
  const url = `http://${host}:${port}`;

  let closing: Promise<void> | undefined;
  const shutdown = (signal?: string): Promise<void> =>
    (closing ??= (async () => {
      logger.info({ signal }, `${name} shutting down`);
      await app.close();
      logger.info(`${name} stopped`);
    })());

  if (ownProcess) {
    const onSignal = (signal: NodeJS.Signals) => {
      const deadline = setTimeout(() => {
        logger.fatal(
          { timeoutMs: config.shutdown.timeoutMs, ...lifecycle.shutdownProgress },
          'shutdown timed out; exiting',
        );
        process.exit(1);
      }, config.shutdown.timeoutMs);
      deadline.unref();
      shutdown(signal)
        .then(() => shutdownTelemetry())
        .then(
          () => process.exit(0),
          (error: unknown) => {
            logger.fatal({ err: error }, 'shutdown failed');
            process.exit(1);
          },
        );
    };
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
  }

  logger.info({ url }, `${name} listening`);
  return { app, url, lifecycle, shutdown };
}
