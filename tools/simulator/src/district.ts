import { type CityClock, cityClock, type CityClockOptions } from './city-clock';
import { type DistrictPlan, planDistrict } from './district-plan';
import {
  type CommandAnswer,
  DEVICE_KIND_NAMES,
  DEVICE_KINDS,
  type DeviceKindName,
  type DeviceModel,
  type DevicePlan,
  type JsonValue,
  type Transport,
} from './kinds';
import { type AccessToken, PlatformApi } from './platform-api';
import { inParallel, provisionDistrict } from './provisioning';
import { Random, seedOf } from './random';
import { HttpIngestDevice } from './transports/http-ingest';
import { LoginGate } from './transports/login-gate';
import { chirpstackJoin, chirpstackUp, postChirpstack, type Reception, receptionsOf } from './transports/lorawan';
import { type DeliveredCommand, MqttDevice } from './transports/mqtt-device';

export interface DistrictEndpoints {
  /** The devices service, e.g. `http://127.0.0.1:8082`. */
  devices: string;
  /** The connectivity service's HTTP side (ingest, LoRaWAN webhooks, status). */
  connectivity: string;
  /** Connectivity's MQTT server, e.g. `mqtt://127.0.0.1:1884`. */
  mqtt: string;
}

export interface DistrictOptions {
  tenant: string;
  /** A total (split by each kind's share: 40 % parking, 25 % streetlights, ...) or a count per kind. */
  devices: number | Partial<Record<DeviceKindName, number>>;
  endpoints: DistrictEndpoints;
  /** A token of a caller who may write profiles and devices in the tenant (tenant-admin or platform-admin). */
  accessToken: AccessToken;
  /** The tenant's LoRaWAN webhook secret (connectivity's `LORAWAN_WEBHOOK_SECRETS`); needed for parking spots. */
  lorawanWebhookSecret?: string;
  seed?: number;
  /** Share of devices that fall silent after a few readings; default 0.03. */
  silentShare?: number;
  /** Chance per reading that a device develops a fault; default 0.01. */
  faultRate?: number;
  /** Prepended to device ids, so several districts can share a tenant. */
  idPrefix?: string;
  /** `scheduled` (default): every device reports on its own interval. `manual`: only `publish()` sends. */
  publishing?: 'scheduled' | 'manual';
  /** Reporting interval per kind, ms (defaults: each kind's own). */
  intervals?: Partial<Record<DeviceKindName, number>>;
  /** Multiplies the default intervals (0.1: ten times as many readings). */
  intervalScale?: number;
  /**
   * `network-server` (default): one ChirpStack event per frame listing every gateway that heard
   * it, as ChirpStack v4 deduplicates. `per-gateway`: one event per gateway, as from several
   * network servers, for connectivity to merge.
   */
  lorawanCopies?: 'network-server' | 'per-gateway';
  clock?: CityClockOptions;
  log?: (line: string) => void;
  /** Every reading once the platform answered it (or failed to): for tests that account for each one. */
  onReading?: (device: SimulatedDevice, reading: SentReading) => void;
}

/** A reading as sent, and whether the platform acknowledged it. */
export interface SentReading {
  payload: Buffer;
  acknowledged: boolean;
}

export interface Counts {
  sent: number;
  acknowledged: number;
  failed: number;
}

/** What the platform answered for a device's last reading. */
export interface Uplink {
  at: string;
  /** The bytes the device sent. */
  payload: Buffer;
  /** connectivity's event id (HTTP ingest and LoRaWAN answer with it). */
  eventId?: string;
  /** LoRaWAN, one event per gateway: the event id each copy was answered with. */
  copies?: { gatewayId: string; status: number; eventId?: string; duplicate?: boolean }[];
  /** LoRaWAN: the frame counter and the gateways that heard the frame. */
  fCnt?: number;
  receptions?: Reception[];
}

export interface SimulatedDevice extends DevicePlan {
  readonly transport: Transport;
  /** Readings this device sent, and how the platform answered them. */
  readonly readings: Readonly<Counts>;
  readonly lastUplink?: Uplink;
  /** MQTT devices: whether the session is up. */
  readonly connected: boolean;
  /** The state its twin reports, for devices that take commands. */
  reported(): Record<string, JsonValue> | undefined;
}

export interface DistrictStats {
  devices: number;
  readings: Counts & { byKind: Record<DeviceKindName, Counts> };
  commands: { received: number; succeeded: number; failed: number };
  twinReports: Counts;
  mqttSessions: { connected: number; of: number };
  refusedLogins: number;
}

