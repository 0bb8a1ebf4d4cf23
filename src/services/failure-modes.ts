import { EVENT, METRIC } from '../runtime/index.js';

/**
 * What can go wrong while Exodus runs, as an FMEA (failure mode and effects analysis) scored the
 * way the talk scored it: severity × occurrence × detection, each 1–10, a Risk Reference Number
 * (RRN) from 1 to 1000; work the highest first. One source, typed data (CONVENTIONS 14): the ops
 * console serves it with each row's live signal and whether it is live now (`GET
 * /api/v1/failure-modes`, the "Failure modes" view), and docs/failure-modes.md is generated from it
 * (`npm run docs:failure-modes`; a test fails when the doc is stale). Adding a failure mode is
 * adding a record here.
 */

/** A score on the 1–10 scales of `SCALES`. */
export type Score = 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9 | 10;

/** What each score means, from 1 to 10 (the doc and the console say it). */
export const SCALES = {
  severity:
    'what an evacuee or a watcher suffers: 1 nobody notices; 3 a delay of seconds; 5 a delay of minutes or a retry; 8 nobody can hand in a wish, or a wish is shown as markup; 10 a wish lost after its 202',
  occurrence:
    'how often, over an evacuation: 1 not expected; 3 takes a rare fault (a killed broker, a partition); 5 expected now and then (a process crash, a store restart); 7 expected daily; 10 constant',
  detection:
    'how late an operator learns of it: 1 the console says it in words within seconds (an event, a firing alert); 3 a chart or a figure shows it; 5 only the logs say it; 8 only after the fact (the audit); 10 nothing would tell',
} as const;

type EventKind = (typeof EVENT)[keyof typeof EVENT];
type MetricName = (typeof METRIC)[keyof typeof METRIC];

/**
 * Where a failure shows live, and when it counts as live now: an event of that kind seen in the last
 * 15 minutes; a burn-rate alert of that SLO firing; a metric (of the points matching `attributes`)
 * whose newest value is above `above`, or that grew in the last 15 minutes.
 */
export type LiveSignal =
  | { readonly kind: 'event'; readonly event: EventKind }
  | { readonly kind: 'slo'; readonly slo: string }
  | {
      readonly kind: 'metric';
      readonly metric: MetricName;
      readonly attributes?: Readonly<Record<string, string>>;
      readonly live: { readonly above: number; readonly unit: string } | 'grew';
    };

export interface FailureMode {
  /** A stable slug: the console's row, a link's target. */
  readonly id: string;
  readonly failure: string;
  /** How it is detected, in words: the live signals first, then what finds it after the fact. */
  readonly detectedBy: string;
  readonly usersSee: string;
  readonly mitigation: string;
  readonly severity: Score;
  readonly occurrence: Score;
  readonly detection: Score;
  /** The tests (and `exodus chaos` experiments) that prove the mitigation; gaps named. */
  readonly provenBy: string;
  /** At least one: what an operator watches for it. */
  readonly signals: readonly [LiveSignal, ...LiveSignal[]];
}

/** The Risk Reference Number: severity × occurrence × detection, 1..1000. */
export function riskOf(mode: Pick<FailureMode, 'severity' | 'occurrence' | 'detection'>): number {
  return mode.severity * mode.occurrence * mode.detection;
}

/** The freshness SLO's promise (10 s to the wall): a ready message older than that is already late. */
const LATE_S = 10;
const backlogAging: LiveSignal = {
  kind: 'metric',
  metric: METRIC.queueOldestAge,
  live: { above: LATE_S, unit: 's' },
};
/** Refusals by status: 503 is the door shedding load (or the queue away), 429 a rate limit. */
const refused = (status: '429' | '503'): LiveSignal => ({
  kind: 'metric',
  metric: METRIC.refusedRequests,
  attributes: { 'http.response.status_code': status },
  live: 'grew',
});
const freshness: LiveSignal = { kind: 'slo', slo: 'wish-freshness' };

