import jsonata from 'jsonata';
import { DecodeError, ProfileDefinitionError } from './decode-error';

/** Bounds every JSONata evaluation: wall time, recursion depth, sequence length. */
export interface JsonataLimits {
  timeoutMs: number;
  maxDepth: number;
  maxSequence: number;
}

export const DEFAULT_JSONATA_LIMITS: JsonataLimits = { timeoutMs: 50, maxDepth: 200, maxSequence: 10_000 };

interface JsonataFailure {
  code?: string;
  message?: string;
  position?: number;
  token?: string;
}

const asFailure = (error: unknown): JsonataFailure =>
  typeof error === 'object' && error !== null ? (error as JsonataFailure) : { message: String(error) };

/**
 * Compiles a profile's expression once. jsonata's own guardrails (checked on every evaluation
 * step) end runaway expressions: `timeout` stops loops and slow recursion, `stack` deep
 * recursion, `sequence` huge ranges. A syntax error is a ProfileDefinitionError with its position.
 */
export function compileJsonata(
  expression: string,
  limits: JsonataLimits = DEFAULT_JSONATA_LIMITS,
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
    throw new ProfileDefinitionError([
      {
        path: 'codec.expression',
        message: `JSONata ${failure.code ?? 'error'} at position ${failure.position ?? 0}: ${failure.message ?? 'syntax error'}`,
      },
    ]);
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
              : `${failure.code ?? 'error'}: ${failure.message ?? 'evaluation failed'}`;
      throw new DecodeError(`jsonata: expression ${reason}`, { cause: error });
    }
  };
}
