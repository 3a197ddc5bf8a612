import { Global, Module } from '@nestjs/common';
import { ConnectivityMetrics } from '../metrics/connectivity-metrics';
import { UplinkService } from './uplink.service';

/** Uplinks into Kafka (batched, acknowledged per message) and the service's metrics, for every transport. */
@Global()
@Module({
  providers: [UplinkService, ConnectivityMetrics],
  exports: [UplinkService, ConnectivityMetrics],
})
export class UplinksModule {}
