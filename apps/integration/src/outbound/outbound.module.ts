import { Module, type OnApplicationShutdown } from '@nestjs/common';
import { DestinationGuard } from './destination-guard';
import { DestinationPolicyController } from './destination-policy.controller';
import { DestinationPolicyRepository } from './destination-policy.repository';
import { OutboundHttp } from './outbound-http';
import { OutboundMqtt } from './outbound-mqtt';

/** Every connection the service opens to other systems: checked, bounded, pooled per tenant. */
@Module({
  controllers: [DestinationPolicyController],
  providers: [DestinationPolicyRepository, DestinationGuard, OutboundHttp, OutboundMqtt],
  exports: [DestinationGuard, OutboundHttp, OutboundMqtt],
})
export class OutboundModule implements OnApplicationShutdown {
  constructor(
    private readonly http: OutboundHttp,
    private readonly mqtt: OutboundMqtt,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    this.http.close();
    await this.mqtt.close();
  }
}
