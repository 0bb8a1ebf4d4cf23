import { setTimeout as sleep } from 'node:timers/promises';
import type { Accepted } from '../../services/frontend/api-shapes.js';
import type { LedgerEntry } from '../audit.js';
import { seededRandom } from '../seeded-random.js';
import { openPool, send, type Answer, type LoadRequest } from './http.js';
import { LatencyRecorder, type LatencySummary } from './latency.js';
import { RateProfile, type Segment } from './profile.js';
import type { RosterEntry } from './roster-file.js';
import { ACTIONS, type Action } from './scenario.js';
import { Timeline, type TimelineData } from './timeline.js';
import { cycle, wishRequests } from './wishes.js';

export interface LoadOptions {
  /** Origin of the frontend, e.g. `http://127.0.0.1:3000`. */
  readonly target: string;
  readonly roster: readonly RosterEntry[];
  readonly segments: readonly Segment[];
  readonly mix: Readonly<Record<Action, number>>;
  /** Times a POST answered 429/503 is sent again after its Retry-After. */
  readonly retries: number;
  /** Keep-alive connections (virtual users' sockets); default 256. */
  readonly connections?: number;
  /** Requests allowed open at once before a due arrival is skipped (and counted), bounding memory; default 4096. */
  readonly maxOutstanding?: number;
  /** No byte for this long ends a request as an error; default 10 s. */
  readonly timeoutMs?: number;
  /** Arrivals due before this (ms from the start) are a warm-up: answered and counted, but not in the latencies. */
  readonly measureFromMs?: number;
  /** Same seed, same traffic: the mix, the wishes, the status polls. */
  readonly seed?: number;
  /** Each 202, as it arrives: the ledger line. */
  readonly onAccepted?: (entry: LedgerEntry) => void;
  /** Once a second, what the last second looked like. */
  readonly onSecond?: (progress: Progress) => void;
  /** Sampled once a second for the report (e.g. the queues' backlog); undefined when unknown. */
  readonly queueDepth?: () => Promise<number | undefined>;
  /** Aborting stops new arrivals; what is open finishes (each has its timeout). */
  readonly signal?: AbortSignal;
}

export interface Progress {
  readonly elapsedMs: number;
  readonly totalMs: number;
  readonly phase: string;
  readonly askedPerSec: number;
  readonly sentPerSec: number;
  readonly acceptedP50Ms: number;
  readonly acceptedP99Ms: number;
  readonly statuses: Readonly<Record<string, number>>;
  readonly queueDepth: number | undefined;
}

export interface ActionResult {
  readonly sent: number;
  /** Answers by status or transport error code. */
  readonly answers: Readonly<Record<string, number>>;
  /** Of the expected answers (202 for a POST, 200 for a read), from when each request was due. */
  readonly latency: LatencySummary;
}

export interface LoadResult {
  readonly target: string;
  readonly startedAt: string;
  readonly durationMs: number;
  /** Arrivals the profile asked for (those due before an abort). */
  readonly arrivals: number;
  /** Arrivals not started in time: `maxOutstanding` requests were already open. */
  readonly skipped: number;
  readonly byAction: Readonly<Record<Action, ActionResult>>;
  readonly accepted: number;
  /** POSTs sent again after a 429/503, and wishes still refused after every retry. */
  readonly retries: number;
  readonly gaveUp: number;
  readonly errors: number;
  readonly unexpected5xx: number;
  readonly shed: number;
  /** 429/503 answers without a usable Retry-After: a client cannot know when to come back. */
  readonly shedWithoutRetryAfter: number;
  readonly answered: number;
  readonly readLatency: LatencySummary;
  readonly timeline: TimelineData;
  readonly marks: readonly Mark[];
}

/** Something that happened during the run, for the report's time axis (a fault, say). */
export interface Mark {
  readonly atMs: number;
  readonly label: string;
}

const EXPECTED: Readonly<Record<Action, number>> = { post: 202, status: 200, wall: 200, tally: 200 };
/** The page waits at least this long after a 429/503, and adds up to JITTER of the Retry-After, so retries do not come back in one wave. */
const MIN_WAIT_S = 1;
const DEFAULT_WAIT_S = 5;
const JITTER = 0.3;
/** Accepted ids kept to poll their status: enough to spread the polls, bounded for a long soak. */
const POLLABLE_IDS = 10_000;