export interface District {
  readonly tenant: string;
  readonly plan: DistrictPlan;
  readonly devices: readonly SimulatedDevice[];
  device(id: string): SimulatedDevice;
  stats(): DistrictStats;
  /**
   * One reading now from every selected device (default all) that still reports; resolves once
   * the platform answered each, with the counts of this round.
   */
  publish(select?: { kind?: DeviceKindName; ids?: readonly string[] }): Promise<Counts>;
  stop(): Promise<void>;
}

const zero = (): Counts => ({ sent: 0, acknowledged: 0, failed: 0 });

/** Statuses of connectivity's HTTP routes that a device waits out and tries again. */
const RETRY_STATUSES = new Set([429, 503]);

class Device implements SimulatedDevice {
  readonly transport: Transport;
  readonly readings = zero();
  lastUplink?: Uplink;
  mqtt?: MqttDevice;
  http?: HttpIngestDevice;
  private fCnt = 0;
  private readonly model: DeviceModel;
  private readonly random: Random;

  // DevicePlan
  readonly id: string;
  readonly kind: DeviceKindName;
  readonly location: DevicePlan['location'];
  readonly devEui?: string;
  readonly silentAfter?: number;
  readonly entityType: string;
  readonly entityId: string;

  constructor(
    plan: DevicePlan,
    private readonly district: DistrictRuntime,
  ) {
    this.id = plan.id;
    this.kind = plan.kind;
    this.location = plan.location;
    this.devEui = plan.devEui;
    this.silentAfter = plan.silentAfter;
    this.entityType = plan.entityType;
    this.entityId = plan.entityId;
    this.transport = DEVICE_KINDS[plan.kind].transport;
    this.random = new Random(seedOf(district.seed, district.tenant, plan.id, 'dynamics'));
    this.model = DEVICE_KINDS[plan.kind].model({
      tenant: district.tenant,
      plan,
      random: this.random.fork('model'),
      clock: district.clock,
      faultRate: district.faultRate,
    });
  }

  get connected(): boolean {
    return this.mqtt?.connected ?? false;
  }

  get takesCommands(): boolean {
    return this.model.command !== undefined;
  }

  get reports(): boolean {
    return this.silentAfter === undefined || this.readings.sent < this.silentAfter;
  }

  reported(): Record<string, JsonValue> | undefined {
    return this.model.reported?.();
  }

  /** Sends one reading; resolves true when the platform acknowledged it. */
  async send(): Promise<boolean> {
    const reading = this.model.read(this.district.clock.now());
    this.readings.sent++;
    this.district.counts(this.kind).sent++;
    let ok = false;
    try {
      ok = await this.deliver(reading.payload, reading.contentType, reading.fPort);
    } catch (error) {
      this.district.log(`${this.id}: reading not delivered: ${error instanceof Error ? error.message : String(error)}`);
    }
    const counts = this.district.counts(this.kind);
    if (ok) {
      this.readings.acknowledged++;
      counts.acknowledged++;
    } else {
      this.readings.failed++;
      counts.failed++;
    }
    this.district.options.onReading?.(this, { payload: reading.payload, acknowledged: ok });
    return ok;
  }

  private async deliver(payload: Buffer, contentType: string | undefined, fPort: number | undefined): Promise<boolean> {
    const at = new Date().toISOString();
    switch (this.transport) {
      case 'mqtt':
        await this.mqtt?.publishReading(payload);
        this.lastUplink = { at, payload };
        return this.mqtt !== undefined;
      case 'http':
        for (let attempt = 1; ; attempt++) {
          const answer = await (this.http as HttpIngestDevice).post({ payload, contentType });
          if (answer.status === 202) {
            this.lastUplink = { at, payload, eventId: answer.eventId };
            return true;
          }
          if (!RETRY_STATUSES.has(answer.status) || attempt >= 3) return false;
          await new Promise((resolve) => setTimeout(resolve, (answer.retryAfter ?? 1) * 1000));
        }
      case 'lorawan':
        return this.deliverLorawan(payload, fPort ?? 1, at);
    }
  }

