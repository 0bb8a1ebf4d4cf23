/**
 * The terms of a wish that the server and the browser page both apply: destinations and their
 * transit, the length limits and how characters are counted, the statuses a wish goes through.
 * Nothing here may need Node: the page bundles this module (see `browser.ts`).
 */

export const DESTINATIONS = ['mars', 'europa'] as const;
export type Destination = (typeof DESTINATIONS)[number];

/** Transit time by destination, in months (Mars ~9, Europa via Jupiter ~72). */
export const TRANSIT_MONTHS: Readonly<Record<Destination, number>> = { mars: 9, europa: 72 };

/** How people write the destinations. */
export const DESTINATION_NAMES: Readonly<Record<Destination, string>> = { mars: 'Mars', europa: 'Europa' };

export const LIMITS = { messageMaxChars: 2000, toMaxChars: 120 } as const;

export type WishStatus = 'pending' | 'stored' | 'rejected' | 'superseded';

/** Character counts are in code points, as a person (and JSON Schema's maxLength) counts them. */
export function charCount(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

/** The arrival day (UTC, `YYYY-MM-DD`) of a departure at `departureIso` to `destination`. */
export function arrivalDate(departureIso: string, destination: Destination): string {
  const date = new Date(departureIso);
  date.setUTCMonth(date.getUTCMonth() + TRANSIT_MONTHS[destination]);
  return date.toISOString().slice(0, 10);
}

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
