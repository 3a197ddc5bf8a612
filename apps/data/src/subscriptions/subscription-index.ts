import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import type { Logger } from '@urbis/observability';
import { SERVICE_CONFIG, SERVICE_LOGGER, ServiceLifecycle } from '@urbis/runtime';
import { Client, type Notification } from 'pg';
import type { DataConfig } from '../config';
import { ContextService } from '../contexts/context.service';
import type { EntityChange } from '../storage/entity-store';
import type { StoredSubscription } from './subscription';
import { type CompiledSubscription, compileSubscription } from './subscription-matcher';
import { SUBSCRIPTIONS_CHANNEL, SubscriptionsRepository } from './subscriptions.repository';

const RECONNECT_MS = 1000;

/** One tenant's subscriptions, looked up by entity type (and by watched attribute for those that name no entities). */
class TenantSubscriptions {
  readonly all = new Map<string, CompiledSubscription>();
  private byType?: Map<string, CompiledSubscription[]>;
  private byAttribute?: Map<string, CompiledSubscription[]>;

  changed(): void {
    this.byType = undefined;
    this.byAttribute = undefined;
  }

  candidates(change: EntityChange, found: Set<CompiledSubscription>): void {
    if (!this.byType || !this.byAttribute) this.build();
    for (const type of change.after?.types ?? [])
      for (const subscription of this.byType?.get(type) ?? []) found.add(subscription);
    for (const type of change.before?.types ?? [])
      for (const subscription of this.byType?.get(type) ?? []) found.add(subscription);
    if (this.byAttribute?.size)
      for (const iri of change.attributes)
        for (const subscription of this.byAttribute.get(iri) ?? []) found.add(subscription);
  }

  private build(): void {
    const byType = new Map<string, CompiledSubscription[]>();
    const byAttribute = new Map<string, CompiledSubscription[]>();
    const add = (
      map: Map<string, CompiledSubscription[]>,
      key: string,
      subscription: CompiledSubscription,
    ) => {
      const list = map.get(key);
      if (!list) map.set(key, [subscription]);
      else if (!list.includes(subscription)) list.push(subscription);
    };
    for (const subscription of this.all.values()) {
      if (subscription.periodic || !subscription.isActive) continue;
      if (subscription.selectors) {
        // Every conjunction needs all of its types, so its first one finds every entity it can select.
        for (const selector of subscription.selectors)
          for (const conjunction of selector.types) add(byType, conjunction[0] as string, subscription);
      } else {
        for (const iri of subscription.watched ?? []) add(byAttribute, iri, subscription);
      }
    }
    this.byType = byType;
    this.byAttribute = byAttribute;
  }
}

/**
 * Every replica's in-memory view of the subscriptions, for matching committed changes without a
 * query: loaded at start, told of each change by PostgreSQL (LISTEN on the channel the repository
 * NOTIFYs in the changing transaction), and reloaded in full every NGSILD_SUBSCRIPTIONS_RELOAD_MS
 * in case a notification was missed (a lost listener connection reconnects and reloads too).
 * Reloads and refreshes run one after the other, so a refresh is never undone by an older reload.
 */
@Injectable()
export class SubscriptionIndex implements OnModuleInit {
  private tenants = new Map<string, TenantSubscriptions>();
  private listener: Client | undefined;
  private loaded = false;
  private stopped = true;
  private reloadTimer: NodeJS.Timeout | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private chain: Promise<unknown> = Promise.resolve();

  constructor(
    @Inject(SERVICE_CONFIG) private readonly config: DataConfig,
    @Inject(SERVICE_LOGGER) private readonly logger: Logger,
    private readonly lifecycle: ServiceLifecycle,
    private readonly repository: SubscriptionsRepository,
    private readonly contexts: ContextService,
  ) {}

  onModuleInit(): void {
    this.lifecycle.addWorker({
      name: 'subscription-index',
      start: () => this.start(),
      stop: () => this.stop(),
      isRunning: () => !this.stopped && this.loaded && this.listener !== undefined,
    });
  }

