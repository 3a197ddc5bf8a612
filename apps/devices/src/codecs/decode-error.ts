/** A payload the device's profile cannot turn into an observation; the reason is for the DLQ and the operator. */
export class DecodeError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DecodeError';
  }
}

/** A profile whose codec settings or mappings cannot work; `issues` are `path: message` pairs for a 400. */
export class ProfileDefinitionError extends Error {
  constructor(readonly issues: { path: string; message: string }[]) {
    super(issues.map((issue) => `${issue.path}: ${issue.message}`).join('; '));
    this.name = 'ProfileDefinitionError';
  }
}