  private async deliverLorawan(payload: Buffer, fPort: number, at: string): Promise<boolean> {
    const receptions = receptionsOf(this.location, this.district.plan.gateways, this.random);
    const frame = { devEui: this.devEui ?? '', deviceName: this.id, fCnt: ++this.fCnt, fPort, payload, at: new Date(at) };
    const copies = this.district.lorawanCopies === 'per-gateway' ? receptions.map((r) => [r]) : [receptions];
    const answers = await Promise.all(
      copies.map((heard) => this.district.webhook('up', chirpstackUp({ ...frame, receptions: heard }))),
    );
    const accepted = answers.find((answer) => answer.status === 202 && answer.eventId !== undefined);
    if (!accepted) {
      this.district.log(`${this.id}: webhook refused frame ${frame.fCnt}: ${answers.map((a) => `${a.status} ${a.body.slice(0, 200)}`).join('; ')}`);
      return false;
    }
    this.lastUplink = {
      at,
      payload,
      eventId: accepted.eventId,
      fCnt: frame.fCnt,
      receptions,
      ...(copies.length > 1 && {
        copies: answers.map((answer, i) => ({
          gatewayId: copies[i]?.[0]?.gatewayId ?? '',
          status: answer.status,
          ...(answer.eventId !== undefined && { eventId: answer.eventId }),
          ...(answer.duplicate !== undefined && { duplicate: answer.duplicate }),
        })),
      }),
    };
    return true;
  }

  /** A LoRaWAN device (re)joins: the network server's frame counter starts again. */
  async join(deadline: number): Promise<void> {
    for (;;) {
      const answer = await this.district.webhook('join', chirpstackJoin(this.devEui ?? '', this.id, new Date()));
      if (answer.status === 202) {
        this.fCnt = 0;
        return;
      }
      // 404: connectivity has not learnt the DevEUI from the registry yet.
      if (answer.status !== 404 || Date.now() > deadline) throw new Error(`${this.id}: join refused: HTTP ${answer.status} ${answer.body.slice(0, 300)}`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }

  async onCommand(command: DeliveredCommand): Promise<CommandAnswer> {
    const stats = this.district.commands;
    stats.received++;
    const answer: CommandAnswer = this.model.command?.(command.name, command.params, this.district.clock.now()) ?? {
      outcome: 'failed',
      reason: `${this.kind} devices take no commands`,
    };
    stats[answer.outcome]++;
    return answer;
  }

  /** After a command: the twin says what the device is doing now, and a reading shows it. */
  afterCommand(): void {
    this.reportTwin();
    void this.district.track(this.send());
  }

  reportTwin(): void {
    const state = this.model.reported?.();
    if (!state || !this.mqtt) return;
    const counts = this.district.twinReports;
    counts.sent++;
    void this.district.track(
      this.mqtt.reportTwin(state).then(
        () => void counts.acknowledged++,
        () => void counts.failed++,
      ),
    );
  }
}

/** What the devices share: the district's settings, clock, counters and in-flight work. */
class DistrictRuntime {
  readonly clock: CityClock;
  readonly byKind = Object.fromEntries(DEVICE_KIND_NAMES.map((name) => [name, zero()])) as Record<DeviceKindName, Counts>;
  readonly commands = { received: 0, succeeded: 0, failed: 0 };
  readonly twinReports = zero();
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(
    readonly plan: DistrictPlan,
    readonly options: DistrictOptions,
    readonly seed: number,
    readonly faultRate: number,
    readonly lorawanCopies: 'network-server' | 'per-gateway',
    readonly log: (line: string) => void,
  ) {
    this.clock = cityClock(options.clock);
  }

  get tenant(): string {
    return this.plan.tenant;
  }

  counts(kind: DeviceKindName): Counts {
    return this.byKind[kind];
  }

  webhook(event: 'up' | 'join', body: unknown) {
    const secret = this.options.lorawanWebhookSecret;
    if (!secret) throw new Error('parking spots need the tenant LoRaWAN webhook secret (lorawanWebhookSecret)');
    return postChirpstack(this.options.endpoints.connectivity, this.tenant, secret, event, body);
  }

  track<T>(work: Promise<T>): Promise<T> {
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work)).catch(() => undefined);
    return work;
  }

  async settle(timeoutMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.allSettled([...this.inFlight]), new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
    clearTimeout(timer);
  }
}

/**
 * Provisions a district through the platform's public APIs, connects its devices and (unless
 * `publishing: 'manual'`) lets each report on its interval. Resolves once the MQTT devices are
 * connected and the LoRaWAN ones have joined.
 */
