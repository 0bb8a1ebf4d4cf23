/**
 * The benchmark scenarios as typed data: adding or retuning a phase is editing a
 * record here, not a code path. Durations are wall-clock ms; every phase is bounded so that
 * `npm run bench` always ends (the whole run is capped by `budgetMs` as a last resort).
 */

/** How load is offered. */
export type LoadModel =
  /**
   * Closed model: `connections` virtual users, each sending its next request only when the previous
   * one answered. It finds the saturation throughput, which is what the ingest *ratio* compares, but
   * its latencies are service times under saturation: a stall also stops the sender, so it hides
   * latency spikes (coordinated omission). Read its p99 as "under full load", not as user experience.
   */
  | { readonly kind: 'closed'; readonly connections: number }
  /**
   * Open model: requests are due at a fixed rate whatever the server does, and latency is measured
   * from each request's *intended* send time, so queueing caused by a slow server is counted. The
   * rate is a fraction of the exodus closed-model throughput measured earlier in the same run, so
   * both servers get the same, realistic-but-sustainable offered load.
   */
  | { readonly kind: 'open'; readonly fractionOfExodusClosed: number; readonly connections: number };

export interface IngestPhase {
  readonly name: string;
  readonly model: LoadModel;
  /** Load sent but not recorded first: JIT, connection set-up, SQLite page cache. */
  readonly warmupMs: number;
  readonly durationMs: number;
}

export interface IngestScenario {
  /** Run in order, each against the bare server and then exodus. */
  readonly phases: readonly IngestPhase[];
  /** Pass criterion: exodus closed-model req/s ≥ this × bare node:http req/s. */
  readonly minRatio: number;
  /** After an exodus phase, wait (at most this long) for its pipeline to go idle so the next phase starts clean. */
  readonly settleTimeoutMs: number;
  /** Roster size for the ingest system; requests cycle through it (later wishes supersede earlier ones). */
  readonly rosterCount: number;
}

export interface DrainScenario {
  /** One wish per evacuee: the store must end with exactly this many current wishes. */
  readonly evacuees: number;
  /** Closed-model senders for the 65,000 POSTs (ingest as fast as the front door allows). */
  readonly connections: number;
  /** A POST answered with anything but 202 is re-sent, up to this many attempts in all. */
  readonly maxAttempts: number;
  /** How often the store and the read model are polled for their counts once every wish is accepted. */
  readonly pollMs: number;
  /**
   * Poll interval while POSTs are still going: the store cannot be complete before the last 202,
   * and each count (~5-10 ms of SQLite on 65,000 rows) takes CPU from the system under test.
   */
  readonly pollWhileIngestingMs: number;
  /** Hard stop: the drain is reported as failed if the store is not complete by then. */
  readonly timeoutMs: number;
  /** Pass criterion: every wish in the tally (the read model, after `stored`) within this long of the first POST. */
  readonly targetMs: number;
}

export interface QueueEnginesScenario {
  /** Messages through each engine (send → receive → ack). */
  readonly messages: number;
  /** Messages per send and per receive. */
  readonly batch: number;
  /** Consumer loops; BullMQ's worker gets consumers × batch concurrency, the same messages in flight. */
  readonly consumers: number;
  readonly natsUrl: string;
  readonly redisUrl: string;
}

export interface NatsShutdownScenario {
  /** Runs per (retention, stop) pair. */
  readonly runsEach: number;
  /** Publisher loops, each awaiting its publish ack. */
  readonly publishers: number;
  readonly flowBeforeStopMs: number;
  /** The most the consumers read after the restart, waiting until neither has anything left. */
  readonly readAfterRestartMs: number;
}

export interface IdleScenario {
  /** Each variant is a fresh `exodus up` with these arguments. */
  readonly variants: readonly { readonly name: string; readonly upArgs: readonly string[] }[];
  /** At least this long after ready before the window (start-up is not idle). */
  readonly settleMs: number;
  /** At most this long after ready waiting for a quiet probe; the window starts then anyway. */
  readonly settleTimeoutMs: number;
  readonly windowMs: number;
  /**
   * The window at rest starts this long after ready: past start-up's one-off tail (the code the
   * first rounds of telemetry compile, V8's memory reducer, which runs a few full GCs ~50 s after
   * allocation slows), so it measures what a system waiting for hours pays.
   */
  readonly restAfterMs: number;
  readonly restWindowMs: number;
}

export interface OverloadScenario {
  /** Virtual users: at most this many requests open at once, each on its own keep-alive connection. */
  readonly connections: number;
  /** Open model: POSTs due per second, far above what the front door takes on this machine (~5k/s). */
  readonly ratePerSec: number;
  readonly durationMs: number;
  /** No header or body byte for this long is a client timeout: the target allows none. */
  readonly requestTimeoutMs: number;
  /** Requests cycle through this roster (the per-evacuee limit is lifted for load from one address). */
  readonly rosterCount: number;
}

export interface PeerScenario {
  readonly redisUrl: string;
  readonly postgresUrl: string;
  /** Its own hard stop for the drain (it may be slower than exodus's): a time is worth more than "not within". */
  readonly timeoutMs: number;
}

