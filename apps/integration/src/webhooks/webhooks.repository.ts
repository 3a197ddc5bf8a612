import { Inject, Injectable } from '@nestjs/common';
import { Prisma, PrismaClient, type Webhook, type WebhookSecret } from '../prisma-client/client';

export type WebhookWithSecrets = Webhook & { secrets: WebhookSecret[] };

@Injectable()
export class WebhooksRepository {
  constructor(@Inject(PrismaClient) private readonly prisma: PrismaClient) {}

  create(
    data: Prisma.WebhookUncheckedCreateInput,
    secret: { id: string; secret: string },
  ): Promise<WebhookWithSecrets> {
    return this.prisma.webhook.create({
      data: { ...data, secrets: { create: [secret] } },
      include: { secrets: true },
    });
  }

  find(tenant: string, id: string): Promise<WebhookWithSecrets | null> {
    return this.prisma.webhook.findFirst({
      where: { tenant, id },
      include: { secrets: { orderBy: { createdAt: 'desc' } } },
    });
  }

  async list(tenant: string, page: { limit: number; offset: number }) {
    const [rows, total] = await Promise.all([
      this.prisma.webhook.findMany({
        where: { tenant },
        include: { secrets: { orderBy: { createdAt: 'desc' } } },
        orderBy: { createdAt: 'asc' },
        take: page.limit,
        skip: page.offset,
      }),
      this.prisma.webhook.count({ where: { tenant } }),
    ]);
    return { rows, total };
  }

  update(tenant: string, id: string, data: Prisma.WebhookUpdateManyMutationInput): Promise<number> {
    return this.prisma.webhook.updateMany({ where: { tenant, id }, data }).then((result) => result.count);
  }

  delete(tenant: string, id: string): Promise<number> {
    return this.prisma.webhook.deleteMany({ where: { tenant, id } }).then((result) => result.count);
  }

  /** The active webhooks of these tenants that take this event type (what the consumer matches). */
  subscribed(tenants: readonly string[], eventType: string): Promise<Webhook[]> {
    return this.prisma.webhook.findMany({
      where: { tenant: { in: [...tenants] }, active: true, eventTypes: { has: eventType } },
    });
  }

  /** The secrets that sign now: the current one and any previous one still inside its overlap. */
  async signingSecrets(webhookId: string, at: Date): Promise<string[] | undefined> {
    const webhook = await this.prisma.webhook.findUnique({
      where: { id: webhookId },
      select: {
        secrets: {
          where: { OR: [{ expiresAt: null }, { expiresAt: { gt: at } }] },
          orderBy: { createdAt: 'desc' },
          select: { secret: true },
        },
      },
    });
    return webhook?.secrets.map((row) => row.secret);
  }

  /** Adds a new current secret; the others stop signing at `previousUntil`. */
  async rotate(
    webhookId: string,
    secret: { id: string; secret: string },
    previousUntil: Date,
  ): Promise<void> {
    await this.prisma.$transaction([
      this.prisma.webhookSecret.updateMany({
        where: { webhookId, OR: [{ expiresAt: null }, { expiresAt: { gt: previousUntil } }] },
        data: { expiresAt: previousUntil },
      }),
      this.prisma.webhookSecret.create({ data: { ...secret, webhookId } }),
      this.prisma.webhookSecret.deleteMany({ where: { webhookId, expiresAt: { lt: new Date() } } }),
    ]);
  }

  recordFilterError(id: string, error: string): Promise<unknown> {
    return this.prisma.webhook.updateMany({
      where: { id },
      data: { lastFilterError: error.slice(0, 1000), lastFilterErrorAt: new Date() },
    });
  }
}
