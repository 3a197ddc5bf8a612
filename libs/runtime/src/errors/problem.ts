import { HttpException } from '@nestjs/common';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** RFC 7807 problem details, with room for extension members (NGSI-LD adds its own). */
export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  [extension: string]: unknown;
}

/**
 * An error that already knows its problem body. Feature modules subclass it with their own
 * codes and problem types (the NGSI-LD routes with ETSI's ProblemDetails and their content
 * type); the runtime filter writes it as is.
 */
export class ProblemException extends HttpException {
  constructor(
    readonly problem: ProblemDetails,
    readonly contentType: string = PROBLEM_CONTENT_TYPE,
    options?: { cause?: unknown },
  ) {
    super(problem, problem.status, options?.cause === undefined ? undefined : { cause: options.cause });
  }
}

export function isProblemDetails(value: unknown): value is ProblemDetails {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Record<string, unknown>;
  return (
    typeof candidate['type'] === 'string' &&
    typeof candidate['title'] === 'string' &&
    typeof candidate['status'] === 'number'
  );
}
