import { setTimeout as sleep } from 'node:timers/promises';
import type { MessagingEngine } from '../../ports/index.js';
import { QUEUES } from '../../ports/index.js';
import { runningCount } from './processes.js';

/**
 * The steady state an experiment claims survives its faults (Principles of Chaos: state it, then try
 * to disprove it). Checked before the faults (an unsteady system makes the experiment meaningless),
 * every second during them, and after them.
 */
export interface Hypothesis {
  /** After the faults, every process the supervisor wants runs again within this long. */
  readonly recoverWithinMs: number;
  /** After the faults, the queues' backlog (ready, delayed and in flight) is at most `backlogAtMost` within this long. */
  readonly drainWithinMs: number;
  readonly backlogAtMost: number;
  /** Dead letters that may appear besides the experiment's own poison. */
  readonly newDeadLetters: number;
}

export const DEFAULT_HYPOTHESIS: Hypothesis = {
  recoverWithinMs: 30_000,
  drainWithinMs: 60_000,
  backlogAtMost: 0,
  newDeadLetters: 0,
};

export interface CheckResult {
  readonly phase: 'before' | 'during' | 'after';
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}

/** What the checks look at: the door's address, the data dir's supervisor, the queues. */
export interface SteadyStateProbe {
  readonly doorUrl: string;
  readonly dataDir: string;
  readonly messaging: MessagingEngine;
}

/** The dead letters in every queue, by id. */
export async function deadLetterIds(messaging: MessagingEngine): Promise<Set<string>> {
  const lists = await Promise.all(Object.values(QUEUES).map((name) => messaging.queue(name).deadLetters.list(100_000)));
  return new Set(lists.flat().map((letter) => letter.message.id));
}

/** Answers within 2 s with anything but a 5xx other than 503 (shedding is an answer; a hang or a crash is not). */
export async function doorAnswers(doorUrl: string): Promise<{ ok: boolean; detail: string }> {
  try {
    const response = await fetch(`${doorUrl}/readyz`, { signal: AbortSignal.timeout(2_000) });
    await response.arrayBuffer();
    return { ok: response.status < 500 || response.status === 503, detail: `readyz ${response.status}` };
  } catch (error) {
    return { ok: false, detail: `no answer: ${error instanceof Error ? error.message : String(error)}` };
  }
}

export async function checkBefore(probe: SteadyStateProbe): Promise<CheckResult[]> {
  const door = await doorAnswers(probe.doorUrl);
  const { wanted, running } = runningCount(probe.dataDir);
  return [
    { phase: 'before', name: 'door ready', ok: door.ok && door.detail === 'readyz 200', detail: door.detail },
    { phase: 'before', name: 'every process running', ok: running === wanted, detail: `${running} of ${wanted}` },
  ];
}

/** Probes the door every second until `signal` aborts; one result summing the probes. */
export async function watchDuring(probe: SteadyStateProbe, signal: AbortSignal): Promise<CheckResult> {
  let probes = 0;
  const failures: string[] = [];
  while (!signal.aborted) {
    const door = await doorAnswers(probe.doorUrl);
    probes++;
    if (!door.ok) failures.push(door.detail);
    await sleep(1_000, undefined, { signal }).catch(() => undefined);
  }
  return {
    phase: 'during',
    name: 'door answers (503 allowed)',
    ok: failures.length === 0,
    detail:
      failures.length === 0
        ? `${probes} of ${probes} probes answered`
        : `${failures.length} of ${probes} probes failed (first: ${failures[0] ?? ''})`,
  };
}

export async function checkAfter(
  probe: SteadyStateProbe,
  hypothesis: Hypothesis,
  before: ReadonlySet<string>,
  poisoned: ReadonlySet<string>,
): Promise<CheckResult[]> {
  const started = Date.now();
  const recovered = await within(hypothesis.recoverWithinMs, async () => {
    const { wanted, running } = runningCount(probe.dataDir);
    return { ok: running === wanted, detail: `${running} of ${wanted} running` };
  });
  const drained = await within(hypothesis.drainWithinMs - (Date.now() - started), async () => {
    const stats = await Promise.all(Object.values(QUEUES).map((name) => probe.messaging.queue(name).stats()));
    const backlog = stats.reduce((sum, s) => sum + s.ready + s.delayed + s.inFlight, 0);
    return { ok: backlog <= hypothesis.backlogAtMost, detail: `backlog ${backlog}` };
  });
  // The poison must be parked (give it the drain's time); nothing else may be.
  const letters = await within(Math.max(1_000, hypothesis.drainWithinMs - (Date.now() - started)), async () => {
    const now = await deadLetterIds(probe.messaging);
    const missingPoison = [...poisoned].filter((id) => !now.has(id));
    const unexpected = [...now].filter((id) => !before.has(id) && !poisoned.has(id));
    return {
      ok: missingPoison.length === 0 && unexpected.length <= hypothesis.newDeadLetters,
      detail: `${unexpected.length} new dead letters besides the poison${unexpected.length > 0 ? ` (${unexpected.slice(0, 5).join(', ')})` : ''}; poison parked ${poisoned.size - missingPoison.length} of ${poisoned.size}`,
    };
  });
  const door = await doorAnswers(probe.doorUrl);
  return [
    { phase: 'after', name: `every process running within ${hypothesis.recoverWithinMs / 1000} s`, ...recovered },
    {
      phase: 'after',
      name: `backlog ≤ ${hypothesis.backlogAtMost} within ${hypothesis.drainWithinMs / 1000} s`,
      ...drained,
    },
    { phase: 'after', name: `dead letters: the poison and at most ${hypothesis.newDeadLetters} more`, ...letters },
    { phase: 'after', name: 'door ready', ok: door.detail === 'readyz 200', detail: door.detail },
  ];
}

/** Asks `check` every 500 ms until it holds or `ms` passed; the last answer, with how long it took when it held. */
async function within(
  ms: number,
  check: () => Promise<{ ok: boolean; detail: string }>,
): Promise<{ ok: boolean; detail: string }> {
  const started = Date.now();
  for (;;) {
    const result = await check().catch((error: unknown) => ({
      ok: false,
      detail: error instanceof Error ? error.message : String(error),
    }));
    if (result.ok)
      return { ok: true, detail: `${result.detail} after ${((Date.now() - started) / 1000).toFixed(1)} s` };
    if (Date.now() - started >= ms) return result;
    await sleep(500);
  }
}
