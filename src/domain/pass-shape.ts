import type { PassProblem } from './errors.js';
import { EVACUEE_ID_SOURCE } from './evacuee.js';

/**
 * What a boarding pass looks like, without checking it: `EV-00042.<expiry>.<signature>`, an evacuee
 * id, the expiry in Unix seconds (base 36) and a base64url HMAC-SHA256 (43 characters). Node-free,
 * so the page can tell someone "this is not a boarding pass" before a browser refuses to send it
 * (a header cannot carry most characters) and the server can refuse it before any crypto.
 */
const PASS_SHAPE = new RegExp(`^${EVACUEE_ID_SOURCE}\\.[0-9a-z]{1,10}\\.[A-Za-z0-9_-]{43}$`);

export function isPassShaped(text: string): boolean {
  return PASS_SHAPE.test(text);
}

const PASS_PROBLEMS: readonly PassProblem[] = ['missing', 'malformed', 'invalid', 'expired'];
const TYPE_PREFIX = '/problems/pass-';

/** The RFC 9457 problem `type` of a refused pass, e.g. `/problems/pass-expired`. */
export function passProblemType(problem: PassProblem): string {
  return `${TYPE_PREFIX}${problem}`;
}

/** Why a pass was refused, read back from a problem `type`; undefined for any other type. */
export function passProblemOf(type: string | undefined): PassProblem | undefined {
  return PASS_PROBLEMS.find((problem) => type === passProblemType(problem));
}