export const FAILURE_MODES: readonly FailureMode[] = [
  {
    id: 'wish-lost-after-202',
    failure: 'A wish silently lost after its 202',
    detectedBy:
      "live, the synthetic canary (a wish of its own every 10 s, timed to stored and the read model: `canary.failed` when one does not arrive within 10 s, and an input of SLO `wish-freshness`); `exodus audit` on the ledger, after the fact, for every wish: a real wish lost while the canary's own get through is still seen only by the audit",
    usersSee: 'their wish never on the wall',
    mitigation:
      'the 202 only once the intake queue holds it durably (group commit, `synchronous=FULL`; JetStream ack); at-least-once delivery; idempotent consumers',
    severity: 10,
    occurrence: 2,
    detection: 6,
    provenBy:
      '`test/integration/api.test.ts` (202 after the commit), `crash-recovery.test.ts`, `faults.test.ts`, `test/integration/audit.test.ts`; the canary: `test/integration/canary.test.ts`, `test/e2e/console-canary.test.ts` (red while the tally is frozen)',
    signals: [{ kind: 'event', event: EVENT.canaryFailed }, freshness],
  },
  {
    id: 'consumer-killed',
    failure: 'A consumer killed (kill −9, OOM) mid-batch',
    detectedBy: 'Events `process.exited` (signal), restarts in Overview; `exodus status`',
    usersSee: "a few seconds' delay on the wall",
    mitigation:
      'the supervisor restarts it with backoff; short leases (5 s) extended while working, so its messages come back in seconds; version rule makes redelivery harmless',
    severity: 3,
    occurrence: 5,
    detection: 1,
    provenBy:
      '`crash-recovery.test.ts` (parser, workers and tally killed mid-batch: nothing lost, nothing twice); `faults.test.ts` on NATS; the console browser test (event and restart count within 5 s); `exodus chaos run workers-killed` (10 kills in 30 s under 80/s: backlog at most 66, p99 8.8 ms, 3,607 accepted, lost 0, no dead letter), `load-chaos.test.ts` (the same short, in CI, then `exodus audit`)',
    signals: [
      { kind: 'event', event: EVENT.processExited },
      { kind: 'metric', metric: METRIC.processRestarts, live: 'grew' },
    ],
  },
  {
    id: 'crash-loop',
    failure: 'A consumer killed over and over (a crash loop, a poison that crashes it)',
    detectedBy: 'Events `process.crash_loop` (once per loop), "crash loop" on the service row; dead letters',
    usersSee: 'delay while it restarts; nothing lost',
    mitigation:
      'a lapsed lease (holder died) spends no attempt; a message with lapses runs alone after its batch-mates are settled, so a killer takes only itself down, and is dead-lettered after `--max-lease-lapses` (10); the supervisor backs off (250 ms doubling to 30 s)',
    severity: 5,
    occurrence: 3,
    detection: 1,
    provenBy:
      'queue contract (`a lapsed lease spends no attempt…` on every engine), `consume-loop.test.ts` (suspects run apart, fewest lapses first), `crash-recovery.test.ts` (kill −9 mid-batch, every 202 stored); `load-chaos.test.ts` (kills every 2 s: no dead letter)',
    signals: [
      { kind: 'event', event: EVENT.processCrashLoop },
      { kind: 'event', event: EVENT.deadLettered },
    ],
  },
  {
    id: 'store-down',
    failure: 'The store (PostgreSQL) down for seconds to minutes',
    detectedBy:
      'Events `dependency.unavailable` (about a second in: the dependency, the held count) and `dependency.available`; "waiting for postgres (N held)" on the consumer\'s row; oldest message age and queue depth rising (Overview, Queues); SLO `wish-freshness`',
    usersSee:
      'wishes still accepted (202); the wall lags, then catches up; status, wall and tally reads answer 503 with Retry-After while it is away',
    mitigation:
      'consumers hold the message and retry without spending attempts while the store is away; the frontend does not depend on the store to accept; a read that finds the store away is a 503, not a 500',
    severity: 5,
    occurrence: 4,
    detection: 1,
    provenBy:
      "`faults.test.ts` (PostgreSQL stopped 10 s while wishes flow), `outage.test.ts` (held through a 2 s outage with `maxAttempts` 2; reads 503), `exodus chaos run store-outage` (15 s; on PostgreSQL it found the reads' 500s), `load-chaos.test.ts` (8 s on private PostgreSQL under load, audited); the event within 1.2 s of the embedded store's lock, `test/e2e/console.test.ts`",
    signals: [{ kind: 'event', event: EVENT.dependencyUnavailable }, backlogAging, freshness],
  },
  {
    id: 'queue-unreachable',
    failure: 'The queue (NATS, or the intake SQLite file) unreachable',
    detectedBy: '`/readyz` 503; Events `load_shedding.on` (reason `intake-unavailable`); error log once a second',
    usersSee:
      '503 with Retry-After ("sorry" page), never a 202 that cannot be kept; the page keeps the wish in its form until the pause ends',
    mitigation: 'the write gate refuses at once while the queue does not answer its ping',
    severity: 8,
    occurrence: 3,
    detection: 1,
    provenBy:
      '`faults.test.ts` (NATS restarted while wishes flow: 503 while down, every 202 stored after); `api.test.ts` (503 when the queue cannot take it)',
    signals: [{ kind: 'event', event: EVENT.sheddingOn }],
  },
  {
    id: 'broker-killed-abruptly',
    failure: 'NATS restarted abruptly (SIGKILL, crash)',
    detectedBy:
      'the outage shows as for an unreachable queue (Events `load_shedding.on`); a publish lost in its last milliseconds only in `exodus audit`',
    usersSee: 'as for an unreachable queue; at worst a wish acknowledged and lost',
    mitigation:
      'lame-duck restarts lose nothing; an abrupt stop of NATS 2.9 can lose an acked publish in its last milliseconds (no `sync_interval: always` before 2.10); operators must use lame-duck',
    severity: 10,
    occurrence: 2,
    detection: 8,
    provenBy:
      '`nats-fanout.test.ts` (every publish acked before and during a lame-duck restart arrives); `load-chaos.test.ts` (lame-duck `exodus chaos broker-restart` under load, audited); `exodus chaos broker-restart --abrupt` under 80/s lost nothing in its one run here (306 × 503, all retried), which shows the window is small, not that it is closed: **known limit**, documented in README',
    signals: [{ kind: 'event', event: EVENT.sheddingOn }],
  },
  {
    id: 'overload',
    failure: 'Overload: more wishes a second than the box can commit',
    detectedBy:
      'Events `load_shedding.on` with its reason; the Requests chart "refused (429/503)"; SLO `wish-acceptance-latency`',
    usersSee: '503 with Retry-After and the sorry page; their retry gets in',
    mitigation:
      'load shedding on event-loop delay, heap, and writes in flight (`--max-in-flight-writes`); the page keeps the wish and offers the button again after Retry-After',
    severity: 5,
    occurrence: 5,
    detection: 2,
    provenBy:
      '`front-door.test.ts` (sheds everything but the probes while the event loop lags, and recovers); `load-chaos.test.ts` (`overload`: 503s with Retry-After, no other 5xx, lost 0); **gap**: when the machine\'s CPU, not the door, saturates (3,000 connections with the generator on the same 2 cores), requests wait in the kernel\'s queues and time out (1,249 of ~30,000) instead of being shed: neither lag nor the write gate sees them (README, "What the tools found")',
    signals: [
      { kind: 'event', event: EVENT.sheddingOn },
      refused('503'),
      { kind: 'slo', slo: 'wish-acceptance-latency' },
    ],
  },
  {
    id: 'acceptance-fails',
    failure:
      'Handing in fails: a 5xx that is not a refusal (a wish the intake queue refuses for what it holds, a defect)',
    detectedBy:
      'SLO `wish-acceptance-availability`: its burn-rate alerts fire on the console (page at 14.4× over 1 h and 5 m) and in Prometheus; the Errors column',
    usersSee: 'a 500 for their wish; the page keeps it in its form',
    mitigation:
      "one wish the queue refuses is that request's problem alone (a 500 of its own type, no Retry-After), never an outage: the door stays open for the others",
    severity: 6,
    occurrence: 2,
    detection: 1,
    provenBy:
      '`wish-refused-by-queue.test.ts` (sqs:// with a 1 KiB intake queue: a long wish refused alone), `slo/tests/` (a 9 % failure rate pages), `test/e2e/console-alerts.test.ts` (a burst of failures fires the availability alert on the overview, and it resolves)',
    signals: [{ kind: 'slo', slo: 'wish-acceptance-availability' }],
  },
  {
    id: 'poison-message',
    failure: 'A poison message (bytes that are not a wish)',
    detectedBy: 'Events `message.dead_lettered`; dead count in Queues',
    usersSee: "nothing (it was never a user's wish)",
    mitigation: 'dead-lettered with its error after its attempts, never retried forever; redrive puts it back intact',
    severity: 1,
    occurrence: 3,
    detection: 1,
    provenBy:
      '`pipeline.test.ts` (dead-letters a poison message; redrive restores it), `nats-unreadable.test.ts`, console browser test (dead letters and ±3 s logs), `exodus chaos poison` (only the poison dead-lettered, purged after)',
    signals: [
      { kind: 'event', event: EVENT.deadLettered },
      {
        kind: 'metric',
        metric: METRIC.queueMessages,
        attributes: { 'exodus.queue.state': 'dead' },
        live: { above: 0, unit: 'messages' },
      },
    ],
  },
  {
    id: 'rule-breaking-wish',
    failure: 'A wish that breaks the rules from outside the front door',
    detectedBy: 'status `rejected` with its reason; wishes rejected per second (Overview, Wishes)',
    usersSee: 'their status says why',
    mitigation: 'the parser rejects it once, acknowledged, not retried or dead-lettered',
    severity: 1,
    occurrence: 3,
    detection: 3,
    provenBy: '`pipeline.test.ts` (rejects with its reason)',
    signals: [
      { kind: 'metric', metric: METRIC.wishes, attributes: { 'exodus.wish.outcome': 'rejected' }, live: 'grew' },
    ],
  },
  {
    id: 'injection-attempt',
    failure: 'HTML or script in a wish (injection attempt)',
    detectedBy: 'Events `wish.injection_attempt` (evacuee id and time); `exodus_wish_injection_attempts_total`',
    usersSee: 'the text shown as text, as written',
    mitigation:
      'stored exactly; every surface inserts text, never markup; strict CSP with Trusted Types on the page and the console',
    severity: 8,
    occurrence: 6,
    detection: 1,
    provenBy:
      '`test/e2e/injection.test.ts` (544 strings, nothing executed in Chromium), console browser test (the event renders as text)',
    signals: [{ kind: 'event', event: EVENT.injectionAttempt }],
  },
  {
    id: 'write-flood',
    failure: 'One address floods writes without a valid pass',
    detectedBy: '429s by reason in Requests; refusal log once a second',
    usersSee: 'that address gets 429; a hall behind one NAT still gets in',
    mitigation: 'failed passes limited per address, good writes per evacuee',
    severity: 3,
    occurrence: 5,
    detection: 3,
    provenBy: '`front-door.test.ts` (rate limits)',
    signals: [refused('429')],
  },
  {
    id: 'console-down',
    failure: 'The console down or its disk full',
    detectedBy:
      "the console's own `/metrics` and `/healthz`; `exodus status`; once back, Events `process.exited` of the console",
    usersSee: 'nothing: evacuees and watchers never touch it',
    mitigation:
      "telemetry export is batched and bounded; when the receiver is down it is dropped and counted (`exodus_telemetry_export_failures_total`), never waited for; the console's store is capped by size and age",
    severity: 2,
    occurrence: 3,
    detection: 4,
    provenBy:
      '`otlp.test.ts` (backend down while wishes flow: all stored, drops counted), `console-api.test.ts` (size bound)',
    signals: [{ kind: 'event', event: EVENT.processExited }],
  },
  {
    id: 'tally-behind',
    failure: "A reader's time-to-wall grows (the tally falls behind)",
    detectedBy: 'SLO `wish-freshness` (99 % within 10 s); oldest age of the `tally` queue',
    usersSee: 'the wall lags the statuses',
    mitigation: 'the tally is its own process and queue; scale it with `--replicas tally=N`',
    severity: 3,
    occurrence: 3,
    detection: 2,
    provenBy:
      '`slo/tests/` shows the alerts firing; `exodus chaos run hung-tally` (the tally frozen 20 s under 80/s: the backlog grew to 1,158 and drained before the load ended; 3,607 accepted, lost 0)',
    signals: [freshness, backlogAging],
  },
  {
    id: 'flaky-network',
    failure: 'A slow or flaky network to the store or the broker (latency, a partition, resets)',
    detectedBy: 'queue depth and oldest age rising; "dependency unavailable" holds in the logs; SLO `wish-freshness`',
    usersSee: 'wishes still accepted while the queue answers; the wall lags',
    mitigation:
      "PostgreSQL's pool gives up a connect in 5 s (a transient error the consumer holds through); NATS reconnects for ever; nothing is settled before the store says yes",
    severity: 4,
    occurrence: 4,
    detection: 5,
    provenBy:
      "`tcp-proxy.test.ts` (the proxy's latency, drop and reset), `load-chaos.test.ts` (300 ms then resets on PostgreSQL's connections under load: no error, lost 0); **gap**: a long drop (no RST, no FIN) on the broker is not run yet",
    signals: [backlogAging, freshness],
  },
  {
    id: 'wall-slow',
    failure: 'The wall slow to read (a slow page for every watcher)',
    detectedBy: 'SLO `wall-read-latency` (99 % of `GET /api/wall` within 100 ms); p99 in Overview',
    usersSee: 'the wall and the tally late to appear and to move',
    mitigation:
      'reads come from the read model, never the system of record; each wall page and the tally are cached for one second and concurrent misses share one query, so a hall of pages is one query a second',
    severity: 3,
    occurrence: 3,
    detection: 1,
    provenBy:
      "`slo/tests/` (the wall-read-latency windows); `front-door.test.ts` (more distinct wall reads at once than the cache holds are all answered); **gap**: no test measures the wall's latency under a hall of pages",
    signals: [{ kind: 'slo', slo: 'wall-read-latency' }],
  },
];

