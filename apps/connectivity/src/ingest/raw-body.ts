import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { SERVICE_CONFIG } from '@urbis/runtime';
import type { FastifyInstance } from 'fastify';
import type { ConnectivityConfig } from '../config';

/** Room above the largest per-device limit, so a too-large body still reaches the 413 with its problem body. */
const BODY_LIMIT_HEADROOM = 2;

/**
 * Connectivity keeps request bodies as raw bytes, whatever their content type: an uplink is
 * forwarded exactly as the device sent it (JSON included), and the webhook routes validate
 * their JSON themselves with zod.
 */
@Injectable()
export class RawBodyParser implements OnModuleInit {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    @Inject(SERVICE_CONFIG) private readonly config: ConnectivityConfig,
  ) {}

  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    fastify.removeAllContentTypeParsers();
    fastify.addContentTypeParser(
      '*',
      { parseAs: 'buffer', bodyLimit: Math.max(this.config.limits.maxPayloadBytes, 1024 * 1024) * BODY_LIMIT_HEADROOM },
      (_request, body, done) => done(null, body),
    );
  }
}
