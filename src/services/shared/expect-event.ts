import { PermanentError } from '../../domain/index.js';
import type { Envelope, EventType } from '../../ports/index.js';

/** A consumer given an event of another type is miswired or poisoned: dead-letter it, don't guess. */
export function expectEvent(message: Envelope, type: EventType): unknown {
  if (message.specversion !== '1.0' || message.type !== type) {
    throw new PermanentError('unexpected_event', `expected a ${type} CloudEvent, got ${String(message.type)}`);
  }
  return message.data;
}
