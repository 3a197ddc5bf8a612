import { Module } from '@nestjs/common';
import { OutboxRelayModule } from '@urbis/runtime';

/** The one outbox relay of the service (status changes and command outcomes leave through it). */
@Module({
  imports: [OutboxRelayModule.forRoot({ pollIntervalMs: 500 })],
  exports: [OutboxRelayModule],
})
export class OutboxModule {}