/** How long an event or a metric's growth counts as live: the overview's charts span the same. */
export const LIVE_WINDOW_MS = 15 * 60_000;

/** A signal in words: what it names and when it counts as live, e.g. `exodus.queue.oldest_message.age` / `above 10 s`. */
export function signalTerms(signal: LiveSignal): { kind: LiveSignal['kind']; name: string; liveWhen: string } {
  switch (signal.kind) {
    case 'event':
      return { kind: 'event', name: signal.event, liveWhen: 'seen in the last 15 min' };
    case 'slo':
      return { kind: 'slo', name: signal.slo, liveWhen: 'one of its burn-rate alerts firing' };
    case 'metric': {
      const where = Object.entries(signal.attributes ?? {})
        .map(([key, value]) => `${key}=${value}`)
        .join(', ');
      return {
        kind: 'metric',
        name: where === '' ? signal.metric : `${signal.metric}{${where}}`,
        liveWhen: signal.live === 'grew' ? 'grew in the last 15 min' : `above ${signal.live.above} ${signal.live.unit}`,
      };
    }
  }
}

/** Highest RRN first (then by id, so the order is stable): the order the doc and the console show. */
export function byRisk(modes: readonly FailureMode[] = FAILURE_MODES): FailureMode[] {
  return [...modes].sort((a, b) => riskOf(b) - riskOf(a) || a.id.localeCompare(b.id));
}
