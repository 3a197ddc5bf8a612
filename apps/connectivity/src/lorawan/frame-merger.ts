import type { GatewayReception } from './network-server-messages';

interface Window<R> {
  gateways: Map<string, GatewayReception>;
  result: Promise<R>;
}

/**
 * Merges the copies of one LoRaWAN frame that reach the service from several gateways (or
 * network servers) within a short window: the first copy opens the window, later ones add their
 * gateway receptions, and when it closes `emit` runs once with every reception. Every caller
 * gets emit's result, so each webhook call is answered only once the merged uplink is stored.
 */
export class FrameMerger<R> {
  private readonly windows = new Map<string, Window<R>>();

  constructor(private readonly windowMs: number) {}

  merge(key: string, gateways: readonly GatewayReception[], emit: (gateways: GatewayReception[]) => Promise<R>): Promise<R> {
    const open = this.windows.get(key);
    if (open) {
      addAll(open.gateways, gateways);
      return open.result;
    }
    const collected = new Map<string, GatewayReception>();
    addAll(collected, gateways);
    const result = new Promise<void>((resolve) => setTimeout(resolve, this.windowMs))
      .then(() => {
        this.windows.delete(key);
        return emit([...collected.values()]);
      })
      .finally(() => this.windows.delete(key));
    this.windows.set(key, { gateways: collected, result });
    return result;
  }

  get open(): number {
    return this.windows.size;
  }
}

/** One reception per gateway; a gateway heard twice keeps its stronger signal. */
function addAll(into: Map<string, GatewayReception>, gateways: readonly GatewayReception[]): void {
  for (const gateway of gateways) {
    const known = into.get(gateway.gatewayId);
    if (!known || (gateway.rssi ?? -Infinity) > (known.rssi ?? -Infinity)) into.set(gateway.gatewayId, gateway);
  }
}
