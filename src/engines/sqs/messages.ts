import {
  GetQueueAttributesCommand,
  SendMessageBatchCommand,
  type MessageAttributeValue,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { Envelope } from '../../ports/index.js';
import { inBatches, refusalsOf } from './batches.js';
import { guarded } from './errors.js';

/**
 * What the engine keeps beside a message's body, as SQS message attributes: how often its handling
 * failed and how often its lease lapsed before this copy was sent (a retry sends a new copy, see
 * delivery.ts), the last error, and in a dead-letter queue why it is there.
 */
export const ATTRIBUTE = {
  attempt: 'exodus-attempt',
  lapses: 'exodus-lapses',
  lastError: 'exodus-last-error',
  deadAttempts: 'exodus-dead-attempts',
  deadError: 'exodus-dead-error',
  deadAt: 'exodus-dead-at',
} as const;

export type Attributes = Record<string, MessageAttributeValue>;

/** A message to send: its body and the engine's attributes. */
export interface Outgoing {
  readonly body: string;
  readonly attributes?: Attributes;
  readonly delaySeconds?: number;
}

/** SQS keeps a message invisible after a send for at most 15 minutes. */
export const MAX_DELAY_SECONDS = 900;
/** Room for the attributes beside the body when sizing a batch. */
const ATTRIBUTE_BYTES = 2048;
/** An error text is for people: its start says what happened. */
const MAX_ERROR_CHARS = 1000;

/**
 * The characters every SQS the engine meets carries as they are: XML's characters, which AWS allows
 * (#x9 | #xA | #xD | #x20–#xD7FF | #xE000–#xFFFD | #x10000–#x10FFFF), less the astral ones, which
 * fauxqs 1.9.2 (`npm run aws:local` and the tests) refuses: its check reads each surrogate half
 * alone. Matched by code point (`u`), so a lone surrogate matches too.
 */
const NOT_CARRIED = /[^\t\n\r\u0020-\ud7ff\ue000-\ufffd]/gu;

/**
 * The envelope as an SQS body (and SNS message): its JSON with every character SQS may refuse
 * written as JSON's `\uXXXX` escape (an astral one as its surrogate pair's two), which is the same
 * JSON: `JSON.parse` reads the text back exactly, and nothing on the receiving side changes. Only
 * those characters are escaped, so any other text stays readable in the console. Outside its
 * strings JSON is ASCII, and control characters are escaped by JSON already, so only string
 * contents are touched.
 *
 * The cost falls on astral characters (4 bytes in UTF-8 become 12) and U+FFFE/U+FFFF (3 become 6);
 * all other text is as long as before. The longest wish, 2,000 + 120 emoji, is a 25.9 KB body: a
 * tenth of the 256 KiB an SNS publish may carry (SQS takes at least as much), still one 64 KiB
 * billing chunk.
 */
export function toBody(envelope: Envelope): string {
  return JSON.stringify(envelope).replace(NOT_CARRIED, escapeUnits);
}

/** `\uXXXX` for each UTF-16 unit of `character`. */
function escapeUnits(character: string): string {
  let escaped = '';
  for (let i = 0; i < character.length; i++) escaped += `\\u${character.charCodeAt(i).toString(16).padStart(4, '0')}`;
  return escaped;
}

export function numberAttribute(value: number): MessageAttributeValue {
  return { DataType: 'Number', StringValue: String(value) };
}

/** A text attribute, cut to a readable length, each character SQS may refuse shown as `?` (an error text is for people: no need to escape). */
export function textAttribute(value: string): MessageAttributeValue {
  const safe = value.slice(0, MAX_ERROR_CHARS).replace(NOT_CARRIED, '?');
  return { DataType: 'String', StringValue: safe === '' ? '-' : safe };
}

export function readNumber(attributes: Attributes | undefined, name: string, fallback: number): number {
  const value = Number(attributes?.[name]?.StringValue);
  return Number.isFinite(value) ? value : fallback;
}

export function readText(attributes: Attributes | undefined, name: string): string | undefined {
  return attributes?.[name]?.StringValue;
}

/**
 * Sends to one queue in batches; resolves when SQS has stored every message it takes, answering each
 * message with why SQS refused it (a `MessageRefusedError` when for what it holds), or undefined
 * when stored. An entry failed for a reason that may pass is retried, and fails the whole send if
 * it keeps failing: nothing is dropped silently.
 */
export async function sendEach(
  sqs: SQSClient,
  queueUrl: string,
  messages: readonly Outgoing[],
  doing: string,
): Promise<(Error | undefined)[]> {
  const entries = messages.map((message, i) => ({
    Id: String(i),
    MessageBody: message.body,
    ...(message.attributes === undefined ? {} : { MessageAttributes: message.attributes }),
    ...(message.delaySeconds === undefined ? {} : { DelaySeconds: Math.min(MAX_DELAY_SECONDS, message.delaySeconds) }),
  }));
  const refused = await inBatches(
    entries,
    (batch) =>
      guarded(doing, () => sqs.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: batch })), 'send'),
    doing,
    (entry) => Buffer.byteLength(entry.MessageBody) + ATTRIBUTE_BYTES,
  );
  return refusalsOf(entries, refused, doing);
}

/** `sendEach`, failing with the first refusal. */
export async function sendMessages(
  sqs: SQSClient,
  queueUrl: string,
  messages: readonly Outgoing[],
  doing: string,
): Promise<void> {
  const refusal = (await sendEach(sqs, queueUrl, messages, doing)).find((each) => each !== undefined);
  if (refusal !== undefined) throw refusal;
}

/** A queue's messages by SQS's approximate counts: visible, in flight (received, not deleted), delayed. */
export async function queueCounts(
  sqs: SQSClient,
  queueUrl: string,
  doing: string,
): Promise<{ ready: number; inFlight: number; delayed: number }> {
  const { Attributes: counts = {} } = await guarded(doing, () =>
    sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: queueUrl,
        AttributeNames: [
          'ApproximateNumberOfMessages',
          'ApproximateNumberOfMessagesNotVisible',
          'ApproximateNumberOfMessagesDelayed',
        ],
      }),
    ),
  );
  const count = (name: keyof typeof counts): number => Number(counts[name] ?? 0);
  return {
    ready: count('ApproximateNumberOfMessages'),
    inFlight: count('ApproximateNumberOfMessagesNotVisible'),
    delayed: count('ApproximateNumberOfMessagesDelayed'),
  };
}
