export { type MessagingEngine, type StorageEngine } from './engines.js';
export {
  EVENT_TYPES,
  QUEUES,
  SUBSCRIPTIONS,
  TOPICS,
  type Envelope,
  type EventType,
  type QueueName,
} from './envelope.js';
export {
  DEFAULT_MAX_LEASE_LAPSES,
  type DeadLetter,
  type DeadLetterQueue,
  type Delivery,
  type Queue,
  type QueueStats,
  type ReceiveWait,
} from './queue.js';
export {
  type AttributeMatch,
  type LogQuery,
  type LoneSpanNames,
  type PointQuery,
  type SpanQuery,
  type StoredInstance,
  type StoredInstrument,
  type StoredLog,
  type StoredPoint,
  type StoredSpan,
  type TelemetryAttributes,
  type TelemetryStore,
} from './telemetry-store.js';
export { type Topic } from './topic.js';
export {
  type CanaryNote,
  type PutOutcome,
  type ReadModel,
  type Rejection,
  type Tally,
  type WallPage,
  type WishRecord,
  type WishStore,
} from './wish-store.js';
