/**
 * Every message is a CloudEvents 1.0 structured-mode event plus the distributed-tracing extension,
 * so any consumer (ours, a Lambda, a debugging tool) can read it and continue its trace.
 */
export interface Envelope<T = unknown> {
  readonly specversion: '1.0';
  /** Unique per event; also the dedup key for queues that deduplicate on send. */
  readonly id: string;
  readonly source: string;
  readonly type: EventType;
  readonly time: string;
  readonly datacontenttype: 'application/json';
  /** W3C trace context of the span that produced the event. */
  readonly traceparent: string;
  readonly tracestate?: string;
  readonly data: T;
}

export const EVENT_TYPES = {
  wishAccepted: 'exodus.wish.accepted',
  wishParsed: 'exodus.wish.parsed',
} as const;
export type EventType = (typeof EVENT_TYPES)[keyof typeof EVENT_TYPES];

/** Queue and topic names, one place, so the wiring and the CLI agree. */
export const QUEUES = { intake: 'intake', store: 'store', tally: 'tally' } as const;
export type QueueName = (typeof QUEUES)[keyof typeof QUEUES];
export const TOPICS = { wishParsed: 'wish.parsed' } as const;
/** Which queues the `wish.parsed` topic fans out to. */
export const SUBSCRIPTIONS: Readonly<Record<string, readonly QueueName[]>> = {
  [TOPICS.wishParsed]: [QUEUES.store, QUEUES.tally],
};
