import { ValidationError } from './errors.js';
import type { Destination, ParsedWish } from './wish.js';

/** What the public wall shows of a wish: plain text only, nothing about the sender but their id. */
export interface WallItem {
  readonly id: string;
  readonly evacueeId: string;
  readonly destination: Destination;
  readonly to?: string;
  readonly message: string;
  readonly submittedAt: string;
  readonly arrivalDate: string;
}

export function toWallItem(wish: ParsedWish): WallItem {
  return {
    id: wish.id,
    evacueeId: wish.evacueeId,
    destination: wish.destination,
    ...(wish.to === undefined ? {} : { to: wish.to }),
    message: wish.message,
    submittedAt: wish.submittedAt,
    arrivalDate: wish.arrivalDate,
  };
}

/** The wall pages newest first by (submittedAt, id); a cursor is the last item's position, opaque to clients. */
export function encodeCursor(item: Pick<WallItem, 'submittedAt' | 'id'>): string {
  return Buffer.from(`${item.submittedAt}|${item.id}`).toString('base64url');
}

export function decodeCursor(cursor: string): { submittedAt: string; id: string } {
  const [submittedAt, id, extra] = Buffer.from(cursor, 'base64url').toString().split('|');
  if (!submittedAt || !id || extra !== undefined || Number.isNaN(Date.parse(submittedAt))) {
    throw new ValidationError([{ field: 'cursor', reason: 'is not a cursor this API issued' }]);
  }
  return { submittedAt, id };
}
