import { createHash } from 'node:crypto';
import { ValidationError, type FieldProblem } from './errors.js';
import { looksLikeMarkup } from './markup.js';
import { describeUnshowable, findUnshowable } from './text-rules.js';
import { DESTINATIONS, LIMITS, arrivalDate, charCount, isBlank, type Destination } from './wish-terms.js';

/** What an evacuee sends: the body of `POST /api/wishes`. */
export interface WishSubmission {
  readonly destination: Destination;
  readonly to?: string | undefined;
  readonly message: string;
}

/** A wish as accepted at the front door: the payload of `exodus.wish.accepted`. Text is as written, in NFC. */
export interface AcceptedWish extends WishSubmission {
  readonly id: string;
  readonly evacueeId: string;
  /** Server time at acceptance, ISO 8601; with `id`, the wish's version. */
  readonly submittedAt: string;
}

/**
 * A screened wish: the payload of `exodus.wish.parsed`. Its text is exactly the accepted text; every
 * surface shows it as text, never as markup.
 */
export interface ParsedWish extends AcceptedWish {
  readonly arrivalDate: string;
  /** sha256 of the accepted destination, recipient and message: lets an audit prove content survived. */
  readonly contentHash: string;
  /** The text looks like markup (an injection attempt): kept as written, flagged and reported. */
  readonly markupFlagged: boolean;
}

export type ParseOutcome =
  { readonly ok: true; readonly wish: ParsedWish } | { readonly ok: false; readonly reason: string };

/**
 * The rules of a submission, checked at the front door (400) and again by the parser for messages
 * from anywhere else. Returns the submission with its text in Unicode NFC (canonical form: the same
 * words typed on two keyboards are one text), or throws every problem, field by field. Text is
 * refused only when it cannot be shown honestly (see `text-rules.ts`), never for what it says.
 */
export function checkSubmission(body: unknown): WishSubmission {
  const problems: FieldProblem[] = [];
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ValidationError([{ field: '(body)', reason: 'must be a JSON object' }]);
  }
  const fields = body as Record<string, unknown>;
  const { destination } = fields;
  if (!DESTINATIONS.includes(destination as Destination)) {
    problems.push({ field: 'destination', reason: `must be one of ${DESTINATIONS.join(', ')}` });
  }
  const to = checkText(fields['to'], { field: 'to', maxChars: LIMITS.toMaxChars, problems });
  const message = checkText(fields['message'], {
    field: 'message',
    maxChars: LIMITS.messageMaxChars,
    problems,
    required: true,
  });
  if (problems.length > 0) throw new ValidationError(problems);
  return { destination: destination as Destination, ...(to === undefined ? {} : { to }), message: message ?? '' };
}

/**
 * One text field in NFC, or undefined: when it is absent or blank (an optional field: a recipient
 * that is empty, blank or null is no recipient), or after recording in `problems` why it is not acceptable.
 */
function checkText(
  value: unknown,
  rule: { field: string; maxChars: number; problems: FieldProblem[]; required?: boolean },
): string | undefined {
  const { field, maxChars, problems } = rule;
  const required = rule.required === true;
  if ((value === undefined || value === null) && !required) return undefined;
  if (typeof value !== 'string') {
    problems.push({ field, reason: 'must be a string' });
    return undefined;
  }
  // Checked before normalising: NFC of a lone surrogate is not defined to keep it.
  const unshowable = findUnshowable(value);
  if (unshowable !== undefined) {
    problems.push({ field, reason: describeUnshowable(unshowable) });
    return undefined;
  }
  const text = value.normalize('NFC');
  if (isBlank(text)) {
    if (required) problems.push({ field, reason: text === '' ? 'must not be empty' : 'must not be blank' });
    return undefined;
  }
  if (charCount(text) > maxChars) problems.push({ field, reason: `must be at most ${maxChars} characters` });
  return text;
}

/**
 * Screens an accepted wish: the text stays exactly as accepted (NFC), markup is flagged, the arrival
 * date and content hash are computed. Rejected only when it breaks the submission rules, which a wish
 * through the front door never does. Pure and deterministic.
 */
export function parseWish(accepted: AcceptedWish): ParseOutcome {
  let submission: WishSubmission;
  try {
    submission = checkSubmission(accepted);
  } catch (error) {
    return { ok: false, reason: error instanceof ValidationError ? error.message : 'malformed wish' };
  }
  return {
    ok: true,
    wish: {
      id: accepted.id,
      evacueeId: accepted.evacueeId,
      submittedAt: accepted.submittedAt,
      ...submission,
      arrivalDate: arrivalDate(accepted.submittedAt, submission.destination),
      contentHash: contentHash(submission),
      markupFlagged:
        looksLikeMarkup(submission.message) || (submission.to !== undefined && looksLikeMarkup(submission.to)),
    },
  };
}

export function contentHash(submission: WishSubmission): string {
  return createHash('sha256')
    .update(JSON.stringify([submission.destination, submission.to ?? null, submission.message]))
    .digest('hex');
}
