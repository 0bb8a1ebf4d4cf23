import { PermanentError } from './errors.js';
import { isEvacueeId } from './evacuee.js';
import { DESTINATIONS, type Destination } from './wish-terms.js';
import type { AcceptedWish, ParsedWish } from './wish.js';

/**
 * Messages come from a queue, not from our own memory: anything may be in them (a bug, a poison
 * message injected on purpose). A payload without a wish's identity cannot even be rejected, so it
 * is a `PermanentError`, which dead-letters it.
 */
export function asAcceptedWish(data: unknown): AcceptedWish {
  const record = asRecord(data);
  if (typeof record['id'] !== 'string' || record['id'] === '') throw poison('id');
  if (typeof record['evacueeId'] !== 'string' || !isEvacueeId(record['evacueeId'])) throw poison('evacueeId');
  if (typeof record['submittedAt'] !== 'string' || Number.isNaN(Date.parse(record['submittedAt'])))
    throw poison('submittedAt');
  return record as unknown as AcceptedWish;
}

export function asParsedWish(data: unknown): ParsedWish {
  const wish = asAcceptedWish(data);
  const record = wish as unknown as Record<string, unknown>;
  if (!DESTINATIONS.includes(record['destination'] as Destination)) throw poison('destination');
  if (typeof record['message'] !== 'string') throw poison('message');
  if (typeof record['arrivalDate'] !== 'string') throw poison('arrivalDate');
  return wish as ParsedWish;
}

function asRecord(data: unknown): Record<string, unknown> {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) throw poison('data');
  return data as Record<string, unknown>;
}

function poison(field: string): PermanentError {
  return new PermanentError('poison_message', `message payload has no valid ${field}`);
}
