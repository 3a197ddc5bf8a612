import { applyDecorators, type PipeTransform } from '@nestjs/common';
import { ApiBearerAuth, ApiResponse } from '@nestjs/swagger';
import type { SchemaObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import { z } from 'zod';

/**
 * Validates a body or query with zod. A ZodError reaches the problem filter, which answers 400
 * with every issue as `{ path, message }`.
 */
export class ZodValidationPipe<S extends z.ZodType> implements PipeTransform<unknown, z.output<S>> {
  constructor(private readonly schema: S) {}

  transform(value: unknown): z.output<S> {
    return this.schema.parse(value);
  }
}

/** The OpenAPI schema of a zod schema, for `@ApiBody({ schema })` and `@ApiOkResponse({ schema })`. */
export function openApiSchema(schema: z.ZodType, io: 'input' | 'output' = 'input'): SchemaObject {
  return z.toJSONSchema(schema, { target: 'openapi-3.0', io, unrepresentable: 'any' }) as SchemaObject;
}

const problemSchema: SchemaObject = {
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

const PROBLEM_DESCRIPTIONS: Record<number, string> = {
  400: 'Invalid request (every issue listed in `errors`)',
  401: 'No valid bearer token',
  403: 'Role or tenant not allowed',
  404: 'Not found in this tenant',
  409: 'Conflicts with the current state',
  413: 'Too large',
};

/** The problem responses of a bearer-protected route (401, 403 and `statuses`), as RFC 7807 bodies. */
export function ApiProblems(...statuses: number[]) {
  return applyDecorators(
    ApiBearerAuth(),
    ...[401, 403, ...statuses].map((status) =>
      ApiResponse({
        status,
        description: PROBLEM_DESCRIPTIONS[status] ?? 'Problem',
        content: { 'application/problem+json': { schema: problemSchema } },
      }),
    ),
  );
}
