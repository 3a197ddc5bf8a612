import { Global, Module } from '@nestjs/common';
import { OutboxRelayModule } from '@urbis/runtime';

const relay = OutboxRelayModule.forRoot({ pollIntervalMs: 200 });

/** One outbox relay for the service, injectable everywhere (services `nudge()` it after a commit). */
@Global()
@Module({ imports: [relay], exports: [relay] })
export class OutboxModule {}
