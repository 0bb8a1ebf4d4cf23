import { openMessaging } from '../src/engines/index.js';
import { auditUntilComplete, backlogOf, type LedgerEntry } from '../src/ops/index.js';
import { LoadRun, type LoadResult } from '../src/ops/load/index.js';
import { backlogTotal, loadConfig } from '../src/runtime/index.js';
import { generateRoster, sleep, tempDir, type RosterEntry } from '../testkit/index.js';
import { consoleView } from './console-view.js';
import {
  judged,
  type Check,
  type ExperimentOptions,
  type ExperimentResult,
  type LoadSecond,
  type TimelineEvent,
} from './experiment.js';
import { FRONTEND_HOSTS, LAB_ADMIN_TOKEN, LAB_PASS_SECRET, type Lab } from './topology.js';

/** A fault on the run's time axis: done at `atS`, undone (when it has an undo) at `untilS`. */
export interface Fault {
  readonly label: string;
  readonly atS: number;
  readonly untilS?: number;
  readonly inflict: (lab: Lab) => Promise<void>;
  readonly heal?: (lab: Lab) => Promise<void>;
}

/** What an experiment's own checks are given after the load and the audit. */
export interface RunRecord {
  /** The ledger of each frontend: the 202s it gave, by frontend host. */
  readonly accepted: ReadonlyMap<string, readonly LedgerEntry[]>;
  /** When each fault was done and undone (ms since epoch). */
  readonly windows: readonly { readonly label: string; readonly from: number; readonly to: number | undefined }[];
  readonly loads: ReadonlyMap<string, LoadResult>;
}

export interface Scenario {
  readonly name: string;
  readonly faults: readonly Fault[];
  /** The experiment's checks beside the audit. */
  readonly checks?: (record: RunRecord, lab: Lab) => Promise<readonly Check[]> | readonly Check[];
}

/** How long the audit waits for the backlog to drain after the load, before it counts what is missing. */
const DRAIN_WAIT_MS = 180_000;
const ROSTER_SIZE = 4_000;

/**
 * Runs `scenario` on a started lab: an open-model load split over both frontends (each its own half
 * of the roster and its own ledger), the faults on their schedule, then the audit of every 202 after
 * the backlog drained, and the scenario's own checks.
 */
export async function runUnderLoad(
  lab: Lab,
  scenario: Scenario,
  options: ExperimentOptions,
): Promise<ExperimentResult> {
  const roster = await labRoster();
  const halves = [roster.filter((_, i) => i % 2 === 0), roster.filter((_, i) => i % 2 === 1)];
  const queueConfig = loadConfig({ queue: lab.nats.url(), data: tempDir('exodus-lab-operator-') });
  const messaging = await openMessaging(queueConfig.queueUrl, queueConfig);
  const accepted = new Map<string, LedgerEntry[]>(FRONTEND_HOSTS.map((name) => [name, []]));
  const startedAt = Date.now();
  const runs = FRONTEND_HOSTS.map(
    (name, i) =>
      [
        name,
        new LoadRun({
          target: lab.frontendUrl(name),
          roster: halves[i] ?? [],
          segments: [
            {
              name: 'steady',
              kind: 'constant',
              startMs: 0,
              durationMs: options.durationMs,
              from: options.rate / 2,
              to: options.rate / 2,
            },
          ],
          mix: { post: 0.9, status: 0.1, wall: 0, tally: 0 },
          retries: 2,
          connections: 64,
          timeoutMs: 10_000,
          seed: options.seed + i,
          onAccepted: (entry) => accepted.get(name)?.push(entry),
          // Both runs see the same backlog: one samples it.
          ...(i === 0 ? { queueDepth: async () => backlogTotal(await backlogOf(messaging)) } : {}),
        }),
      ] as const,
  );
  const events: TimelineEvent[] = [];
  const windows: { label: string; from: number; to: number | undefined }[] = [];
  const note = (label: string): void => {
    events.push({ atS: (Date.now() - startedAt) / 1000, label });
    for (const [, run] of runs) run.mark(label);
    options.log(`  ${((Date.now() - startedAt) / 1000).toFixed(1)} s: ${label}`);
  };
  const faultsDone = driveFaults(lab, scenario.faults, startedAt, note, windows);
  const loads = new Map(await Promise.all(runs.map(async ([name, run]) => [name, await run.run()] as const)));
  await faultsDone;
  note('load ended');
  const ledger = [...accepted.values()].flat();
  const config = loadConfig({
    queue: lab.nats.url(),
    store: await lab.operatorStoreUrl(),
    data: tempDir('exodus-lab-audit-'),
  });
  const { report, waitedMs } = await auditUntilComplete(config, ledger, DRAIN_WAIT_MS);
  await messaging.close();
  const seconds = secondsOf([...loads.values()]);
  const firstFault = windows[0]?.from;
  const seen = await consoleView(lab.consoleUrl(), LAB_ADMIN_TOKEN, lab.exodusInstances(), firstFault);
  const checks = [...((await scenario.checks?.({ accepted, windows, loads }, lab)) ?? []), seen.check];
  return judged({
    experiment: scenario.name,
    accepted: report.wishes,
    refused: [...loads.values()].reduce((sum, load) => sum + refusedPosts(load), 0),
    lost: report.lost.length,
    onTheirWay: report.onTheirWay.length,
    deadLettered: report.deadLettered.length,
    wrongCurrent: report.wrongCurrent.length + report.supersededByNothing.length,
    tallyMatches: report.tallyMatches,
    recoveryS: firstFault === undefined ? undefined : recoverySeconds(seconds, (firstFault - startedAt) / 1000),
    drainedS: waitedMs === undefined ? undefined : waitedMs / 1000,
    checks,
    timeline: events,
    seconds,
    links: lab.links(),
    extra: {
      rate: options.rate,
      durationS: options.durationMs / 1000,
      auditWaitedS: (waitedMs ?? DRAIN_WAIT_MS) / 1000,
      consoleEventsFromTheFaultOn: seen.events,
      exodusRestarts: lab.restartsSoFar().join('; ') || 'none',
    },
  });
}

