export {
  type AuditActor,
  type AuditDetails,
  type AuditEvent,
  type AuditInput,
  type AuditOutcome,
  actorOf,
  auditEvent,
  occurrencesOf,
  PLATFORM_TENANT,
  principalDetails,
} from './audit-record';
export { AuditTrail, type AuditTrailOptions, type RecordOptions } from './audit-trail';
export { AuthRefusalAuditor } from './auth-refusal-auditor';
export { AuditModule, type AuditModuleOptions } from './audit.module';
export { AUDITED, Audited, AuditInterceptor, type AuditedOptions } from './audited';
