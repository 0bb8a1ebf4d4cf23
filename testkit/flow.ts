import type { Destination } from '../src/domain/index.js';
import { expectedTally as auditTally } from '../src/ops/index.js';
import type { Accepted } from '../src/services/frontend/api-shapes.js';
import { runPaced } from './pacing.js';
import { postWish, type RosterEntry } from './systems.js';

/** One POST of a flow: when it was answered, how, and (for a 202) the wish id. */
export interface FlowAnswer {
  readonly evacueeId: string;
  readonly destination: Destination;
  /** ms since epoch when the answer arrived. */
  readonly at: number;
  /** HTTP status, or 0 when the request failed without an answer. */
  readonly status: number;
  readonly id?: string;
  readonly submittedAt?: Accepted['submittedAt'];
}

/**
 * Wishes flowing at a steady rate (one is due every 1000/rate ms; enough in flight that a slow
 * answer does not hold the next back), one per roster entry in order, until the roster or the time
 * runs out. Nothing is retried: a fault test counts what was accepted and checks every one arrives.
 */
export async function flowWishes(
  url: string,
  roster: readonly RosterEntry[],
  options: { ratePerSec: number; durationMs: number },
): Promise<FlowAnswer[]> {
  const count = Math.min(roster.length, Math.floor((options.durationMs * options.ratePerSec) / 1000) + 1);
  const answers: FlowAnswer[] = [];
  await runPaced(count, { concurrency: 256, ratePerSec: options.ratePerSec }, async (i) => {
    const evacuee = roster[i];
    if (evacuee === undefined) return;
    const destination: Destination = i % 3 === 0 ? 'europa' : 'mars';
    const answer = { evacueeId: evacuee.evacueeId, destination };
    try {
      const response = await postWish(url, evacuee.pass, { destination, message: `Wish ${i} of ${evacuee.evacueeId}` });
      const body = (await response.json().catch(() => ({}))) as Partial<Accepted>;
      answers.push({
        ...answer,
        at: Date.now(),
        status: response.status,
        ...(body.id === undefined ? {} : { id: body.id }),
        ...(body.submittedAt === undefined ? {} : { submittedAt: body.submittedAt }),
      });
    } catch {
      answers.push({ ...answer, at: Date.now(), status: 0 });
    }
  });
  return answers;
}

/**
 * What the tally must say once these wishes are stored, computed as `exodus audit` computes it. A
 * flow sends one wish per evacuee, so an answer without an id or time (a 503 whose send landed all
 * the same) still counts for its evacuee.
 */
export function expectedTally(answers: readonly FlowAnswer[]): Record<Destination, number> {
  return {
    ...auditTally(
      answers.map((answer) => ({
        id: answer.id ?? answer.evacueeId,
        evacueeId: answer.evacueeId,
        destination: answer.destination,
        submittedAt: answer.submittedAt ?? '',
      })),
    ),
  };
}
