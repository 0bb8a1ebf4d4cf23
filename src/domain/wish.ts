import { createHash } from 'node:crypto';
import { ValidationError, type FieldProblem } from './errors.js';
import { sanitise } from './sanitise.js';
import { DESTINATIONS, LIMITS, arrivalDate, charCount, type Destination } from './wish-terms.js';

/** What an evacuee sends: the body of `POST /api/wishes`. */
export interface WishSubmission {
  readonly destination: Destination;
  readonly to?: string | undefined;
  readonly message: string;
}

/** A wish as accepted at the front door: the payload of `exodus.wish.accepted`. Text is still raw. */
export interface AcceptedWish extends WishSubmission {
  readonly id: string;
  readonly evacueeId: string;
  /** Server time at acceptance, ISO 8601; with `id`, the wish's version. */
  readonly submittedAt: string;
}

/** A screened wish: the payload of `exodus.wish.parsed`. Text is plain, normalised and inert. */
export interface ParsedWish extends AcceptedWish {
  readonly arrivalDate: string;
  /** sha256 of the accepted (raw) destination, recipient and message: lets an audit prove content survived. */
  readonly contentHash: string;
  readonly markupRemoved: boolean;
}

export type ParseOutcome =
  | { readonly ok: true; readonly wish: ParsedWish }
  | { readonly ok: false; readonly reason: string };

/**
 * The shape rules of a submission, checked at the front door (400) and again by the parser for
 * messages from anywhere else. Returns every problem, field by field.
 */
export function checkSubmission(body: unknown): WishSubmission {
  const problems: FieldProblem[] = [];
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ValidationError([{ field: '(body)', reason: 'must be a JSON object' }]);
  }
  const { destination, to, message } = body as Record<string, unknown>;
  if (!DESTINATIONS.includes(destination as Destination)) {
    problems.push({ field: 'destination', reason: `must be one of ${DESTINATIONS.join(', ')}` });
  }
  if (to !== undefined && to !== null) {
    if (typeof to !== 'string') problems.push({ field: 'to', reason: 'must be a string' });
    else if (charCount(to) > LIMITS.toMaxChars) problems.push({ field: 'to', reason: `must be at most ${LIMITS.toMaxChars} characters` });
  }
  if (typeof message !== 'string') problems.push({ field: 'message', reason: 'must be a string' });
  else if (message.length === 0) problems.push({ field: 'message', reason: 'must not be empty' });
  else if (charCount(message) > LIMITS.messageMaxChars) {
    problems.push({ field: 'message', reason: `must be at most ${LIMITS.messageMaxChars} characters` });
  }
  if (problems.length > 0) throw new ValidationError(problems);
  return {
    destination: destination as Destination,
    to: typeof to === 'string' ? to : undefined,
    message: message as string,
  };
}

/** Screens an accepted wish into plain text, or says why it must be rejected. Pure and deterministic. */
export function parseWish(accepted: AcceptedWish): ParseOutcome {
  let submission: WishSubmission;
  try {
    submission = checkSubmission(accepted);
  } catch (error) {
    return { ok: false, reason: error instanceof ValidationError ? error.message : 'malformed wish' };
  }
  const message = sanitise(submission.message);
  if (message.text.length === 0) return { ok: false, reason: 'message: empty once markup and control characters are removed' };
  const to = submission.to === undefined ? undefined : sanitise(submission.to);
  const toText = to !== undefined && to.text.length > 0 ? to.text : undefined;
  return {
    ok: true,
    wish: {
      id: accepted.id,
      evacueeId: accepted.evacueeId,
      submittedAt: accepted.submittedAt,
      destination: submission.destination,
      ...(toText === undefined ? {} : { to: toText }),
      message: message.text,
      arrivalDate: arrivalDate(accepted.submittedAt, submission.destination),
      contentHash: contentHash(submission),
      markupRemoved: message.markupRemoved || (to?.markupRemoved ?? false),
    },
  };
}

export function contentHash(submission: WishSubmission): string {
  return createHash('sha256')
    .update(JSON.stringify([submission.destination, submission.to ?? null, submission.message]))
    .digest('hex');
}
