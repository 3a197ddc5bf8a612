// What each detection rule watches, and which signal (an audit record) counts for which subject.
import { occurrencesOf } from '@urbis/audit';
import type { EventOf, PayloadOf } from '@urbis/contracts';
import { isIP } from 'node:net';

export const RULES = ['device-auth-failures', 'rejected-payloads', 'message-rate', 'cross-tenant-tokens', 'webhook-signature-failures'] as const;
export type RuleName = (typeof RULES)[number];
/** Rules whose threshold is a count within a window (message-rate compares with a baseline instead). */
export type CountingRule = Exclude<RuleName, 'message-rate'>;

type Incident = PayloadOf<'security.incident.raised.v1'>;
export type IncidentSubject = Incident['subject'];

export interface RuleDefinition {
  kind: Incident['kind'];
  severity: Incident['severity'];
  describe: (subject: IncidentSubject, occurrences: number, windowSeconds: number) => string;
  /** Whether a tenant without its own threshold gets the automatic response. */
  enforceByDefault: boolean;
}

export const RULE_DEFINITIONS: Record<RuleName, RuleDefinition> = {
  'device-auth-failures': {
    kind: 'auth-failures',
    severity: 'high',
    describe: (s, n, w) => `${n} failed device logins from ${s.kind} ${s.id} within ${w} s`,
    enforceByDefault: true,
  },
  'rejected-payloads': {
    kind: 'rejected-payloads',
    severity: 'medium',
    describe: (s, n, w) => `${n} rejected payloads from device ${s.id} within ${w} s`,
    enforceByDefault: false,
  },
  'message-rate': {
    kind: 'flood',
    severity: 'medium',
    describe: (s, n, w) => `device ${s.id} sent ${n} messages in ${w} s, far above its baseline`,
    enforceByDefault: false,
  },
  'cross-tenant-tokens': {
    kind: 'policy-violation',
    severity: 'high',
    describe: (s, n, w) => `${s.kind} ${s.id} used its token against another tenant ${n} times within ${w} s`,
    enforceByDefault: false,
  },
  'webhook-signature-failures': {
    kind: 'auth-failures',
    severity: 'medium',
    describe: (s, n, w) => `${n} webhook calls with a wrong signature or secret from ${s.kind} ${s.id} within ${w} s`,
    enforceByDefault: true,
  },
};

/** One observation for a rule: which subject, how many occurrences, and the record behind it. */
export interface Signal {
  rule: CountingRule;
  subject: IncidentSubject;
  count: number;
  at: number;
  sample: { eventId: string; source: string; action: string; actor: string; reason?: string; at: string };
}

type AuditEvent = EventOf<'security.audit.recorded.v1'>;

const DEVICE_AUTH_FAILURE = /^connectivity\.(mqtt|http)\.(bad-token|unknown-device|no-valid-credential|too-many-failures|bad-username|bad-client-id)$/;
const REJECTED_PAYLOAD = /^connectivity\.(mqtt|http|lorawan)\.(payload-size|invalid-payload)$/;
const WEBHOOK_SIGNATURE = /(\.webhook\.signature-rejected|^connectivity\.lorawan\.webhook-unauthenticated)$/;

function addressOf(event: AuditEvent): string | undefined {
  const address = event.payload.details?.['address'];
  return typeof address === 'string' && isIP(address) !== 0 ? address : undefined;
}

/** connectivity names devices `<tenant>/<deviceId>`, devices by id: one subject either way. */
function deviceOf(event: AuditEvent): string {
  const id = event.payload.actor.id;
  return id.startsWith(`${event.tenant}/`) ? id.slice(event.tenant.length + 1) : id;
}

function ruleAndSubject(event: AuditEvent): { rule: CountingRule; subject: IncidentSubject } | undefined {
  const { action, outcome } = event.payload;
  if (DEVICE_AUTH_FAILURE.test(action)) {
    const address = addressOf(event);
    return { rule: 'device-auth-failures', subject: address ? { kind: 'address', id: address } : { kind: 'device', id: deviceOf(event) } };
  }
  if (REJECTED_PAYLOAD.test(action) || (action === 'device.uplink.decode' && outcome === 'failed')) {
    return { rule: 'rejected-payloads', subject: { kind: 'device', id: deviceOf(event) } };
  }
  if (action === 'auth.tenant-mismatch') {
    const clientId = event.payload.details?.['clientId'];
    return { rule: 'cross-tenant-tokens', subject: { kind: 'client', id: typeof clientId === 'string' && clientId ? clientId : event.payload.actor.id } };
  }
  if (WEBHOOK_SIGNATURE.test(action)) {
    const address = addressOf(event);
    return { rule: 'webhook-signature-failures', subject: address ? { kind: 'address', id: address } : { kind: 'client', id: event.payload.actor.id } };
  }
  return undefined;
}

/** The signal an audit record is for a rule, if any. */
export function signalOf(event: AuditEvent): Signal | undefined {
  const matched = ruleAndSubject(event);
  if (!matched) return undefined;
  const { payload } = event;
  return {
    ...matched,
    count: occurrencesOf(payload),
    at: Date.parse(payload.at),
    sample: {
      eventId: event.id,
      source: event.source,
      action: payload.action,
      actor: `${payload.actor.kind}:${payload.actor.id}`,
      ...(payload.reason !== undefined && { reason: payload.reason }),
      at: payload.at,
    },
  };
}
