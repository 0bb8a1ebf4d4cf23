import { ExodusError, PermanentError, TransientError } from '../../domain/index.js';

/** Error names (and batch entry codes) AWS uses for "too many requests, slow down". */
const THROTTLED = new Set(['ThrottlingException', 'Throttling', 'RequestThrottled', 'KmsThrottled', 'KMS.ThrottlingException', 'TooManyRequestsException', 'ThrottledException']);
/** What the SDK's socket layer reports when the service cannot be reached. */
const UNREACHABLE = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ENOTFOUND']);
/** A request the service will refuse again, whatever the moment: the message itself is wrong. */
const REFUSED = new Set(['InvalidParameterValue', 'InvalidMessageContents', 'BatchRequestTooLong', 'MessageTooLong', 'InvalidParameterException', 'InvalidBatchEntryId']);

interface AwsErrorShape {
  readonly name?: string;
  readonly code?: string;
  readonly Code?: string;
  readonly $fault?: 'client' | 'server';
}

/**
 * Turns what the SQS and SNS clients throw into the error catalog. The SDK has already retried
 * throttling and 5xx (its standard retry mode) by the time an error reaches us, so what is left is
 * an outage for the consumers to wait out: `TransientError`. A message the service refuses for what
 * it is (too big, bad characters) is a `PermanentError`. Anything else (no such queue, access
 * denied: a deployment to fix) stays a plain error, which consumers retry and finally dead-letter.
 */
export function classify(error: unknown, doing: string): unknown {
  if (error instanceof ExodusError) return error;
  const shape = (error ?? {}) as AwsErrorShape;
  const name = shape.name ?? '';
  const code = shape.code ?? shape.Code ?? '';
  const message = `SQS/SNS: ${doing} failed: ${error instanceof Error ? error.message : String(error)}`;
  if (THROTTLED.has(name) || THROTTLED.has(code)) return new TransientError('sqs_throttled', message, { cause: error });
  if (shape.$fault === 'server' || UNREACHABLE.has(code) || name === 'TimeoutError' || name === 'AbortError') {
    return new TransientError('sqs_unavailable', message, { cause: error });
  }
  if (REFUSED.has(name) || REFUSED.has(code)) return new PermanentError('sqs_refused', message, { cause: error });
  return error instanceof Error ? new Error(message, { cause: error }) : error;
}

/** Runs `work`, classifying whatever it throws. */
export async function guarded<T>(doing: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw classify(error, doing);
  }
}

/** A failed entry of a batch call: retried when the service says it may pass, reported when it will not. */
export function entryFailure(entry: { readonly Code?: string | undefined; readonly Message?: string | undefined; readonly SenderFault?: boolean | undefined }, doing: string): Error {
  const message = `SQS/SNS: ${doing} failed for one entry: ${entry.Code ?? 'unknown'}${entry.Message === undefined ? '' : ` (${entry.Message})`}`;
  if (THROTTLED.has(entry.Code ?? '')) return new TransientError('sqs_throttled', message);
  return entry.SenderFault === true ? new PermanentError('sqs_refused', message) : new TransientError('sqs_unavailable', message);
}
