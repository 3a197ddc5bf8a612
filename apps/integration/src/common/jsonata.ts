import jsonata from 'jsonata';

/** Bounds every evaluation: wall time, recursion depth, sequence length. */
export interface JsonataLimits {
  timeoutMs: number;
  maxDepth: number;
  maxSequence: number;
}

/** An expression that does not compile; `position` is where JSONata stopped. */
export class ExpressionSyntaxError extends Error {
  constructor(
    message: string,
    readonly position: number,
  ) {
    super(message);
  }
}

/** An evaluation that failed or ran past its limits. */
export class ExpressionEvaluationError extends Error {}

interface JsonataFailure {
  code?: string;
  message?: string;
  position?: number;
}

const asFailure = (error: unknown): JsonataFailure =>
  typeof error === 'object' && error !== null ? (error as JsonataFailure) : { message: String(error) };

/**
 * Compiles a webhook filter or a connector mapping once. jsonata's own guardrails, checked on
 * every evaluation step, stop runaway expressions: `timeout` loops, `stack` deep recursion,
 * `sequence` huge ranges. (apps/devices bounds its JSONata codecs the same way.)
 */
export function compileExpression(
  expression: string,
  limits: JsonataLimits,
): (input: unknown) => Promise<unknown> {
  let compiled: jsonata.Expression;
  try {
    compiled = jsonata(expression, {
      timeout: limits.timeoutMs,
      stack: limits.maxDepth,
      sequence: limits.maxSequence,
    });
  } catch (error) {
    const failure = asFailure(error);
    throw new ExpressionSyntaxError(
      `JSONata ${failure.code ?? 'error'} at position ${failure.position ?? 0}: ${failure.message ?? 'syntax error'}`,
      failure.position ?? 0,
    );
  }
  return async (input) => {
    try {
      return await compiled.evaluate(input);
    } catch (error) {
      const failure = asFailure(error);
      const reason =
        failure.code === 'D1012'
          ? `exceeded its ${limits.timeoutMs} ms time limit`
          : failure.code === 'D1011'
            ? `exceeded its recursion limit of ${limits.maxDepth}`
            : failure.code === 'D2015'
              ? `built a sequence longer than ${limits.maxSequence}`
              : `failed: ${failure.code ?? 'error'}: ${failure.message ?? 'evaluation failed'}`;
      throw new ExpressionEvaluationError(`JSONata expression ${reason}`);
    }
  };
}
