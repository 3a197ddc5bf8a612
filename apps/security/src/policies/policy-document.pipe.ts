import { Inject, Injectable, type PipeTransform } from '@nestjs/common';
import { type PolicyInput, policyInput } from '@urbis/access-policy';
import { isRole } from '@urbis/auth';
import { SERVICE_CONFIG } from '@urbis/runtime';
import { SecurityErrorCode, SecurityProblem } from '../common/problems';
import type { SecurityConfig } from '../config';

/**
 * A policy document from a request body: too large is 413 `policy-too-large`; anything that is
 * not a valid policy is 400 `policy-invalid` listing every problem (path and message). Nothing of
 * the document is echoed back.
 */
@Injectable()
export class PolicyDocumentPipe implements PipeTransform<unknown, PolicyInput> {
  private readonly maxBytes: number;

  constructor(@Inject(SERVICE_CONFIG) config: SecurityConfig) {
    this.maxBytes = config.policies.maxBytes;
  }

  transform(value: unknown): PolicyInput {
    if (value === undefined || value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw new SecurityProblem(SecurityErrorCode.PolicyInvalid, 'The body must be a JSON object (a policy document).');
    }
    const bytes = Buffer.byteLength(JSON.stringify(value));
    if (bytes > this.maxBytes) {
      throw new SecurityProblem(SecurityErrorCode.PolicyTooLarge, `A policy document is limited to ${this.maxBytes} bytes; this one has ${bytes}.`, { limit: this.maxBytes });
    }
    const parsed = policyInput.safeParse(value);
    const errors = parsed.success ? [] : parsed.error.issues.map((issue) => ({ path: issue.path.map(String).join('.'), message: issue.message }));
    if (parsed.success && parsed.data.subject.kind === 'role' && !isRole(parsed.data.subject.id)) {
      errors.push({ path: 'subject.id', message: 'not a realm role of Urbis (platform-admin, tenant-admin, operator, integrator, auditor)' });
    }
    if (!parsed.success || errors.length > 0) {
      throw new SecurityProblem(SecurityErrorCode.PolicyInvalid, 'The policy document is invalid.', { errors });
    }
    return parsed.data;
  }
}
