/**
 * The public face of the domain for browser code (web/): the rules the page shows and checks before
 * sending, and the shapes the API answers with. Values come only from modules that run without Node;
 * the rest is types, erased at build.
 */
export { spokenDuration } from './burn-rate.js';
export type { FieldProblem, PassProblem } from './errors.js';
export { isPassShaped, passProblemOf, passProblemType } from './pass-shape.js';
export { describeUnshowable, findUnshowable, type Unshowable, type UnshowableKind } from './text-rules.js';
export {
  DESTINATIONS,
  DESTINATION_NAMES,
  LIMITS,
  TRANSIT_MONTHS,
  WISH_STATUSES,
  arrivalDate,
  charCount,
  isBlank,
  type Destination,
  type WallItem,
  type WishStatus,
} from './wish-terms.js';
