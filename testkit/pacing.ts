/** Pacing a test's load: a steady rate, a bound on what is in flight, pauses. */

/**
 * Runs `task(0..count-1)` with at most `concurrency` in flight, starting task i no earlier than
 * i / ratePerSec seconds in, so a load lasts long enough for faults to land while it flows.
 */
export async function runPaced(
  count: number,
  options: { concurrency: number; ratePerSec: number },
  task: (index: number) => Promise<void>,
): Promise<void> {
  const startedAt = Date.now();
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < count) {
      const index = next++;
      const due = startedAt + (index * 1000) / options.ratePerSec;
      if (due > Date.now()) await sleep(due - Date.now());
      await task(index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency, count) }, lane));
}

/** Runs `task` on every item with at most `concurrency` in flight. */
export async function forEachLimit<T>(
  items: readonly T[],
  concurrency: number,
  task: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) await task(items[next++] as T);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, lane));
}

export const sleep = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms));

export { seededRandom } from '../src/ops/index.js';
