import { Injectable } from '@nestjs/common';
import type { Policy } from '@urbis/access-policy';
import type { Db } from '../common/database';
import { type Prisma, PrismaClient } from '../prisma-client/client';

export interface PolicyFilter {
  subjectKind?: string;
  subjectId?: string;
}

/** The only place that touches the policy table. */
@Injectable()
export class PoliciesRepository {
  constructor(private readonly prisma: PrismaClient) {}

  transaction<T>(fn: (tx: Db) => Promise<T>): Promise<T> {
    return this.prisma.$transaction(fn);
  }

  async insert(tx: Db, policy: Policy): Promise<void> {
    await tx.dataAccessPolicy.create({ data: this.row(policy) });
  }

  /** Replaces the policy if it still has `version`; false when it changed (or vanished) meanwhile. */
  async replace(tx: Db, policy: Policy, version: number): Promise<boolean> {
    const { policyId, tenant, ...data } = this.row(policy);
    const updated = await tx.dataAccessPolicy.updateMany({ where: { policyId, tenant, version }, data });
    return updated.count === 1;
  }

  async delete(tx: Db, tenant: string, policyId: string, version: number): Promise<boolean> {
    const deleted = await tx.dataAccessPolicy.deleteMany({ where: { policyId, tenant, version } });
    return deleted.count === 1;
  }

  async find(tenant: string, policyId: string, tx: Db = this.prisma): Promise<Policy | null> {
    const row = await tx.dataAccessPolicy.findFirst({ where: { tenant, policyId } });
    return row ? (row.document as unknown as Policy) : null;
  }

  async list(tenant: string, filter: PolicyFilter, page: { limit: number; offset: number }): Promise<{ policies: Policy[]; total: number }> {
    const where: Prisma.DataAccessPolicyWhereInput = {
      tenant,
      ...(filter.subjectKind !== undefined && { subjectKind: filter.subjectKind }),
      ...(filter.subjectId !== undefined && { subjectId: filter.subjectId }),
    };
    const [rows, total] = await Promise.all([
      this.prisma.dataAccessPolicy.findMany({ where, orderBy: [{ createdAt: 'asc' }, { policyId: 'asc' }], skip: page.offset, take: page.limit }),
      this.prisma.dataAccessPolicy.count({ where }),
    ]);
    return { policies: rows.map((row) => row.document as unknown as Policy), total };
  }

  /** Every policy of the tenant: what the decision endpoint evaluates. */
  async all(tenant: string): Promise<Policy[]> {
    const rows = await this.prisma.dataAccessPolicy.findMany({ where: { tenant } });
    return rows.map((row) => row.document as unknown as Policy);
  }

  private row(policy: Policy) {
    return {
      policyId: policy.policyId,
      tenant: policy.tenant,
      version: policy.version,
      subjectKind: policy.subject.kind,
      subjectId: policy.subject.id,
      document: policy as unknown as Prisma.InputJsonValue,
      updatedAt: new Date(policy.updatedAt),
    };
  }
}
