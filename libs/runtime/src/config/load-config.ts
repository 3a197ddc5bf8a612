import type { z } from 'zod';

export interface ConfigProblem {
  /** The environment variable, e.g. `PORT`. */
  variable: string;
  problem: string;
}

/** The environment does not satisfy the service's config schema; lists every bad variable. */
export class ConfigError extends Error {
  constructor(readonly problems: readonly ConfigProblem[]) {
    super(`invalid configuration:\n${problems.map((p) => `  ${p.variable}: ${p.problem}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

type Env = Readonly<Record<string, string | undefined>>;

/** Treats empty variables as unset, as a shell `FOO=` or an empty Kubernetes value means. */
function withoutEmpty(env: Env): Record<string, string> {
  return Object.fromEntries(
    Object.entries(env).filter(
      (entry): entry is [string, string] => entry[1] !== undefined && entry[1] !== '',
    ),
  );
}

/** Parses `env` with `schema`; throws ConfigError naming every bad variable. */
export function parseConfig<S extends z.ZodType>(schema: S, env: Env): z.output<S> {
  const result = schema.safeParse(withoutEmpty(env));
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const [variable, ...within] = issue.path.map(String);
    const problem = issue.code === 'invalid_type' && issue.input === undefined ? 'required' : issue.message;
    // A list variable (KAFKA_BROKERS) reports which entry is wrong.
    return {
      variable: variable ?? '(environment)',
      problem: within.length ? `entry ${within.join('.')}: ${problem}` : problem,
    };
  });
  throw new ConfigError(problems);
}

/**
 * Reads the service's configuration once, at boot. On failure it prints every bad variable
 * (name and problem) to stderr and exits 1: a service never starts half-configured.
 * The only place a service reads process.env (OTEL_* excepted, which the OTel SDK reads).
 */
export function loadConfig<S extends z.ZodType>(schema: S, env: Env = process.env): z.output<S> {
  try {
    return parseConfig(schema, env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`Refusing to start: ${error.message}\n`);
    process.exit(1);
  }
}
