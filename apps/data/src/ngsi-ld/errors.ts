import { ProblemException } from '@urbis/runtime';

/** NGSI-LD error types (ETSI GS CIM 009, clause 5.5.2) and the HTTP status each is answered with. */
export const NGSI_LD_ERRORS = {
  InvalidRequest: 400,
  BadRequestData: 400,
  AlreadyExists: 409,
  OperationNotSupported: 422,
  ResourceNotFound: 404,
  InternalError: 500,
  TooComplexQuery: 403,
  TooManyResults: 403,
  LdContextNotAvailable: 503,
  NoMultiTenantSupport: 501,
  NonexistentTenant: 404,
} as const;

export type NgsiLdErrorType = keyof typeof NGSI_LD_ERRORS;

const TITLES: Record<NgsiLdErrorType, string> = {
  InvalidRequest: 'Invalid request',
  BadRequestData: 'Bad request data',
  AlreadyExists: 'Already exists',
  OperationNotSupported: 'Operation not supported',
  ResourceNotFound: 'Resource not found',
  InternalError: 'Internal error',
  TooComplexQuery: 'Too complex query',
  TooManyResults: 'Too many results',
  LdContextNotAvailable: 'LD context not available',
  NoMultiTenantSupport: 'No multi-tenant support',
  NonexistentTenant: 'Nonexistent tenant',
};

export const NGSI_LD_ERROR_BASE = 'https://uri.etsi.org/ngsi-ld/errors/';

/** NGSI-LD answers errors as ProblemDetails in plain JSON. */
export const NGSI_LD_PROBLEM_CONTENT_TYPE = 'application/json';

export interface NgsiLdProblem {
  type: string;
  title: string;
  status: number;
  detail: string;
  [extension: string]: unknown;
}

export function ngsiLdProblem(type: NgsiLdErrorType, detail: string, status: number = NGSI_LD_ERRORS[type]): NgsiLdProblem {
  return { type: `${NGSI_LD_ERROR_BASE}${type}`, title: TITLES[type], status, detail };
}

/**
 * An NGSI-LD error: the runtime's problem filter writes it as NGSI-LD ProblemDetails. `status`
 * overrides the type's usual code where the spec asks for another one (406, 413, 415).
 */
export class NgsiLdError extends ProblemException {
  constructor(
    readonly errorType: NgsiLdErrorType,
    detail: string,
    status?: number,
  ) {
    super(ngsiLdProblem(errorType, detail, status), NGSI_LD_PROBLEM_CONTENT_TYPE);
    this.message = detail;
  }
}

export const badRequest = (detail: string) => new NgsiLdError('BadRequestData', detail);
export const invalidRequest = (detail: string) => new NgsiLdError('InvalidRequest', detail);
export const notFound = (detail: string) => new NgsiLdError('ResourceNotFound', detail);
