import type { ParsedWish } from '../../domain/index.js';
import type { WishRecord } from '../../ports/index.js';

/** A row of a `wishes` table, as both SQL engines lay it out (the body decoded by the engine). */
export interface WishRow<Body> {
  id: string;
  evacuee_id: string;
  status: WishRecord['status'];
  reason: string | null;
  submitted_at: string;
  /** The parsed wish, however the engine stores it (SQLite: JSON text; PostgreSQL: parsed `json`); null when rejected. */
  body: Body | null;
}

/** The store's answer for a row; `decode` turns the engine's body into the wish. */
export function toWishRecord<Body>(row: WishRow<Body>, decode: (body: Body) => ParsedWish): WishRecord {
  return {
    id: row.id,
    evacueeId: row.evacuee_id,
    status: row.status,
    submittedAt: row.submitted_at,
    ...(row.reason === null ? {} : { reason: row.reason }),
    ...(row.body === null ? {} : { wish: decode(row.body) }),
  };
}