/** Does each fault at its time and undoes it at its end, noting both on the time axis. */
async function driveFaults(
  lab: Lab,
  faults: readonly Fault[],
  startedAt: number,
  note: (label: string) => void,
  windows: { label: string; from: number; to: number | undefined }[],
): Promise<void> {
  const steps = faults
    .flatMap((fault) => [
      {
        atS: fault.atS,
        run: async () => {
          note(`${fault.label}: on`);
          windows.push({ label: fault.label, from: Date.now(), to: undefined });
          await fault.inflict(lab);
        },
      },
      ...(fault.heal === undefined || fault.untilS === undefined
        ? []
        : [
            {
              atS: fault.untilS,
              run: async () => {
                note(`${fault.label}: off`);
                const window = windows.find((w) => w.label === fault.label && w.to === undefined);
                if (window !== undefined) window.to = Date.now();
                await fault.heal?.(lab);
              },
            },
          ]),
    ])
    .sort((a, b) => a.atS - b.atS);
  for (const step of steps) {
    const wait = startedAt + step.atS * 1000 - Date.now();
    if (wait > 0) await sleep(wait);
    await step.run();
  }
}

/** A roster whose passes the lab's frontends accept (signed with the lab's secret). */
async function labRoster(): Promise<RosterEntry[]> {
  process.env['EXODUS_PASS_SECRET'] = LAB_PASS_SECRET;
  return generateRoster(tempDir('exodus-lab-roster-'), ROSTER_SIZE);
}

/** POSTs that ended without a 202: every non-202 answer to a POST, less those that were sent again. */
export function refusedPosts(load: LoadResult): number {
  const answers = load.byAction.post.answers;
  const notAccepted = Object.entries(answers).reduce((sum, [key, n]) => sum + (key === '202' ? 0 : n), 0);
  return notAccepted - load.retries;
}

/** Both frontends' loads second by second: 202s, refusals (429/503), everything else that is not a 200. */
export function secondsOf(loads: readonly LoadResult[]): LoadSecond[] {
  const count = Math.max(0, ...loads.map((load) => load.timeline.seconds));
  const sum = (pick: (load: LoadResult, i: number) => number, i: number): number =>
    loads.reduce((total, load) => total + pick(load, i), 0);
  const at = (load: LoadResult, key: string, i: number): number => load.timeline.statuses[key]?.[i] ?? 0;
  const others = (load: LoadResult, i: number): number =>
    Object.keys(load.timeline.statuses)
      .filter((key) => !['200', '202', '429', '503'].includes(key))
      .reduce((total, key) => total + at(load, key, i), 0);
  return Array.from({ length: count }, (_, i) => ({
    atS: i,
    accepted: sum((load) => at(load, '202', i), i),
    refused: sum((load) => at(load, '429', i) + at(load, '503', i), i),
    errors: sum(others, i),
    backlog: loads[0]?.timeline.queueDepth[i] ?? undefined,
  }));
}

/**
 * From the fault to the end of the last second in which anything was refused or failed: when the
 * service was whole again. 0 when nothing ever was.
 */
export function recoverySeconds(seconds: readonly LoadSecond[], faultAtS: number): number {
  const unclean = seconds.filter((s) => s.atS + 1 > faultAtS && s.refused + s.errors > 0);
  const last = unclean.at(-1);
  return last === undefined ? 0 : Math.max(0, last.atS + 1 - faultAtS);
}