export async function startDistrict(options: DistrictOptions): Promise<District> {
  const log = options.log ?? (() => undefined);
  const seed = options.seed ?? 1;
  const plan = planDistrict({
    tenant: options.tenant,
    devices: options.devices,
    seed,
    silentShare: options.silentShare,
    idPrefix: options.idPrefix,
  });
  if (plan.devices.some((device) => device.kind === 'parkingSpot') && !options.lorawanWebhookSecret) {
    throw new Error('parking spots report through LoRaWAN webhooks: give the tenant webhook secret (lorawanWebhookSecret / --lorawan-secret)');
  }
  const intervals = Object.fromEntries(
    DEVICE_KIND_NAMES.map((name) => [name, options.intervals?.[name] ?? DEVICE_KINDS[name].intervalMs * (options.intervalScale ?? 1)]),
  ) as Record<DeviceKindName, number>;
  const runtime = new DistrictRuntime(plan, options, seed, options.faultRate ?? 0.01, options.lorawanCopies ?? 'network-server', log);
  const api = new PlatformApi({ devices: options.endpoints.devices, connectivity: options.endpoints.connectivity }, options.tenant, options.accessToken);
  const tokens = await provisionDistrict({ plan, api, intervals, log });

  const gate = new LoginGate();
  const devices = plan.devices.map((device) => new Device(device, runtime));
  const byId = new Map(devices.map((device) => [device.id, device]));
  for (const device of devices) {
    const token = tokens.get(device.id) ?? '';
    const common = { tenant: options.tenant, deviceId: device.id, token, gate };
    if (device.transport === 'http') device.http = new HttpIngestDevice({ ...common, connectivityUrl: options.endpoints.connectivity });
    if (device.transport === 'mqtt') {
      device.mqtt = new MqttDevice({
        ...common,
        url: options.endpoints.mqtt,
        log,
        ...(device.takesCommands && {
          onCommand: (command) => device.onCommand(command),
          onAnswered: () => device.afterCommand(),
          onConnect: () => device.reportTwin(),
        }),
      });
    }
  }

  const joinBy = Date.now() + 120_000;
  await inParallel(
    devices.filter((device) => device.transport === 'lorawan'),
    8,
    (device) => device.join(joinBy),
  );
  const mqttDevices = devices.filter((device) => device.mqtt);
  let giveUp: NodeJS.Timeout | undefined;
  const connected = await Promise.race([
    Promise.all(mqttDevices.map((device) => device.mqtt?.start())).then(() => true),
    new Promise<false>((resolve) => (giveUp = setTimeout(() => resolve(false), 180_000))),
  ]);
  clearTimeout(giveUp);
  const sessions = mqttDevices.filter((device) => device.connected).length;
  log(`district ${options.tenant}: ${devices.length} devices, ${sessions}/${mqttDevices.length} MQTT sessions${connected ? '' : ' (the rest keep trying)'}`);

  const timers = new Set<NodeJS.Timeout>();
  let stopped = false;
  if ((options.publishing ?? 'scheduled') === 'scheduled') {
    const schedule = new Random(seedOf(seed, 'schedule'));
    for (const device of devices) {
      const interval = intervals[device.kind];
      const tick = () => {
        timers.delete(timer);
        if (stopped) return;
        if (!device.reports) {
          // its battery is flat: the session goes with it, and the device is heard of no more
          void device.mqtt?.stop();
          return;
        }
        void runtime.track(device.send());
        timer = setTimeout(tick, interval * schedule.between(0.9, 1.1));
        timers.add(timer);
      };
      let timer = setTimeout(tick, interval * schedule.next());
      timers.add(timer);
    }
  }

  const stats = (): DistrictStats => {
    const total = zero();
    for (const counts of Object.values(runtime.byKind)) {
      total.sent += counts.sent;
      total.acknowledged += counts.acknowledged;
      total.failed += counts.failed;
    }
    return {
      devices: devices.length,
      readings: { ...total, byKind: structuredClone(runtime.byKind) },
      commands: { ...runtime.commands },
      twinReports: { ...runtime.twinReports },
      mqttSessions: { connected: mqttDevices.filter((device) => device.connected).length, of: mqttDevices.length },
      refusedLogins: mqttDevices.reduce((sum, device) => sum + (device.mqtt?.refusals ?? 0), 0),
    };
  };

  return {
    tenant: options.tenant,
    plan,
    devices,
    device(id) {
      const device = byId.get(id);
      if (!device) throw new Error(`the district has no device ${id}`);
      return device;
    },
    stats,
    async publish(select = {}) {
      const chosen = devices.filter(
        (device) =>
          device.reports &&
          (select.kind === undefined || device.kind === select.kind) &&
          (select.ids === undefined || select.ids.includes(device.id)),
      );
      const results = await Promise.all(chosen.map((device) => runtime.track(device.send())));
      return {
        sent: results.length,
        acknowledged: results.filter(Boolean).length,
        failed: results.filter((ok) => !ok).length,
      };
    },
    async stop() {
      stopped = true;
      for (const timer of timers) clearTimeout(timer);
      gate.close();
      await runtime.settle(10_000);
      await Promise.all(mqttDevices.map((device) => device.mqtt?.stop()));
    },
  };
}