/**
 * One open-model load run. Arrivals come at the profile's rate whatever the server does; each picks an
 * action from the mix; a POST answered 429/503 is sent again after its Retry-After, as the page does.
 * `mark()` puts an event (a fault) on the run's time axis.
 */
export class LoadRun {
  private readonly startedAt = performance.now();
  private readonly marks: Mark[] = [];

  constructor(private readonly options: LoadOptions) {}

  mark(label: string): void {
    this.marks.push({ atMs: Math.round(performance.now() - this.startedAt), label });
  }

  async run(): Promise<LoadResult> {
    const { options } = this;
    const profile = new RateProfile(options.segments);
    const random = seededRandom(options.seed ?? 1);
    const pickAction = weightedPicker(options.mix, random);
    const nextWish = cycle(wishRequests(options.roster, options.seed ?? 1));
    const timeoutMs = options.timeoutMs ?? 10_000;
    const maxOutstanding = options.maxOutstanding ?? 4096;
    const pool = openPool(options.target, options.connections ?? 256);
    const timeline = new Timeline(profile);
    const results = Object.fromEntries(
      ACTIONS.map((action) => [action, { sent: 0, answers: {}, latency: new LatencyRecorder() }]),
    ) as Record<Action, { sent: number; answers: Record<string, number>; latency: LatencyRecorder }>;
    const readLatency = new LatencyRecorder();
    const pollable: string[] = [];
    const counts = {
      arrivals: 0,
      skipped: 0,
      retries: 0,
      gaveUp: 0,
      errors: 0,
      unexpected5xx: 0,
      shed: 0,
      shedWithoutRetryAfter: 0,
      answered: 0,
      accepted: 0,
    };
    const start = this.startedAt;
    /** Requests sent and not answered yet; and refused POSTs waiting out their Retry-After. */
    let outstanding = 0;
    let waiting = 0;

    const requestFor = (action: Action): LoadRequest => {
      switch (action) {
        case 'post':
          return nextWish();
        case 'status': {
          const id = pollable[Math.floor(random() * pollable.length)];
          return id === undefined
            ? { method: 'GET', path: '/api/tally' }
            : { method: 'GET', path: `/api/wishes/${id}` };
        }
        case 'wall':
          return { method: 'GET', path: `/api/wall?destination=${random() < 0.5 ? 'mars' : 'europa'}&limit=20` };
        case 'tally':
          return { method: 'GET', path: '/api/tally' };
      }
    };

    const settle = (action: Action, request: LoadRequest, dueAt: number, answer: Answer, attempt: number): void => {
      const now = performance.now();
      const latencyMs = now - dueAt;
      const result = results[action];
      result.answers[answer.key] = (result.answers[answer.key] ?? 0) + 1;
      counts.answered++;
      timeline.answered(now - start, answer.key);
      const expected = answer.status === EXPECTED[action];
      const backPressure = answer.status === 429 || answer.status === 503;
      const measured = dueAt - start >= (options.measureFromMs ?? 0);
      if (expected) {
        if (measured) result.latency.record(latencyMs);
        if (action === 'post') {
          counts.accepted++;
          timeline.accepted(now - start, latencyMs);
          this.recordAccepted(answer.body, pollable, random);
        } else if (measured) readLatency.record(latencyMs);
      } else if (backPressure) {
        counts.shed++;
        if (answer.retryAfterS === undefined) counts.shedWithoutRetryAfter++;
      } else {
        counts.errors++;
        if (answer.status !== undefined && answer.status >= 500) counts.unexpected5xx++;
      }
      if (backPressure && action === 'post') {
        if (attempt > options.retries) {
          counts.gaveUp++;
          return;
        }
        const waitS = Math.max(MIN_WAIT_S, answer.retryAfterS ?? DEFAULT_WAIT_S) * (1 + random() * JITTER);
        counts.retries++;
        const retryDueAt = now + waitS * 1000;
        waiting++;
        setTimeout(() => {
          waiting--;
          issue(action, request, retryDueAt, attempt + 1);
        }, waitS * 1000).unref();
      }
    };

    const issue = (action: Action, request: LoadRequest, dueAt: number, attempt: number): void => {
      outstanding++;
      results[action].sent++;
      timeline.sent(performance.now() - start);
      void send(pool, request, { timeoutMs, readBody: (status) => action === 'post' && status === 202 }).then(
        (answer) => {
          outstanding--;
          settle(action, request, dueAt, answer, attempt);
        },
      );
    };

    const sampler = this.sampleEverySecond(timeline, profile, options);
    try {
      let issued = 0;
      while (issued < profile.total && options.signal?.aborted !== true) {
        const elapsed = performance.now() - start;
        if (elapsed > profile.totalMs) break;
        const due = Math.min(profile.total, Math.floor(profile.countAt(elapsed)) + 1);
        for (; issued < due; issued++) {
          const dueAtMs = profile.dueAtMs(issued);
          counts.arrivals++;
          timeline.arrived(dueAtMs);
          if (outstanding >= maxOutstanding) {
            counts.skipped++;
            timeline.skipped(dueAtMs);
            continue;
          }
          const action = pickAction();
          issue(action, requestFor(action), start + dueAtMs, 1);
        }
        await sleep(1);
      }
      // Every request has its own timeout and every retry its own wait, so this ends.
      while (outstanding > 0 || waiting > 0) await sleep(5);
    } finally {
      sampler.stop();
      await pool.close();
    }
    return {
      target: options.target,
      startedAt: new Date(Date.now() - (performance.now() - start)).toISOString(),
      durationMs: Math.round(performance.now() - start),
      arrivals: counts.arrivals,
      skipped: counts.skipped,
      byAction: Object.fromEntries(
        ACTIONS.map((action) => [
          action,
          { sent: results[action].sent, answers: results[action].answers, latency: results[action].latency.summary() },
        ]),
      ) as Record<Action, ActionResult>,
      accepted: counts.accepted,
      retries: counts.retries,
      gaveUp: counts.gaveUp,
      errors: counts.errors,
      unexpected5xx: counts.unexpected5xx,
      shed: counts.shed,
      shedWithoutRetryAfter: counts.shedWithoutRetryAfter,
      answered: counts.answered,
      readLatency: readLatency.summary(),
      timeline: timeline.data(),
      marks: [...this.marks],
    };
  }

