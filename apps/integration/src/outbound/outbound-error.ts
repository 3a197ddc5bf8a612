/** Why an outbound request did not get an answer; `retryable` tells the delivery engine what to do. */
export type OutboundFailureKind =
  'refused' | 'invalid' | 'dns' | 'timeout' | 'network' | 'too-many-redirects';

export class OutboundError extends Error {
  constructor(
    readonly kind: OutboundFailureKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'OutboundError';
  }

  /** A refused or malformed destination stays refused; the network may come back. */
  get retryable(): boolean {
    return this.kind === 'dns' || this.kind === 'timeout' || this.kind === 'network';
  }
}
