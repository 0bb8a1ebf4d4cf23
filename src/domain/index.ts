export { DEFAULT_PASS_VALIDITY_DAYS, issuePass, verifyPass } from './boarding-pass.js';
export {
  BUDGET_PERIOD,
  BURN_RATE_ALERTS,
  BURN_WINDOWS,
  describePairs,
  durationMs,
  errorBudget,
  pairBurns,
  spokenDuration,
  type AlertSeverity,
  type BurnPair,
  type BurnRateAlert,
  type BurnWindow,
} from './burn-rate.js';
export { CANARY_EVACUEE_ID, isCanary } from './canary.js';
export {
  AuthError,
  ExodusError,
  MessageRefusedError,
  PermanentError,
  TransientError,
  ValidationError,
  type FieldProblem,
  type PassProblem,
} from './errors.js';
export { demoName, evacueeIdFor, isEvacueeId, type Evacuee } from './evacuee.js';
export { looksLikeMarkup } from './markup.js';
export { isPassShaped, passProblemOf, passProblemType } from './pass-shape.js';
export { describeUnshowable, findUnshowable, type Unshowable, type UnshowableKind } from './text-rules.js';
export { compareVersions, isNewer, type Versioned } from './version.js';
export { decodeCursor, encodeCursor, toWallItem } from './wall.js';
export { asAcceptedWish, asParsedWish } from './wish-guards.js';
export {
  DESTINATIONS,
  DESTINATION_NAMES,
  LIMITS,
  TRANSIT_MONTHS,
  WISH_STATUSES,
  arrivalDate,
  charCount,
  emptyTally,
  isBlank,
  type Destination,
  type WallItem,
  type WishStatus,
} from './wish-terms.js';
export {
  checkSubmission,
  contentHash,
  parseWish,
  type AcceptedWish,
  type ParseOutcome,
  type ParsedWish,
  type WishSubmission,
} from './wish.js';
