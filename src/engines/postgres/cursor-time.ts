import { ValidationError } from '../../domain/index.js';

/** Years PostgreSQL reads back from an ISO string; JavaScript dates reach further. */
const FIRST_MS = Date.parse('0001-01-01T00:00:00.000Z');
const LAST_MS = Date.parse('9999-12-31T23:59:59.999Z');

/** A cursor's time, checked: a client-made cursor outside PostgreSQL's range is a 400, not a 500. */
export function cursorTime(submittedAt: string): string {
  const ms = Date.parse(submittedAt);
  if (!(ms >= FIRST_MS && ms <= LAST_MS))
    throw new ValidationError([{ field: 'cursor', reason: 'is not a cursor this API issued' }]);
  return new Date(ms).toISOString();
}
