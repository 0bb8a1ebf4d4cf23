import { GetQueueAttributesCommand, SendMessageBatchCommand, type MessageAttributeValue, type SQSClient } from '@aws-sdk/client-sqs';
import type { Envelope } from '../../ports/index.js';
import { inBatches } from './batches.js';
import { entryFailure, guarded } from './errors.js';

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
 * The envelope as an SQS body. SQS accepts only characters XML allows; JSON already escapes control
 * characters and lone surrogates, and U+FFFE/U+FFFF (which it leaves as they are) are escaped here
 * the same way, so every wish a person can type goes through and comes back exactly.
 */
export function toBody(envelope: Envelope): string {
  return JSON.stringify(envelope).replace(/[\ufffe\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16)}`);
}

export function numberAttribute(value: number): MessageAttributeValue {
  return { DataType: 'Number', StringValue: String(value) };
}

/** A text attribute, cut to a readable length and to what SQS accepts (the characters XML allows). */
export function textAttribute(value: string): MessageAttributeValue {
  const safe = value.slice(0, MAX_ERROR_CHARS).replace(/[^\t\n\r\u0020-\ud7ff\ue000-\ufffd]/gu, '?');
  return { DataType: 'String', StringValue: safe === '' ? '-' : safe };
}

export function readNumber(attributes: Attributes | undefined, name: string, fallback: number): number {
  const value = Number(attributes?.[name]?.StringValue);
  return Number.isFinite(value) ? value : fallback;
}

export function readText(attributes: Attributes | undefined, name: string): string | undefined {
  return attributes?.[name]?.StringValue;
}

/** Sends to one queue in batches; resolves when SQS has stored every message (a failed entry is retried or fails the send). */
export async function sendMessages(sqs: SQSClient, queueUrl: string, messages: readonly Outgoing[], doing: string): Promise<void> {
  const entries = messages.map((message, i) => ({
    Id: String(i),
    MessageBody: message.body,
    ...(message.attributes === undefined ? {} : { MessageAttributes: message.attributes }),
    ...(message.delaySeconds === undefined ? {} : { DelaySeconds: Math.min(MAX_DELAY_SECONDS, message.delaySeconds) }),
  }));
  const refused = await inBatches(
    entries,
    (batch) => guarded(doing, () => sqs.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: batch }))),
    doing,
    (entry) => Buffer.byteLength(entry.MessageBody) + ATTRIBUTE_BYTES,
  );
  const [first] = refused.values();
  if (first !== undefined) throw entryFailure(first, doing);
}

/** A queue's messages by SQS's approximate counts: visible, in flight (received, not deleted), delayed. */
export async function queueCounts(sqs: SQSClient, queueUrl: string, doing: string): Promise<{ ready: number; inFlight: number; delayed: number }> {
  const { Attributes: counts = {} } = await guarded(doing, () =>
    sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'] })),
  );
  const count = (name: keyof typeof counts): number => Number(counts[name] ?? 0);
  return { ready: count('ApproximateNumberOfMessages'), inFlight: count('ApproximateNumberOfMessagesNotVisible'), delayed: count('ApproximateNumberOfMessagesDelayed') };
}
