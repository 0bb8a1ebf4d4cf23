/**
 * The typed error catalog. Every error has a stable `code` and says in its type what a retry means:
 * a `PermanentError` will fail again (reject or dead-letter now), a `TransientError` may pass later
 * (retry with backoff). Engines classify driver errors into these; the HTTP layer maps them once.
 */
export abstract class ExodusError extends Error {
  abstract readonly code: string;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Retrying cannot help: the input or the message itself is wrong. */
export class PermanentError extends ExodusError {
  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A dependency is unavailable or busy: the same work may succeed later. */
export class TransientError extends ExodusError {
  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * A messaging engine refused one message for what it holds (characters it cannot carry, a size over
 * its limit): sending it again fails the same way, and it says nothing about other messages, which
 * the engine still takes. Not an outage: the front door answers that one request with a problem of
 * its own and keeps taking wishes; a consumer whose output is refused dead-letters the message it
 * was handling, with the reason.
 */
export class MessageRefusedError extends PermanentError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('message_refused', message, options);
  }
}

/** One field of the input and why it is wrong; the API names each in its problem details. */
export interface FieldProblem {
  readonly field: string;
  readonly reason: string;
}

/** The input breaks the wish rules. Carries every problem found, not just the first. */
export class ValidationError extends PermanentError {
  constructor(readonly problems: readonly FieldProblem[]) {
    super('validation', problems.map((p) => `${p.field}: ${p.reason}`).join('; '));
  }
}

/**
 * Why a boarding pass was not accepted: none sent, not shaped like a pass, not signed by this
 * deployment (forged or tampered), or past its expiry. Clients branch on it (the page words each).
 */
export type PassProblem = 'missing' | 'malformed' | 'invalid' | 'expired';

/** The boarding pass is missing, malformed, not signed by this deployment, or expired. */
export class AuthError extends PermanentError {
  constructor(
    readonly problem: PassProblem,
    reason: string,
  ) {
    super('unauthorized', reason);
  }
}
