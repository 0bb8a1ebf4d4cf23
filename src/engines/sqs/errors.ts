import { ExodusError, MessageRefusedError, PermanentError, TransientError } from '../../domain/index.js';
import { SOCKET_OUTAGE_CODES, withClassifiedErrors } from '../shared/errors.js';

/** Error names (and batch entry codes) AWS uses for "too many requests, slow down". */
const THROTTLED = new Set([
  'ThrottlingException',
  'Throttling',
  'RequestThrottled',
  'KmsThrottled',
  'KMS.ThrottlingException',
  'TooManyRequestsException',
  'ThrottledException',
]);
/** A request the service will refuse again, whatever the moment. */
const REFUSED = new Set([
  'InvalidParameterValue',
  'InvalidMessageContents',
  'BatchRequestTooLong',
  'MessageTooLong',
  'InvalidParameterException',
  'InvalidBatchEntryId',
]);
/**
 * What SQS and SNS answer a send or publish when a message itself is wrong: characters SQS does not
 * take (`InvalidMessageContents`), a body or batch too long (`MessageTooLong`, `BatchRequestTooLong`,
 * and SQS's `InvalidParameterValue` "Message must be shorter than…"), SNS's `InvalidParameter`
 * "Message too long". The rest of a send is the engine's own making (the queue or topic, entry ids,
 * attributes it keeps to what SQS takes, a delay it caps), so on a send these codes speak of the
 * message. On any other call they stay plain refusals (`sqs_refused`).
 */
const CONTENT_REFUSED = new Set([
  'InvalidMessageContents',
  'MessageTooLong',
  'BatchRequestTooLong',
  'InvalidParameterValue',
  'InvalidParameter',
  'InvalidParameterException',
  'InvalidParameterValueException',
]);

/** A send or publish (whose refusals speak of the messages), or any other call. */
type Call = 'send' | 'other';

interface AwsErrorShape {
  readonly name?: string;
  readonly code?: string;
  readonly Code?: string;
  readonly $fault?: 'client' | 'server';
}

/**
 * Turns what the SQS and SNS clients throw into the error catalog. The SDK has already retried
 * throttling and 5xx (its standard retry mode) by the time an error reaches us, so what is left is
 * an outage for the consumers to wait out: `TransientError`. A send the service refuses for the
 * messages it carries (too big, bad characters) is a `MessageRefusedError`; another request it will
 * refuse again is a `PermanentError`. Anything else (no such queue, access denied: a deployment to
 * fix) stays a plain error, which consumers retry and finally dead-letter.
 */
export function classify(error: unknown, doing: string, call: Call = 'other'): unknown {
  if (error instanceof ExodusError) return error;
  const shape = (error ?? {}) as AwsErrorShape;
  const name = shape.name ?? '';
  const code = shape.code ?? shape.Code ?? '';
  const message = `SQS/SNS: ${doing} failed: ${error instanceof Error ? error.message : String(error)}`;
  if (THROTTLED.has(name) || THROTTLED.has(code)) return new TransientError('sqs_throttled', message, { cause: error });
  if (shape.$fault === 'server' || SOCKET_OUTAGE_CODES.has(code) || name === 'TimeoutError' || name === 'AbortError') {
    return new TransientError('sqs_unavailable', message, { cause: error });
  }
  if (call === 'send' && (CONTENT_REFUSED.has(name) || CONTENT_REFUSED.has(code)))
    return new MessageRefusedError(message, { cause: error });
  if (REFUSED.has(name) || REFUSED.has(code)) return new PermanentError('sqs_refused', message, { cause: error });
  return error instanceof Error ? new Error(message, { cause: error }) : error;
}

/** Runs `work` (a `'send'` or publish, or any other call), classifying whatever it throws. */
export function guarded<T>(doing: string, work: () => Promise<T>, call: Call = 'other'): Promise<T> {
  return withClassifiedErrors(work, (error) => classify(error, doing, call));
}

/**
 * A failed entry of a batch call: retried when the service says it may pass, reported when it will
 * not. Only sends and publishes report their refused entries this way (a refused delete or
 * visibility change is an answer: see settler.ts), so a refusal for the message is a `MessageRefusedError`.
 */
export function entryFailure(
  entry: {
    readonly Code?: string | undefined;
    readonly Message?: string | undefined;
    readonly SenderFault?: boolean | undefined;
  },
  doing: string,
): Error {
  const code = entry.Code ?? 'unknown';
  const message = `SQS/SNS: ${doing} failed for one entry: ${code}${entry.Message === undefined ? '' : ` (${entry.Message})`}`;
  if (THROTTLED.has(code)) return new TransientError('sqs_throttled', message);
  if (entry.SenderFault !== true) return new TransientError('sqs_unavailable', message);
  return CONTENT_REFUSED.has(code) ? new MessageRefusedError(message) : new PermanentError('sqs_refused', message);
}
