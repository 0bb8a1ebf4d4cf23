import { PermanentError, TransientError } from '../../domain/index.js';
import { SOCKET_OUTAGE_CODES, withClassifiedErrors } from '../shared/errors.js';

/**
 * Error names meaning "too much at once": the table's or the account's rate, or two writers on one
 * item (a transaction conflict). A retry after a pause may pass.
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Programming.Errors.html
 */
const THROTTLED_NAMES = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'TransactionConflictException',
  'TransactionInProgressException',
]);

/** The service or the path to it failed: a retry may pass once it is back. */
const UNAVAILABLE_NAMES = new Set([
  'InternalServerError',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
]);

/** Cancellation reasons that say "busy", not "this write is wrong"; `None` marks the items that were fine. */
const BUSY_REASONS = new Set(['TransactionConflict', 'ThrottlingError', 'ProvisionedThroughputExceeded']);

interface SdkErrorShape {
  readonly name?: unknown;
  readonly code?: unknown;
  readonly cause?: unknown;
  readonly $metadata?: { readonly httpStatusCode?: unknown };
  readonly CancellationReasons?: readonly { readonly Code?: string | undefined }[];
}

const shape = (error: unknown): SdkErrorShape => (typeof error === 'object' && error !== null ? error : {});

/** The reason code of each item of a cancelled transaction, in request order; undefined for any other error. */
export function cancellationCodes(error: unknown): (string | undefined)[] | undefined {
  const { name, CancellationReasons } = shape(error);
  return name === 'TransactionCanceledException' ? (CancellationReasons ?? []).map((reason) => reason.Code) : undefined;
}

/** Another writer holds an item this write touches: retry after a pause, nothing is wrong with the write. */
export function isContention(error: unknown): boolean {
  return (
    shape(error).name === 'TransactionConflictException' ||
    (cancellationCodes(error)?.includes('TransactionConflict') ?? false)
  );
}

/** The SDK's name for an error (`ConditionalCheckFailedException`, `ResourceNotFoundException`, …). */
export function isNamed(error: unknown, name: string): boolean {
  return shape(error).name === name;
}

/**
 * Turns an SDK error into the domain's retry meaning. Transient: throttled or in conflict
 * (`dynamodb_throttled`), or the service or network failed (`dynamodb_unavailable`). Permanent: the
 * service refused the data (`ValidationException`, e.g. an item over 400 KB or an empty key), so the
 * same message would fail forever. Anything else (a missing table, denied access) stays a plain
 * error, which consumers retry and finally dead-letter.
 */
export function classify(error: unknown): unknown {
  if (error instanceof TransientError || error instanceof PermanentError) return error;
  const message = error instanceof Error ? error.message : String(error);
  if (isThrottled(error))
    return new TransientError('dynamodb_throttled', `DynamoDB throttled the request: ${message}`, { cause: error });
  if (isUnavailable(error))
    return new TransientError('dynamodb_unavailable', `DynamoDB unavailable: ${message}`, { cause: error });
  if (isRefusedData(error))
    return new PermanentError('dynamodb_bad_data', `DynamoDB refused the data: ${message}`, { cause: error });
  return error;
}

/** The items of a cancelled transaction that failed, by reason code; undefined for any other error. */
function failedReasons(error: unknown): string[] | undefined {
  return cancellationCodes(error)?.filter((code): code is string => code !== undefined && code !== 'None');
}

function isThrottled(error: unknown): boolean {
  const { name } = shape(error);
  const reasons = failedReasons(error);
  return (
    (typeof name === 'string' && THROTTLED_NAMES.has(name)) ||
    (reasons !== undefined && reasons.length > 0 && reasons.every((code) => BUSY_REASONS.has(code)))
  );
}

function isUnavailable(error: unknown): boolean {
  const { name, code, cause, $metadata } = shape(error);
  // A socket error's code is on the error itself, or on its cause when the SDK wrapped it.
  const socketCode = typeof code === 'string' ? code : shape(cause).code;
  const status = $metadata?.httpStatusCode;
  return (
    (typeof name === 'string' && UNAVAILABLE_NAMES.has(name)) ||
    (typeof socketCode === 'string' && SOCKET_OUTAGE_CODES.has(socketCode)) ||
    (typeof status === 'number' && status >= 500)
  );
}

function isRefusedData(error: unknown): boolean {
  return shape(error).name === 'ValidationException' || (failedReasons(error)?.includes('ValidationError') ?? false);
}

/** Runs `work` with every error it throws classified: what each public method of the engine returns. */
export function classified<T>(work: () => Promise<T>): Promise<T> {
  return withClassifiedErrors(work, classify);
}

/** A batch refused for its data may have been refused for one item: retry each alone (see TurnBatch). */
export function isolatable(error: unknown): boolean {
  return error instanceof PermanentError;
}
