import { Inject, Injectable } from '@nestjs/common';
import { SERVICE_CONFIG } from '@urbis/runtime';
import type { SecurityConfig } from '../config';
import { type CountingRule, RULE_DEFINITIONS, RULES } from './detection-rules';
import { IncidentsRepository } from './incidents.repository';

export interface RuleThreshold {
  rule: CountingRule;
  count: number;
  windowSeconds: number;
  /** Request the automatic response (block the address, suspend the device) when it fires. */
  enforce: boolean;
  /** `tenant` when the tenant set it, else `default` (the service's configuration). */
  origin: 'tenant' | 'default';
}

export const COUNTING_RULES = RULES.filter((rule): rule is CountingRule => rule !== 'message-rate');

/** How long another replica's threshold change may take to be seen here. */
const CACHE_TTL_MS = 10_000;

/** Per-tenant thresholds of the counting rules, the configuration's as defaults, cached briefly. */
@Injectable()
export class ThresholdsService {
  private readonly cache = new Map<string, { loadedAt: number; rules: Map<CountingRule, RuleThreshold> }>();

  constructor(
    private readonly repository: IncidentsRepository,
    @Inject(SERVICE_CONFIG) private readonly config: SecurityConfig,
  ) {}

  async of(tenant: string): Promise<Map<CountingRule, RuleThreshold>> {
    const cached = this.cache.get(tenant);
    if (cached && Date.now() - cached.loadedAt < CACHE_TTL_MS) return cached.rules;
    const own = new Map((await this.repository.thresholds(tenant)).map((row) => [row.rule, row]));
    const rules = new Map<CountingRule, RuleThreshold>();
    for (const rule of COUNTING_RULES) {
      const row = own.get(rule);
      const fallback = this.config.detection.thresholds[rule];
      rules.set(
        rule,
        row
          ? { rule, count: row.count, windowSeconds: row.windowSeconds, enforce: row.enforce, origin: 'tenant' }
          : { rule, ...fallback, enforce: RULE_DEFINITIONS[rule].enforceByDefault, origin: 'default' },
      );
    }
    this.cache.set(tenant, { loadedAt: Date.now(), rules });
    return rules;
  }

  forget(tenant: string): void {
    this.cache.delete(tenant);
  }
}