  /** A 202's body becomes a ledger line and an id to poll. */
  private recordAccepted(body: string | undefined, pollable: string[], random: () => number): void {
    if (body === undefined) return;
    const answer = JSON.parse(body) as Accepted;
    this.options.onAccepted?.({
      id: answer.id,
      evacueeId: answer.evacueeId,
      destination: answer.destination,
      submittedAt: answer.submittedAt,
    });
    if (pollable.length < POLLABLE_IDS) pollable.push(answer.id);
    else pollable[Math.floor(random() * POLLABLE_IDS)] = answer.id;
  }

  /** Closes a timeline second every second: samples the queue depth and reports progress. */
  private sampleEverySecond(timeline: Timeline, profile: RateProfile, options: LoadOptions): { stop(): void } {
    let sampling = false;
    const timer = setInterval(() => {
      if (sampling) return;
      sampling = true;
      const elapsedMs = performance.now() - this.startedAt;
      void (options.queueDepth?.() ?? Promise.resolve(undefined))
        .catch(() => undefined)
        .then((depth) => {
          const second = timeline.closeSecond(elapsedMs, depth);
          options.onSecond?.({
            elapsedMs,
            totalMs: profile.totalMs,
            phase: profile.segmentAt(elapsedMs)?.name ?? '',
            askedPerSec: second.asked,
            sentPerSec: second.sent,
            acceptedP50Ms: second.acceptedP50Ms,
            acceptedP99Ms: second.acceptedP99Ms,
            statuses: second.statuses,
            queueDepth: depth,
          });
        })
        .finally(() => (sampling = false));
    }, 1000);
    return { stop: () => clearInterval(timer) };
  }
}

/** Picks an action by weight. */
function weightedPicker(mix: Readonly<Record<Action, number>>, random: () => number): () => Action {
  const weighted = ACTIONS.filter((action) => mix[action] > 0);
  const total = weighted.reduce((sum, action) => sum + mix[action], 0);
  return () => {
    let r = random() * total;
    for (const action of weighted) {
      r -= mix[action];
      if (r < 0) return action;
    }
    return weighted.at(-1) ?? 'post';
  };
}
