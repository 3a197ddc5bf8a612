import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import type { EventOf } from '@urbis/contracts';
import type { Logger } from '@urbis/observability';
import { SERVICE_CONFIG, SERVICE_LOGGER } from '@urbis/runtime';
import { randomUUID } from 'node:crypto';
import { compileExpression, ExpressionSyntaxError, type JsonataLimits } from '../common/jsonata';
import { IntegrationErrorCode, IntegrationProblem } from '../common/problems';
import type { IntegrationConfig } from '../config';
import { causedBy, DeliveryIntake, targetOf } from '../delivery/delivery-intake';
import { DeliverySender } from '../delivery/delivery-sender';
import type { NewDelivery, QueuedDelivery } from '../delivery/delivery.repository';
import { DestinationGuard } from '../outbound/destination-guard';
import { OutboundError } from '../outbound/outbound-error';
import { Prisma, type Webhook } from '../prisma-client/client';
import { newWebhookSecret, SIGNATURE_HEADER, signatureHeader } from './signature';
import type { RotateRequest, WebhookEventType, WebhookInput, WebhookPatch, WebhookView } from './webhook.dto';
import { type WebhookWithSecrets, WebhooksRepository } from './webhooks.repository';

const SUBSCRIBERS_TTL_MS = 2000;

export function webhookViewOf(row: WebhookWithSecrets): WebhookView {
  return {
    id: row.id,
    name: row.name,
    url: row.url,
    eventTypes: row.eventTypes,
    ...(row.filter !== null && { filter: row.filter }),
    active: row.active,
    secrets: row.secrets.map((secret) => ({
      id: secret.id,
      createdAt: secret.createdAt.toISOString(),
      ...(secret.expiresAt && { expiresAt: secret.expiresAt.toISOString() }),
    })),
    ...(row.lastFilterError !== null && { lastFilterError: row.lastFilterError }),
    ...(row.lastFilterErrorAt && { lastFilterErrorAt: row.lastFilterErrorAt.toISOString() }),
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

/**
 * Platform webhooks: integrators register an endpoint for event types (with an optional JSONata
 * filter); each matching platform event becomes a delivery of the engine, signed at every attempt
 * with the webhook's current secrets, so a rotation applies to retries as well.
 */
@Injectable()
export class WebhooksService implements OnModuleInit {
  private readonly limits: JsonataLimits;
  private readonly overlapSeconds: number;
  private readonly filters = new Map<
    string,
    { version: number; evaluate: (input: unknown) => Promise<unknown> }
  >();
  private readonly subscribers = new Map<string, { at: number; rows: Promise<Webhook[]> }>();

  constructor(
    private readonly webhooks: WebhooksRepository,
    private readonly intake: DeliveryIntake,
    private readonly sender: DeliverySender,
    private readonly guard: DestinationGuard,
    @Inject(SERVICE_CONFIG) config: IntegrationConfig,
    @Inject(SERVICE_LOGGER) private readonly logger: Logger,
  ) {
    this.limits = config.jsonata;
    this.overlapSeconds = config.webhooks.secretOverlapSeconds;
  }

  onModuleInit(): void {
    this.sender.addHeaders('webhook', (delivery, at) => this.signedHeaders(delivery, at));
  }

  async create(tenant: string, input: WebhookInput) {
    await this.checkDestination(tenant, input.url);
    if (input.filter) this.compileFilter(input.filter);
    const secret = newWebhookSecret();
    try {
      const row = await this.webhooks.create(
        {
          id: randomUUID(),
          tenant,
          name: input.name,
          url: input.url,
          eventTypes: input.eventTypes,
          filter: input.filter ?? null,
          active: input.active,
        },
        { id: randomUUID(), secret },
      );
      this.subscribers.clear();
      return { ...webhookViewOf(row), secret };
    } catch (error) {
      if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002') {
        throw new IntegrationProblem(
          IntegrationErrorCode.WebhookNameTaken,
          `A webhook named "${input.name}" exists.`,
        );
      }
      throw error;
    }
  }

  async list(tenant: string, page: { limit: number; offset: number }) {
    const { rows, total } = await this.webhooks.list(tenant, page);
    return { items: rows.map(webhookViewOf), total };
  }

  async get(tenant: string, id: string): Promise<WebhookView> {
    return webhookViewOf(await this.require(tenant, id));
  }

  async update(tenant: string, id: string, patch: WebhookPatch): Promise<WebhookView> {
    await this.require(tenant, id);
    if (patch.url) await this.checkDestination(tenant, patch.url);
    if (patch.filter) this.compileFilter(patch.filter);
    await this.webhooks.update(tenant, id, {
      ...(patch.url !== undefined && { url: patch.url }),
      ...(patch.eventTypes !== undefined && { eventTypes: patch.eventTypes }),
      ...(patch.filter !== undefined && { filter: patch.filter }),
      ...(patch.active !== undefined && { active: patch.active }),
    });
    this.subscribers.clear();
    return this.get(tenant, id);
  }

  async remove(tenant: string, id: string): Promise<void> {
    if ((await this.webhooks.delete(tenant, id)) === 0) {
      throw new IntegrationProblem(IntegrationErrorCode.WebhookNotFound, `No webhook ${id} in this tenant.`);
    }
    this.subscribers.clear();
  }

  async rotate(tenant: string, id: string, request: RotateRequest) {
    await this.require(tenant, id);
    const secret = newWebhookSecret();
    const overlap = request.overlapSeconds ?? this.overlapSeconds;
    const previousValidUntil = new Date(Date.now() + overlap * 1000);
    await this.webhooks.rotate(id, { id: randomUUID(), secret }, previousValidUntil);
    return { ...(await this.get(tenant, id)), secret, previousValidUntil: previousValidUntil.toISOString() };
  }

  /** The consumer's handler: each event, for each webhook of its tenant that wants it. */
  async handle(type: WebhookEventType, events: readonly EventOf<WebhookEventType>[]): Promise<void> {
    const tenants = [...new Set(events.map((event) => event.tenant))].sort();
    const webhooks = await this.subscribedTo(type, tenants);
    if (webhooks.length === 0) return;
    const deliveries: NewDelivery[] = [];
    for (const event of events) {
      for (const webhook of webhooks) {
        if (webhook.tenant !== event.tenant || !(await this.passes(webhook, event))) continue;
        deliveries.push({
          id: randomUUID(),
          tenant: event.tenant,
          target: targetOf(webhook.url),
          kind: 'webhook',
          correlationId: event.id,
          webhookId: webhook.id,
          dedupeKey: `w:${webhook.id}:${event.id}`,
          uri: webhook.url,
          contentType: 'application/json',
          headers: {
            'urbis-event-type': event.type,
            'urbis-event-id': event.id,
            'urbis-webhook-id': webhook.id,
          },
          body: JSON.stringify(event),
          expiresAt: this.intake.expiresAt(),
          ...causedBy(event),
        });
      }
    }
    await this.intake.enqueue(deliveries);
  }

  private async signedHeaders(delivery: QueuedDelivery, at: Date): Promise<Record<string, string>> {
    const secrets = delivery.webhookId
      ? await this.webhooks.signingSecrets(delivery.webhookId, at)
      : undefined;
    if (!secrets || secrets.length === 0) {
      // Deleted since: its events must not go out unsigned.
      throw new OutboundError('refused', `webhook ${delivery.webhookId ?? '?'} no longer exists`);
    }
    return { [SIGNATURE_HEADER]: signatureHeader(secrets, Math.floor(at.getTime() / 1000), delivery.body) };
  }

  private subscribedTo(type: string, tenants: string[]): Promise<Webhook[]> {
    const key = `${type}|${tenants.join(',')}`;
    const cached = this.subscribers.get(key);
    if (cached && Date.now() - cached.at < SUBSCRIBERS_TTL_MS) return cached.rows;
    const rows = this.webhooks.subscribed(tenants, type);
    this.subscribers.set(key, { at: Date.now(), rows });
    if (this.subscribers.size > 1000) this.subscribers.clear();
    rows.catch(() => this.subscribers.delete(key));
    return rows;
  }

  private async passes(webhook: Webhook, event: EventOf<WebhookEventType>): Promise<boolean> {
    if (!webhook.filter) return true;
    let filter = this.filters.get(webhook.id);
    if (!filter || filter.version !== webhook.updatedAt.getTime()) {
      filter = {
        version: webhook.updatedAt.getTime(),
        evaluate: compileExpression(webhook.filter, this.limits),
      };
      this.filters.set(webhook.id, filter);
    }
    try {
      return Boolean(await filter.evaluate(event));
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.logger.warn(
        { webhookId: webhook.id, eventId: event.id, err: message },
        'webhook filter failed; event not delivered',
      );
      await this.webhooks.recordFilterError(webhook.id, `${message} (event ${event.id})`);
      return false;
    }
  }

  private compileFilter(filter: string): void {
    try {
      compileExpression(filter, this.limits);
    } catch (error) {
      if (!(error instanceof ExpressionSyntaxError)) throw error;
      throw new IntegrationProblem(IntegrationErrorCode.WebhookInvalid, error.message, {
        errors: [{ path: 'filter', message: error.message }],
      });
    }
  }

  private async checkDestination(tenant: string, url: string): Promise<void> {
    try {
      await this.guard.check(tenant, new URL(url).hostname);
    } catch (error) {
      if (!(error instanceof OutboundError)) throw error;
      throw new IntegrationProblem(
        error.kind === 'refused'
          ? IntegrationErrorCode.DestinationRefused
          : IntegrationErrorCode.DestinationInvalid,
        error.message,
        { errors: [{ path: 'url', message: error.message }] },
      );
    }
  }

  private async require(tenant: string, id: string): Promise<WebhookWithSecrets> {
    const row = await this.webhooks.find(tenant, id);
    if (!row)
      throw new IntegrationProblem(IntegrationErrorCode.WebhookNotFound, `No webhook ${id} in this tenant.`);
    return row;
  }
}
