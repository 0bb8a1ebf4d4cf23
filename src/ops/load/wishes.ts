import { seededRandom } from '../seeded-random.js';
import type { LoadRequest } from './http.js';
import type { RosterEntry } from './roster-file.js';

/**
 * Request bodies: realistic wishes (100–300 characters, a recipient on most, markup on one in ten
 * so the parser's markup detection does real work), chosen by a seeded generator so every run sends the
 * same bytes. Built once, before any timing starts.
 */
const MESSAGES = [
  'Water the tomatoes on the balcony every other day, and tell the neighbours the cat is called Pixel, not Pickle.',
  'I left the good recipes in the blue folder. The bread one needs less salt than it says. See you in the orbit pictures!',
  'Whoever finds the garden shed key: the bicycle is yours. It pulls a little to the left, you get used to it quickly.',
  'Grandpa, we kept the chess set. Your move when we land — I have been thinking about it for three weeks already.',
  'Please look after the library books, they are due back on the 14th. The fine will be enormous otherwise, honestly.',
  'Tell the choir I am sorry to miss the spring concert. Sing the last verse loud enough that we can hear it up there.',
];
const MARKUP = [
  '<b>Do not forget</b> to feed the fish.',
  'See you <em>soon</em> <script>alert(1)</script>!',
  '<a href="https://example.org">our photos</a> are all here.',
];
const RECIPIENTS = ['Grandma', 'the neighbours', 'Sam', 'whoever reads this', 'the choir', 'Mum & Dad'];

function pick<T>(items: readonly T[], random: () => number): T {
  return items[Math.floor(random() * items.length)] as T;
}

/** One POST /api/wishes per roster entry, in roster order. */
export function wishRequests(roster: readonly RosterEntry[], seed = 42): LoadRequest[] {
  const random = seededRandom(seed);
  return roster.map((entry, i) => {
    const withMarkup = i % 10 === 9;
    const message = `${pick(MESSAGES, random)}${withMarkup ? ` ${pick(MARKUP, random)}` : ''} (${entry.evacueeId})`;
    const to = random() < 0.8 ? pick(RECIPIENTS, random) : undefined;
    const body = JSON.stringify({
      destination: random() < 0.5 ? 'mars' : 'europa',
      ...(to === undefined ? {} : { to }),
      message,
    });
    return {
      method: 'POST',
      path: '/api/wishes',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${entry.pass}` },
      body,
    };
  });
}

/** An endless source cycling through `requests`: a later wish of an evacuee supersedes the earlier. */
export function cycle<T>(requests: readonly T[]): () => T {
  if (requests.length === 0) throw new Error('no requests to cycle through');
  let i = 0;
  return () => {
    const request = requests[i] as T;
    i = (i + 1) % requests.length;
    return request;
  };
}
