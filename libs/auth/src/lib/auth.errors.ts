import { HttpException, HttpStatus } from '@nestjs/common';

/** Why a request was refused. One code, one HTTP status, one problem type. */
export enum AuthErrorCode {
  TokenMissing = 'token-missing',
  TokenMalformed = 'token-malformed',
  TokenExpired = 'token-expired',
  TokenWrongType = 'token-wrong-type',
  TokenIssuerMismatch = 'token-issuer-mismatch',
  TokenSignatureInvalid = 'token-signature-invalid',
  TokenAudienceMismatch = 'token-audience-mismatch',
  IssuerUnavailable = 'issuer-unavailable',
  RoleMissing = 'role-missing',
  TenantMissing = 'tenant-missing',
  TenantMismatch = 'tenant-mismatch',
  TenantConflict = 'tenant-conflict',
}

const STATUS: Record<AuthErrorCode, HttpStatus> = {
  [AuthErrorCode.TokenMissing]: HttpStatus.UNAUTHORIZED,
  [AuthErrorCode.TokenMalformed]: HttpStatus.UNAUTHORIZED,
  [AuthErrorCode.TokenExpired]: HttpStatus.UNAUTHORIZED,
  [AuthErrorCode.TokenWrongType]: HttpStatus.UNAUTHORIZED,
  [AuthErrorCode.TokenIssuerMismatch]: HttpStatus.UNAUTHORIZED,
  [AuthErrorCode.TokenSignatureInvalid]: HttpStatus.UNAUTHORIZED,
  [AuthErrorCode.TokenAudienceMismatch]: HttpStatus.UNAUTHORIZED,
  [AuthErrorCode.IssuerUnavailable]: HttpStatus.SERVICE_UNAVAILABLE,
  [AuthErrorCode.RoleMissing]: HttpStatus.FORBIDDEN,
  [AuthErrorCode.TenantMissing]: HttpStatus.FORBIDDEN,
  [AuthErrorCode.TenantMismatch]: HttpStatus.FORBIDDEN,
  [AuthErrorCode.TenantConflict]: HttpStatus.BAD_REQUEST,
};

const TITLE: Record<AuthErrorCode, string> = {
  [AuthErrorCode.TokenMissing]: 'Authentication required',
  [AuthErrorCode.TokenMalformed]: 'Invalid access token',
  [AuthErrorCode.TokenExpired]: 'Invalid access token',
  [AuthErrorCode.TokenWrongType]: 'Invalid access token',
  [AuthErrorCode.TokenIssuerMismatch]: 'Invalid access token',
  [AuthErrorCode.TokenSignatureInvalid]: 'Invalid access token',
  [AuthErrorCode.TokenAudienceMismatch]: 'Invalid access token',
  [AuthErrorCode.IssuerUnavailable]: 'Token issuer unavailable',
  [AuthErrorCode.RoleMissing]: 'Forbidden',
  [AuthErrorCode.TenantMissing]: 'Forbidden',
  [AuthErrorCode.TenantMismatch]: 'Forbidden',
  [AuthErrorCode.TenantConflict]: 'Conflicting tenant',
};

export const PROBLEM_TYPE_BASE = 'https://urbis.dev/problems/auth/';

/** RFC 7807 problem details. */
export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: AuthErrorCode;
}

export class AuthException extends HttpException {
  constructor(
    readonly code: AuthErrorCode,
    detail: string,
    options?: { cause?: unknown },
  ) {
    const status = STATUS[code];
    const body: ProblemDetails = { type: `${PROBLEM_TYPE_BASE}${code}`, title: TITLE[code], status, detail, code };
    super(body, status, options?.cause === undefined ? undefined : { cause: options.cause });
  }

  get problem(): ProblemDetails {
    return this.getResponse() as ProblemDetails;
  }

  /** RFC 6750 §3: no error code when the request carried no credentials at all. */
  wwwAuthenticate(realm: string): string | undefined {
    if (this.getStatus() !== HttpStatus.UNAUTHORIZED) return undefined;
    if (this.code === AuthErrorCode.TokenMissing) return `Bearer realm="${realm}"`;
    const description = this.problem.detail.replace(/["\\]/g, '');
    return `Bearer realm="${realm}", error="invalid_token", error_description="${description}"`;
  }
}
