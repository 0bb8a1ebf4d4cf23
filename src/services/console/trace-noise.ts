import type { LoneSpanNames } from '../../ports/index.js';

/**
 * What makes a trace noise in the list: one span alone that is a consumer's `receive <queue>` (a
 * poll that brought messages; their processing is traced on its own and linked) or a Prometheus
 * scrape of `/metrics`. Each is a whole trace of its own and, on a busy system, most of the list.
 * A failed one is not noise (the store keeps those) — a receive that failed is worth seeing.
 */
export const LONE_NOISE: LoneSpanNames = { names: ['GET /metrics'], prefixes: ['receive '] };

/**
 * Whether a search leaves the noise out: unless `all` is asked for, and never for a search by a
 * wish's, an evacuee's or a trace's id, which shows everything about it.
 */
export function hidesLoneNoise(search: {
  readonly all?: boolean | undefined;
  readonly wish?: string | undefined;
  readonly evacuee?: string | undefined;
  readonly trace?: string | undefined;
}): boolean {
  if (search.all === true) return false;
  return search.wish === undefined && search.evacuee === undefined && search.trace === undefined;
}
