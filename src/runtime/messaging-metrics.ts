import type { Counter, Histogram } from '@opentelemetry/api';
import { ExodusError } from '../domain/index.js';
import { lazyInstruments } from './metrics.js';

/** The messaging instruments and attributes of the OpenTelemetry semantic conventions, shared by every queue hop. */
export interface MessagingMetrics {
  /** `messaging.client.operation.duration`: a send or a receive, in seconds. */
  readonly operationDuration: Histogram;
  /** `messaging.process.duration`: one message's handling, settle included, in seconds. */
  readonly processDuration: Histogram;
  readonly sentMessages: Counter;
  readonly consumedMessages: Counter;
}

const SECONDS = {
  advice: {
    explicitBucketBoundaries: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  },
};

/** The instruments, made from the meter provider registered at first use (see `lazyInstruments`). */
export const messagingMetrics = lazyInstruments<MessagingMetrics>((exodus) => ({
  operationDuration: exodus.createHistogram('messaging.client.operation.duration', {
    description: 'Duration of a messaging operation (send, receive)',
    unit: 's',
    ...SECONDS,
  }),
  processDuration: exodus.createHistogram('messaging.process.duration', {
    description: 'Duration of processing a message',
    unit: 's',
    ...SECONDS,
  }),
  sentMessages: exodus.createCounter('messaging.client.sent.messages', {
    description: 'Messages a producer sent',
    unit: '{message}',
  }),
  consumedMessages: exodus.createCounter('messaging.client.consumed.messages', {
    description: 'Messages a consumer received',
    unit: '{message}',
  }),
}));

/** Seconds since `startedAt` (a `performance.now()` reading). */
export function secondsSince(startedAt: number): number {
  return (performance.now() - startedAt) / 1000;
}

/** The messaging semantic-convention attributes of a span or measurement on `destination`. */
export function messagingAttributes(
  destination: string,
  operation: 'send' | 'receive' | 'process' | 'settle',
): Record<string, string> {
  return {
    'messaging.system': 'exodus',
    'messaging.destination.name': destination,
    'messaging.operation.name': operation,
    'messaging.operation.type': operation,
  };
}

/** `error.type` of the semantic conventions: the error's class (its `code` for Exodus errors), or `_OTHER`. */
export function errorType(error: unknown): string {
  if (error instanceof ExodusError) return error.code;
  return error instanceof Error ? error.name : '_OTHER';
}
