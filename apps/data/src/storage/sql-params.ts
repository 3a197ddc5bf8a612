/**
 * Collects the parameters of one SQL statement while its text is being built, so that
 * fragments written by different modules can be joined without renumbering placeholders.
 */
export class SqlParams {
  readonly values: unknown[] = [];

  /** Adds a value and returns its placeholder, e.g. `$3` (with an optional cast: `$3::jsonb`). */
  add(value: unknown, cast?: string): string {
    this.values.push(value);
    return `$${this.values.length}${cast ? `::${cast}` : ''}`;
  }
}
