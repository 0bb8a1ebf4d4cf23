import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { auditUntilComplete, freePort, seededRandom, type LedgerEntry } from '../../src/ops/index.js';
import { LoadRun } from '../../src/ops/load/index.js';
import { loadConfig } from '../../src/runtime/index.js';
import { generateRoster, waitFor, wishStatus } from '../../testkit/index.js';
import { judged, type Experiment, type ExperimentOptions, type ExperimentResult } from '../experiment.js';
import { refusedPosts, secondsOf } from '../under-load.js';
import type { CutCycle } from './cut-cycle.js';
import { spawnExodusUp, untilReady, type ExodusUp } from './exodus-up.js';
import { checkDatabases } from './integrity.js';
import { mountLossyFs, type CutReport, type LossyFs } from './lossy-fs.js';
import { descendantsOf, isRunning, killAll } from './processes.js';
import { cutChecks, median } from './verdict.js';

/**
 * The power cut: `exodus up` with its data dir on lossyfs, an open-model load recording every 202,
 * and at seeded random moments the power goes: the layer drops every unsynced write and fails
 * everything after (the cut first, so nothing a process does after it reaches the disk), then
 * every Exodus process is killed -9. Unmount, mount again on what the backing dir kept, check every
 * database with `PRAGMA integrity_check`, start `exodus up` again; the load never stops. At the end
 * the whole ledger is audited: every 202 must be in the store.
 */

export interface PowerCutSettings {
  /** Cuts in a run (default 20), spread over the load's duration; when restarts are slower, the load runs on until all are made. */
  readonly cuts: number;
  /** Evacuees in the roster (default 2,000). */
  readonly evacuees: number;
  /** How long the audit waits for the pipeline to drain after the load (default 120 s). */
  readonly drainMs: number;
}

const DEFAULTS: PowerCutSettings = { cuts: 20, evacuees: 2_000, drainMs: 120_000 };
const START_MS = 60_000;
/** A restart's first 202, and that wish reaching the store, each have this long. */
const RESUME_MS = 30_000;
/**
 * The first wish after a restart has this long to reach the store: a consumer that met a store still
 * recovering backs off before it tries again (up to --retry-max-ms, 30 s), so a slow first minute is
 * slow, not stuck. The slowest is reported (slowestResumeS).
 */
const STORED_WITHIN_MS = 60_000;
/**
 * Each cut is given this long of the cut window: a restart is `exodus up` starting five Node processes,
 * ten seconds on a busy two-core machine, so `durationMs` may not hold the cuts asked for; the window
 * then grows, and the load runs on until the last restart has been seen taking wishes.
 */
const CUT_CAP_MS = 20_000;
/** Load after the last restart's wish reached the store. */
const TAIL_MS = 2_000;
/** The system runs at least this long between a recovery and the next cut (plus up to as much again, seeded). */
const MIN_UP_MS = 300;

export function powerCutExperiment(given: Partial<PowerCutSettings> = {}): Experiment {
  const settings = { ...DEFAULTS, ...given };
  return {
    name: 'power-cut',
    summary: `${settings.cuts} power cuts under load (unsynced writes lost, every process killed -9): every 202 kept, every database intact, the pipeline resumes`,
    run: (options) => runPowerCut(options, settings),
  };
}

export const powerCut: Experiment = powerCutExperiment();

