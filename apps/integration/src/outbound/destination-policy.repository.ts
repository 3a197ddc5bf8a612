import { Inject, Injectable } from '@nestjs/common';
import { type DestinationPolicy, PrismaClient } from '../prisma-client/client';
import type { DestinationRules } from './address-policy';

@Injectable()
export class DestinationPolicyRepository {
  constructor(@Inject(PrismaClient) private readonly prisma: PrismaClient) {}

  find(tenant: string): Promise<DestinationPolicy | null> {
    return this.prisma.destinationPolicy.findUnique({ where: { tenant } });
  }

  upsert(tenant: string, rules: DestinationRules, updatedBy: string): Promise<DestinationPolicy> {
    const data = { ...rules, allowedNetworks: [...rules.allowedNetworks], updatedBy, updatedAt: new Date() };
    return this.prisma.destinationPolicy.upsert({
      where: { tenant },
      create: { tenant, ...data },
      update: data,
    });
  }
}
