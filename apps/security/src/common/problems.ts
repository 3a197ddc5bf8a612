import { HttpStatus } from '@nestjs/common';
import { ProblemException } from '@urbis/runtime';

/** What can go wrong in the security API; each code has one status and one problem type. */
export enum SecurityErrorCode {
  RangeInvalid = 'range-invalid',
  PolicyInvalid = 'policy-invalid',
  PolicyTooLarge = 'policy-too-large',
  PolicyNotFound = 'policy-not-found',
  VersionConflict = 'version-conflict',
  IncidentNotFound = 'incident-not-found',
  IllegalIncidentTransition = 'illegal-incident-transition',
}

const STATUS: Record<SecurityErrorCode, { status: HttpStatus; title: string }> = {
  [SecurityErrorCode.RangeInvalid]: { status: HttpStatus.BAD_REQUEST, title: 'Invalid ledger range' },
  [SecurityErrorCode.PolicyInvalid]: { status: HttpStatus.BAD_REQUEST, title: 'Invalid data-access policy' },
  [SecurityErrorCode.PolicyTooLarge]: { status: HttpStatus.PAYLOAD_TOO_LARGE, title: 'Policy document too large' },
  [SecurityErrorCode.PolicyNotFound]: { status: HttpStatus.NOT_FOUND, title: 'Policy not found' },
  [SecurityErrorCode.VersionConflict]: { status: HttpStatus.CONFLICT, title: 'Concurrent modification' },
  [SecurityErrorCode.IncidentNotFound]: { status: HttpStatus.NOT_FOUND, title: 'Incident not found' },
  [SecurityErrorCode.IllegalIncidentTransition]: { status: HttpStatus.CONFLICT, title: 'Illegal incident transition' },
};

export const PROBLEM_TYPE_BASE = 'https://urbis.city/problems/security/';

/** An RFC 7807 problem of the security API, with its `code`; the runtime's filter writes it. */
export class SecurityProblem extends ProblemException {
  constructor(
    readonly code: SecurityErrorCode,
    detail: string,
    extensions: Record<string, unknown> = {},
  ) {
    const { status, title } = STATUS[code];
    super({ ...extensions, type: `${PROBLEM_TYPE_BASE}${code}`, title, status, detail, code });
  }
}