async function runPowerCut(options: ExperimentOptions, settings: PowerCutSettings): Promise<ExperimentResult> {
  const root = mkdtempSync(join(tmpdir(), 'exodus-power-cut-'));
  const backing = join(root, 'backing');
  const dataDir = join(root, 'data');
  mkdirSync(backing);
  let fs: LossyFs = await mountLossyFs(backing, dataDir);
  let up: ExodusUp | undefined;
  try {
    const roster = await generateRoster(dataDir, settings.evacuees);
    const port = await freePort();
    up = spawnExodusUp(dataDir, port);
    await untilReady(up, START_MS);
    const system = up;
    const ledger: LedgerEntry[] = [];
    // Cuts fall within this window; the load outlasts the last restart however slow (it is stopped after it).
    const capMs = Math.max(options.durationMs, settings.cuts * CUT_CAP_MS);
    const loadCapMs = capMs + START_MS + RESUME_MS + STORED_WITHIN_MS + TAIL_MS;
    const stop = new AbortController();
    let onAccepted: ((entry: LedgerEntry) => void) | undefined;
    const load = new LoadRun({
      target: system.url,
      roster,
      // Long enough for every cut and restart however slow; stopped once they are made and durationMs is up.
      segments: [
        { name: 'steady', kind: 'steady', startMs: 0, durationMs: loadCapMs, from: options.rate, to: options.rate },
      ],
      signal: stop.signal,
      mix: { post: 1, status: 0, wall: 0, tally: 0 },
      retries: 3,
      connections: 64,
      timeoutMs: 5_000,
      seed: options.seed,
      onAccepted: (entry) => {
        ledger.push(entry);
        onAccepted?.(entry);
      },
    });
    const startedAt = performance.now();
    const elapsedMs = (): number => performance.now() - startedAt;
    const loading = load.run();
    const random = seededRandom(options.seed);
    const cycles: CutCycle[] = [];
    const slotMs = options.durationMs / (settings.cuts + 1);
    for (let i = 0; i < settings.cuts; i++) {
      // One cut per slot, at a seeded moment in it; never before the last restart has run a while.
      const atMs = Math.max(slotMs * (i + 0.5 + random()), elapsedMs() + MIN_UP_MS * (1 + random()));
      if (atMs > capMs - TAIL_MS) break;
      await sleep(atMs - elapsedMs());
      const victim = up;
      load.mark(`power cut ${i + 1}`);
      const cut = await powerCutOf(victim, fs, elapsedMs);
      options.log(
        `power cut ${i + 1} at ${(cut.atMs / 1000).toFixed(1)} s: ${cut.dropped.droppedBytes} unsynced bytes dropped`,
      );
      await fs.unmount();
      fs = await mountLossyFs(backing, dataDir);
      const databases = checkDatabases(dataDir);
      const restartAt = elapsedMs();
      const firstAccepted = new Promise<{ entry: LedgerEntry; atMs: number }>((resolve) => {
        onAccepted = (entry) => {
          onAccepted = undefined;
          resolve({ entry, atMs: elapsedMs() });
        };
      });
      up = spawnExodusUp(dataDir, port);
      await untilReady(up, START_MS);
      const readyAt = elapsedMs();
      load.mark(`restart ${i + 1}`);
      const first = await Promise.race([firstAccepted, sleep(RESUME_MS).then(() => undefined)]);
      const storedS = first === undefined ? undefined : await storedAfter(up.url, first.entry.id, STORED_WITHIN_MS);
      const resumed = storedS !== undefined;
      // What the system said while it did not resume, for whoever reads the report.
      if (!resumed) writeFileSync(join(options.outDir, `exodus-up-after-cut-${i + 1}.log`), up.output());
      cycles.push({
        atS: cut.atMs / 1000,
        dropped: cut.dropped,
        databases,
        readyS: (readyAt - restartAt) / 1000,
        firstAcceptedS: first === undefined ? undefined : (first.atMs - restartAt) / 1000,
        downS: first === undefined ? undefined : (first.atMs - cut.atMs) / 1000,
        resumed,
        storedS,
      });
      options.log(
        `restart ${i + 1}: ready in ${((readyAt - restartAt) / 1000).toFixed(1)} s, ${databases.filter((d) => d.ok).length}/${databases.length} databases intact, ${resumed ? 'pipeline resumed' : 'pipeline did NOT resume'}`,
      );
    }

    // The last restart takes load a while too, and the run lasts at least the duration asked.
    await sleep(Math.max(TAIL_MS, options.durationMs - elapsedMs()));
    stop.abort();
    const result = await loading;
    const loadEndedAt = elapsedMs();
    options.log(`load done: ${ledger.length} accepted; auditing while the pipeline drains`);
    const { report, waitedMs } = await auditUntilComplete(loadConfig({ data: dataDir }, {}), ledger, settings.drainMs);
    mkdirSync(options.outDir, { recursive: true });
    writeFileSync(
      join(options.outDir, 'ledger.ndjson'),
      ledger.map((entry) => JSON.stringify(entry)).join('\n') + '\n',
    );

    const recoveries = cycles.flatMap((c) => (c.firstAcceptedS === undefined ? [] : [c.firstAcceptedS]));
    const integrityFailures = cycles.reduce((n, c) => n + c.databases.filter((d) => !d.ok).length, 0);
    return judged({
      experiment: 'power-cut',
      accepted: report.wishes,
      refused: refusedPosts(result),
      lost: report.lost.length,
      onTheirWay: report.onTheirWay.length,
      deadLettered: report.deadLettered.length,
      wrongCurrent: report.wrongCurrent.length,
      tallyMatches: report.tallyMatches,
      recoveryS: median(recoveries),
      drainedS: waitedMs === undefined ? undefined : (elapsedMs() - loadEndedAt) / 1000,
      links: { ledger: join(options.outDir, 'ledger.ndjson') },
      checks: cutChecks({ cycles, planned: settings.cuts, lost: report.lost }),
      timeline: cycles.flatMap((c, i) => [
        { atS: c.atS, label: `power cut ${i + 1}: ${c.dropped.droppedBytes} unsynced bytes dropped` },
        ...(c.firstAcceptedS === undefined
          ? []
          : [{ atS: c.atS + (c.downS ?? 0), label: `restart ${i + 1}: first 202 after ${c.downS?.toFixed(1)} s` }]),
      ]),
      seconds: secondsOf([result]),
      extra: {
        cuts: cycles.length,
        integrityFailures,
        databasesChecked: cycles.reduce((n, c) => n + c.databases.length, 0),
        medianRestartS: median(cycles.map((c) => c.readyS)) ?? -1,
        medianDownS: median(cycles.flatMap((c) => (c.downS === undefined ? [] : [c.downS]))) ?? -1,
        slowestResumeS: Math.max(0, ...cycles.map((c) => c.storedS ?? 0)),
        unsyncedBytesDropped: cycles.reduce((n, c) => n + c.dropped.droppedBytes, 0),
        unsyncedShmBytesDropped: cycles.reduce((n, c) => n + c.dropped.droppedShmBytes, 0),
      },
    });
  } finally {
    if (up !== undefined) await stopped(up);
    await fs.unmount();
    rmSync(root, { recursive: true, force: true });
  }
}

