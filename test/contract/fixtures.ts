import { v7 as uuidv7 } from 'uuid';
import { arrivalDate, contentHash, type Destination, type ParsedWish } from '../../src/domain/index.js';
import { EVENT_TYPES, type Envelope } from '../../src/ports/index.js';

export function envelope(id: string, data: unknown = { n: id }): Envelope {
  return {
    specversion: '1.0',
    id,
    source: '/exodus/test',
    type: EVENT_TYPES.wishAccepted,
    time: new Date().toISOString(),
    datacontenttype: 'application/json',
    traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
    data,
  };
}

export function parsedWish(overrides: Partial<ParsedWish> & { evacueeId: string }, at = Date.now()): ParsedWish {
  const destination: Destination = overrides.destination ?? 'mars';
  const submittedAt = overrides.submittedAt ?? new Date(at).toISOString();
  const message = overrides.message ?? `wish of ${overrides.evacueeId}`;
  return {
    id: overrides.id ?? uuidv7(),
    submittedAt,
    destination,
    message,
    arrivalDate: arrivalDate(submittedAt, destination),
    contentHash: contentHash({ destination, message }),
    markupFlagged: false,
    ...overrides,
  };
}

export const sleep = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms));