export interface BenchScenario {
  readonly ingest: IngestScenario;
  readonly drain: DrainScenario;
  /**
   * The same drain on the distributed engines (fresh NATS prefix and PostgreSQL schema, removed
   * after), with its own time limit: it is slower, and a time is worth more than "not within".
   */
  readonly distributed: {
    readonly natsUrl: string;
    readonly postgresUrl: string;
    readonly timeoutMs: number;
    readonly targetMs: number;
  };
  readonly queueEngines: QueueEnginesScenario;
  readonly natsShutdown: NatsShutdownScenario;
  readonly idle: IdleScenario;
  /** The peer-style baseline (peer/drain.ts): the drain's scenario, on its own servers, with its own timeout. */
  readonly peer: PeerScenario;
  readonly overload: OverloadScenario;
  /** Watchdog for the whole run: children are killed and the run fails past this. */
  readonly budgetMs: number;
}

/**
 * 64 connections for both sides (the same count keeps the comparison fair). Measured here: the bare
 * server plateaus from 8 connections (~12-14k req/s); exodus gains from concurrency because group
 * commit puts more 202s behind each fsync (16 → ~1.2k, 32 → ~1.8k, 64 → ~2.3k, 128 → ~2.5k req/s
 * at twice the p50), so 64 is near its plateau without turning latency into queueing.
 */
export const DEFAULT_SCENARIO: BenchScenario = {
  ingest: {
    phases: [
      { name: 'saturation', model: { kind: 'closed', connections: 64 }, warmupMs: 2_000, durationMs: 8_000 },
      // Issue 11's latency target is set at half the maximum: a rate the front door should carry with room to spare.
      {
        name: 'half the measured maximum',
        model: { kind: 'open', fractionOfExodusClosed: 0.5, connections: 256 },
        warmupMs: 1_000,
        durationMs: 8_000,
      },
    ],
    minRatio: 0.5,
    settleTimeoutMs: 60_000,
    rosterCount: 65_000,
  },
  drain: {
    evacuees: 65_000,
    connections: 64,
    maxAttempts: 5,
    pollMs: 50,
    pollWhileIngestingMs: 500,
    timeoutMs: 90_000,
    targetMs: 10_000,
  },
  distributed: {
    natsUrl: process.env['EXODUS_BENCH_NATS_URL'] ?? 'nats://127.0.0.1:4222',
    postgresUrl: process.env['EXODUS_BENCH_POSTGRES_URL'] ?? 'postgres://127.0.0.1:5432/test',
    timeoutMs: 300_000,
    targetMs: 20_000,
  },
  queueEngines: {
    messages: 20_000,
    batch: 100,
    consumers: 4,
    natsUrl: process.env['EXODUS_BENCH_NATS_URL'] ?? 'nats://127.0.0.1:4222',
    redisUrl: process.env['EXODUS_BENCH_REDIS_URL'] ?? 'redis://127.0.0.1:6379',
  },
  natsShutdown: { runsEach: 3, publishers: 8, flowBeforeStopMs: 500, readAfterRestartMs: 60_000 },
  idle: {
    // As shipped first (the canary on, every 10 s: three runs in the window), then without it.
    variants: [
      { name: 'as shipped', upArgs: [] },
      { name: '--no-canary', upArgs: ['--no-canary'] },
    ],
    settleMs: 10_000,
    settleTimeoutMs: 40_000,
    windowMs: 30_000,
    restAfterMs: 90_000,
    restWindowMs: 60_000,
  },
  peer: {
    redisUrl: process.env['EXODUS_BENCH_REDIS_URL'] ?? 'redis://127.0.0.1:6379',
    postgresUrl: process.env['EXODUS_BENCH_POSTGRES_URL'] ?? 'postgres://127.0.0.1:5432/test',
    // 100–166 s measured on a shared 2-core machine (a PostgreSQL commit per wish in each of worker and tally).
    timeoutMs: 240_000,
  },
  overload: {
    connections: 3_000,
    ratePerSec: 15_000,
    durationMs: 15_000,
    requestTimeoutMs: 10_000,
    rosterCount: 10_000,
  },
  // About 9 minutes on a quiet machine; the peer, idle and overload parts added ~4 minutes to issue 11's 16-minute cap.
  budgetMs: 24 * 60_000,
};

/**
 * `npm run bench:guard` (guard.ts), CI's regression check: a physical reference and a short drain,
 * both on the machine at hand, each attempt on a fresh system, the whole bounded by `budgetMs`.
 */
export interface GuardScenario {
  /** The bare server under the closed model: its CPU µs per request is the yardstick. */
  readonly reference: IngestPhase;
  /** Roster for the reference's requests (they cycle; the bare server keeps nothing). */
  readonly referenceRosterCount: number;
  /** The embedded drain, shortened: enough wishes for a stable CPU per wish in seconds. */
  readonly drain: DrainScenario;
  /** Fail when a ratio exceeds this × its baseline. */
  readonly maxRegression: number;
  /** Attempts when judging (stopping at the first that passes) and when writing the baseline (all, median). */
  readonly attempts: number;
  readonly budgetMs: number;
}

export const GUARD_SCENARIO: GuardScenario = {
  reference: { name: 'bare reference', model: { kind: 'closed', connections: 64 }, warmupMs: 1_000, durationMs: 4_000 },
  referenceRosterCount: 1_000,
  drain: { ...DEFAULT_SCENARIO.drain, evacuees: 10_000, timeoutMs: 60_000 },
  maxRegression: 1.3,
  attempts: 3,
  budgetMs: 5 * 60_000,
};