  async start(): Promise<void> {
    this.stopped = false;
    await this.listen();
    await this.reload();
    this.reloadTimer = setInterval(
      () =>
        void this.reload().catch((error: unknown) =>
          this.logger.error({ err: error }, 'subscription reload failed'),
        ),
      this.config.subscriptions.reloadMs,
    );
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.reloadTimer);
    clearTimeout(this.reconnectTimer);
    await this.listener?.end().catch(() => undefined);
    this.listener = undefined;
    await this.chain.catch(() => undefined);
  }

  /** The tenant's subscriptions that may be interested in the change (by entity type, or by attribute). */
  candidates(change: EntityChange): CompiledSubscription[] {
    const tenant = this.tenants.get(change.tenant);
    if (!tenant) return [];
    const found = new Set<CompiledSubscription>();
    tenant.candidates(change, found);
    return [...found];
  }

  get(tenant: string, id: string): CompiledSubscription | undefined {
    return this.tenants.get(tenant)?.all.get(id);
  }

  get size(): number {
    let total = 0;
    for (const tenant of this.tenants.values()) total += tenant.all.size;
    return total;
  }

  /** Reads one subscription again (after this replica or another changed it). */
  refresh(tenant: string, id: string): Promise<void> {
    return this.enqueue(async () => {
      const stored = await this.repository.find(tenant, id);
      if (stored) await this.put(stored);
      else this.remove(tenant, id);
    });
  }

  /** Replaces the whole view with what the database holds. */
  reload(): Promise<void> {
    return this.enqueue(async () => {
      const all = await this.repository.all();
      const tenants = new Map<string, TenantSubscriptions>();
      for (const stored of all) {
        const compiled = await this.compile(stored);
        if (!compiled) continue;
        let tenant = tenants.get(stored.tenant);
        if (!tenant) tenants.set(stored.tenant, (tenant = new TenantSubscriptions()));
        tenant.all.set(compiled.id, compiled);
      }
      this.tenants = tenants;
      this.loaded = true;
    });
  }

  private async put(stored: StoredSubscription): Promise<void> {
    const compiled = await this.compile(stored);
    if (!compiled) {
      this.remove(stored.tenant, stored.body.id);
      return;
    }
    let tenant = this.tenants.get(stored.tenant);
    if (!tenant) this.tenants.set(stored.tenant, (tenant = new TenantSubscriptions()));
    tenant.all.set(compiled.id, compiled);
    tenant.changed();
  }

  private remove(tenant: string, id: string): void {
    const subscriptions = this.tenants.get(tenant);
    if (subscriptions?.all.delete(id)) subscriptions.changed();
  }

  private async compile(stored: StoredSubscription): Promise<CompiledSubscription | undefined> {
    try {
      const subscription = await this.contexts.resolve(stored.context);
      const notification = stored.body.jsonldContext
        ? await this.contexts.resolve(stored.body.jsonldContext)
        : subscription;
      return compileSubscription(stored, {
        subscription,
        notification,
        coreContextUrl: this.contexts.coreContextUrl,
      });
    } catch (error) {
      // Its @context could not be loaded (a remote document gone while not cached): matched again at the next reload.
      this.logger.error(
        { err: error, tenant: stored.tenant, subscription: stored.body.id },
        'subscription left out of matching',
      );
      return undefined;
    }
  }

  private enqueue(work: () => Promise<void>): Promise<void> {
    const next = this.chain.then(work, work);
    this.chain = next.catch(() => undefined);
    return next;
  }

  private async listen(): Promise<void> {
    const listener = new Client({ connectionString: this.config.database.url });
    listener.on('notification', (notification: Notification) => this.onNotification(notification));
    listener.on('error', (error) => {
      this.logger.error({ err: error }, 'subscription change listener lost its connection');
      this.listener = undefined;
      void listener.end().catch(() => undefined);
      this.scheduleReconnect();
    });
    await listener.connect();
    await listener.query(`LISTEN ${SUBSCRIPTIONS_CHANNEL}`);
    this.listener = listener;
  }

  private scheduleReconnect(): void {
    if (this.stopped) return;
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = setTimeout(() => {
      this.listen()
        .then(() => this.reload())
        .catch((error: unknown) => {
          this.logger.error({ err: error }, 'subscription change listener could not reconnect');
          this.scheduleReconnect();
        });
    }, RECONNECT_MS);
  }

  private onNotification(notification: Notification): void {
    try {
      const [tenant, id] = JSON.parse(notification.payload ?? '') as [string, string];
      void this.refresh(tenant, id).catch((error: unknown) =>
        this.logger.error({ err: error, tenant, subscription: id }, 'subscription refresh failed'),
      );
    } catch (error) {
      this.logger.error(
        { err: error, payload: notification.payload },
        'unreadable subscription change notification',
      );
    }
  }
}