/**
 * The power goes: the layer drops what is unsynced and fails everything after, then every process
 * of `victim` dies. `atMs` (on the load's clock) is the instant of the cut.
 */
async function powerCutOf(
  victim: ExodusUp,
  layer: LossyFs,
  elapsedMs: () => number,
): Promise<{ atMs: number; dropped: CutReport }> {
  const supervisor = victim.child.pid ?? 0;
  // Frozen first, so it starts no process between the listing and the kill (freezing writes nothing).
  process.kill(supervisor, 'SIGSTOP');
  const processes = [supervisor, ...descendantsOf(supervisor)];
  const atMs = elapsedMs();
  const dropped = await layer.cut();
  killAll(processes);
  await waitFor(() => processes.every((pid) => !isRunning(pid)), 10_000, 'the killed processes never ended');
  return { atMs, dropped };
}

/** Seconds until `GET /api/wishes/{id}` says the wish left the queues (stored, superseded or rejected); undefined past `withinMs`. */
async function storedAfter(url: string, id: string, withinMs: number): Promise<number | undefined> {
  const started = Date.now();
  try {
    await waitFor(
      async () => (await wishStatus(url, id).catch(() => ({ status: 'pending' }))).status !== 'pending',
      withinMs,
      `${id} never left the queues`,
      100,
    );
    return (Date.now() - started) / 1000;
  } catch {
    return undefined;
  }
}

/** A clean stop (SIGTERM, the drain); past 30 s, kill -9 of everything it runs. */
async function stopped(up: ExodusUp): Promise<void> {
  const pid = up.child.pid ?? 0;
  if (!isRunning(pid)) return;
  const processes = [pid, ...descendantsOf(pid)];
  up.child.kill('SIGTERM');
  try {
    await waitFor(() => processes.every((p) => !isRunning(p)), 30_000, 'exodus up never stopped');
  } catch {
    killAll(processes);
  }
}
