/**
 * The terms of a wish that the server and the browser page both apply: destinations and their
 * transit, the length limits and how characters are counted, the statuses a wish goes through.
 * Nothing here may need Node: the page bundles this module (see `browser.ts`).
 */

export const DESTINATIONS = ['mars', 'europa'] as const;
export type Destination = (typeof DESTINATIONS)[number];

/** A count per destination, every destination at 0: where every tally starts. */
export function emptyTally(): Record<Destination, number> {
  return Object.fromEntries(DESTINATIONS.map((destination) => [destination, 0])) as Record<Destination, number>;
}

/** Transit time by destination, in months (Mars ~9, Europa via Jupiter ~72). */
export const TRANSIT_MONTHS: Readonly<Record<Destination, number>> = { mars: 9, europa: 72 };

/** How people write the destinations. */
export const DESTINATION_NAMES: Readonly<Record<Destination, string>> = { mars: 'Mars', europa: 'Europa' };

export const LIMITS = { messageMaxChars: 2000, toMaxChars: 120 } as const;

export const WISH_STATUSES = ['pending', 'stored', 'rejected', 'superseded'] as const;
export type WishStatus = (typeof WISH_STATUSES)[number];

/**
 * Character counts are in code points, as a person (and JSON Schema's maxLength) counts them, of
 * the text in NFC (how it is kept): `e` + a combining accent is one character, as it looks.
 */
export function charCount(text: string): number {
  let n = 0;
  for (const _ of text.normalize('NFC')) n++;
  return n;
}

/** Nothing a reader would see: empty, or only spaces, line breaks and invisible format characters. */
export function isBlank(text: string): boolean {
  return /^[\s\p{Cf}]*$/u.test(text);
}

/** The arrival day (UTC, `YYYY-MM-DD`) of a departure at `departureIso` to `destination`. */
export function arrivalDate(departureIso: string, destination: Destination): string {
  const date = new Date(departureIso);
  date.setUTCMonth(date.getUTCMonth() + TRANSIT_MONTHS[destination]);
  return date.toISOString().slice(0, 10);
}

/** What the public wall shows of a wish: its text as written (shown as text), nothing about the sender but their id. */
export interface WallItem {
  readonly id: string;
  readonly evacueeId: string;
  readonly destination: Destination;
  readonly to?: string;
  readonly message: string;
  readonly submittedAt: string;
  readonly arrivalDate: string;
}
