import { ValidationError } from './errors.js';
import type { WallItem } from './wish-terms.js';
import type { ParsedWish } from './wish.js';

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
