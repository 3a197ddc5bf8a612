import { isSpanContextValid, trace } from '@opentelemetry/api';
import type { Principal } from '@urbis/auth';
import { createEvent, type EventOf, type PayloadOf, type ServiceName, tenantId } from '@urbis/contracts';

type AuditPayload = PayloadOf<'security.audit.recorded.v1'>;
export type AuditActor = AuditPayload['actor'];
export type AuditOutcome = AuditPayload['outcome'];
export type AuditDetails = NonNullable<AuditPayload['details']>;
export type AuditEvent = EventOf<'security.audit.recorded.v1'>;

/**
 * The ledger of the platform itself: refusals of callers whose tenant is not known (a bad
 * token names none that can be trusted) are recorded here, never in a tenant the caller named.
 */
export const PLATFORM_TENANT = 'platform';

/** One security-relevant fact, as a service reports it. */
export interface AuditInput {
  tenant: string;
  actor: AuditActor;
  /** `<domain>.<what>`, e.g. `devices.credential.issue`, `auth.token-expired`. */
  action: string;
  resource: { type: string; id?: string };
  outcome: AuditOutcome;
  reason?: string;
  details?: AuditDetails;
  /** When it happened; default now. */
  at?: Date;
}

/** The audit actor of a verified caller: the user (sub), or the client when the token has no subject. */
export function actorOf(principal: Principal): AuditActor {
  return principal.subject ? { kind: 'user', id: principal.subject } : { kind: 'client', id: principal.clientId || 'unknown' };
}

/** What every record about a verified caller carries besides its actor. */
export function principalDetails(principal: Principal): AuditDetails {
  return { clientId: principal.clientId, callerTenant: principal.tenant, roles: [...principal.roles] };
}

function activeTraceId(): string | undefined {
  const context = trace.getActiveSpan()?.spanContext();
  return context && isSpanContextValid(context) ? context.traceId : undefined;
}

/**
 * A `security.audit.recorded.v1` event, with the trace id of the work in progress. A tenant
 * that is not a valid slug (it came from a request) is recorded under the platform tenant,
 * with what was claimed kept in the details.
 */
export function auditEvent(source: ServiceName, input: AuditInput): AuditEvent {
  const validTenant = tenantId.safeParse(input.tenant).success;
  const traceId = activeTraceId();
  const details: AuditDetails | undefined = validTenant
    ? input.details
    : { ...input.details, claimedTenant: input.tenant.slice(0, 100) };
  return createEvent('security.audit.recorded.v1', {
    tenant: validTenant ? input.tenant : PLATFORM_TENANT,
    source,
    payload: {
      actor: input.actor,
      action: input.action,
      resource: input.resource,
      outcome: input.outcome,
      ...(input.reason !== undefined && { reason: input.reason }),
      at: (input.at ?? new Date()).toISOString(),
      ...(details !== undefined && { details }),
      ...(traceId !== undefined && { traceId }),
    },
  });
}

/** How many occurrences a record stands for (aggregated records say so in `details.count`). */
export function occurrencesOf(payload: AuditPayload): number {
  const count = payload.details?.['count'];
  return typeof count === 'number' && Number.isInteger(count) && count > 0 ? count : 1;
}
