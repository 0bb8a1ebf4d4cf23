/**
 * The synthetic canary's evacuee: `exodus up` hands in a wish as this evacuee every few seconds and
 * times it through every hop. Reserved: `EV-00000` comes before the first id a roster generates
 * (EV-00001), and a roster that names it is refused, so a canary wish never supersedes a real
 * evacuee's. Its wishes are stored like any other but kept off the wall and the tally (the tally
 * notes them instead), and the audit leaves them out of its counts.
 */
export const CANARY_EVACUEE_ID = 'EV-00000';

export function isCanary(evacueeId: string): boolean {
  return evacueeId === CANARY_EVACUEE_ID;
}
