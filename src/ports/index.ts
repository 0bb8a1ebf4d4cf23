export { type Envelope, EVENT_TYPES, type EventType, type QueueName, QUEUES, SUBSCRIPTIONS, TOPICS } from './envelope.js';
export { type DeadLetter, type DeadLetterQueue, DEFAULT_MAX_LEASE_LAPSES, type Delivery, type Queue, type QueueStats } from './queue.js';
export { type Topic } from './topic.js';
export { type PutOutcome, type ReadModel, type Tally, type WallPage, type WishRecord, type WishStore } from './wish-store.js';
export { type MessagingEngine, type StorageEngine } from './engines.js';
export { type LogQuery, type SpanQuery, type StoredLog, type StoredPoint, type StoredSpan, type TelemetryAttributes, type TelemetryStore } from './telemetry-store.js';
