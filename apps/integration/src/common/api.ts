import { applyDecorators } from '@nestjs/common';
import { ApiBearerAuth, ApiResponse } from '@nestjs/swagger';
import type { SchemaObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';

const problem: SchemaObject = {
  type: 'object',
  required: ['type', 'title', 'status'],
  properties: {
    type: { type: 'string' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    code: { type: 'string' },
    errors: { type: 'array', items: { type: 'object' } },
  },
};

/** The problem responses a route can give, documented as RFC 7807 bodies. */
export function ApiProblems(...statuses: number[]) {
  const descriptions: Record<number, string> = {
    400: 'Invalid request (every issue listed in `errors`)',
    401: 'No valid bearer token',
    403: 'Role or tenant not allowed',
    404: 'Not found in this tenant',
    409: 'Conflicts with the current state',
    413: 'Too large',
    422: 'Understood but not processable',
    503: 'Not available now',
  };
  return applyDecorators(
    ApiBearerAuth(),
    ...[401, 403, ...statuses].map((status) =>
      ApiResponse({
        status,
        description: descriptions[status] ?? 'Problem',
        content: { 'application/problem+json': { schema: problem } },
      }),
    ),
  );
}
