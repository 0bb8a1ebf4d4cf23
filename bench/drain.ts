import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { destroyNamespace, openMessaging, openStorage } from '../src/engines/index.js';
import {
  LatencyRecorder,
  openPool,
  send,
  wishRequests,
  type LatencySummary,
  type LoadRequest,
} from '../src/ops/load/index.js';
import { QUEUES, type QueueStats, type StorageEngine } from '../src/ports/index.js';
import { generateRoster, restartedSince, servicePids, startSystem, type RunningSystem } from '../testkit/index.js';
import { cpuUsPer, cpuUsPerByProcess, CpuWindow, type CpuReport, type Named } from './cpu.js';
import { watchingMemory, type MemoryReport } from './memory.js';
import { GENERATOR, removeTempDir, tempDir } from './processes.js';
import type { DrainScenario } from './scenarios.js';

/**
 * Drain: every evacuee of the roster submits one wish, as fast as the front door takes them
 * (closed model), on a fresh system; the clock runs from the first POST until the store holds all
 * of them as current (`countCurrent`, read straight from store.db, not through the API, so polling
 * costs the system under test nothing but a read). The read model (tally) is followed the same way,
 * and the drain passes when it holds every wish within the target: that is when the work is done.
 */
export interface DrainReport {
  readonly evacuees: number;
  readonly accepted: number;
  /** Non-202 answers and transport errors, by status or code (each was retried up to `maxAttempts`). */
  readonly failedAttempts: Readonly<Record<string, number>>;
  /** Wishes never accepted after `maxAttempts`. */
  readonly gaveUp: number;
  /** From the first POST: the last 202, all stored, all in the tally (undefined: not within the timeout). */
  readonly lastAcceptedMs: number;
  readonly allStoredMs: number | undefined;
  readonly allTalliedMs: number | undefined;
  /** Stored when the last 202 came back: how far the pipeline lagged behind the front door. */
  readonly storedAtLastAccepted: number;
  /** 202s per second, first POST → last 202. */
  readonly ingestPerSec: number;
  /** Wishes stored per second, first POST → all stored (end to end). */
  readonly drainPerSec: number | undefined;
  /** Wishes stored per second after ingest ended (the backlog alone). */
  readonly backlogDrainPerSec: number | undefined;
  /** POST latency under this closed-model load (service time, not user experience). */
  readonly latency: LatencySummary;
  readonly targetMs: number;
  /** All in the tally within `targetMs`. */
  readonly pass: boolean;
  /** Mean cost of one poll of the store and read model, in the bench process. */
  readonly pollMeanMs: number;
  /** While the POSTs ran, then from the last 202 until the store and tally were complete (or the timeout). */
  readonly cpu: { readonly ingesting: CpuReport; readonly backlog: CpuReport };
  /** CPU µs per wish over the whole drain: all exodus processes together, and the load generator. */
  readonly cpuUsPerWish: { readonly system: number | undefined; readonly generator: number | undefined };
  /** The same per process (exodus's, the generator's) and `others`: processes the bench did not start, e.g. nats-server, postgres. */
  readonly cpuUsPerWishByProcess: Readonly<Record<string, number>>;
  /** RSS of exodus's processes (not the bench's): just before the first POST, and the peaks until the drain ended. */
  readonly memory: MemoryReport;
  /** Exodus services that crashed and were restarted during the drain. */
  readonly restarted: readonly string[];
  /** Queues when the drain ended, to explain a timeout (stuck, dead-lettered). */
  readonly queuesAtEnd: Readonly<Record<string, QueueStats>>;
  /** [ms since first POST, accepted, stored, tallied] at every poll. */
  readonly timeline: ReadonlyArray<readonly [number, number, number, number]>;
}

const REQUEST_TIMEOUT_MS = 10_000;

/** Which engines the drained system runs on; undefined URLs mean the embedded SQLite default. */
export interface DrainEngines {
  readonly name: string;
  readonly queueUrl?: string;
  readonly storeUrl?: string;
  /** More `exodus up` arguments, e.g. `--no-console`. */
  readonly upArgs?: readonly string[];
  /** More environment for `exodus up` and (inherited) its processes, e.g. NODE_OPTIONS for a CPU profile. */
  readonly env?: Readonly<Record<string, string>>;
  /** Called with exodus's processes just before the first POST (a profiler starts its window there). */
  readonly beforeLoad?: (processes: readonly Named[]) => Promise<void>;
}

export async function runDrain(
  scenario: DrainScenario,
  log: (line: string) => void,
  engines: DrainEngines = { name: 'sqlite' },
): Promise<DrainReport & { engines: string }> {
  const dataDir = tempDir('exodus-bench-drain-');
  const queueUrl = engines.queueUrl ?? `sqlite:${dataDir}`;
  const storeUrl = engines.storeUrl ?? `sqlite:${dataDir}`;
  const engineArgs = ['--queue', queueUrl, '--store', storeUrl];
  let exodus: RunningSystem | undefined;
  let storage: StorageEngine | undefined;
  try {
    log(`drain on ${engines.name}: roster of ${scenario.evacuees} in ${dataDir}`);
    const requests = wishRequests(await generateRoster(dataDir, scenario.evacuees, engineArgs), 7);
    // Without the canary: "all stored" is the store's count of current wishes reaching the roster's
    // size, and a canary wish in that count would call it one wish early.
    exodus = await startSystem({
      dataDir,
      extraArgs: [...engineArgs, '--no-canary', ...(engines.upArgs ?? [])],
      ...(engines.env === undefined ? {} : { env: engines.env }),
    });
    storage = await openStorage(storeUrl, { poolSize: 2 });
    const services = servicePids(dataDir);
    const watched: Named[] = [{ name: GENERATOR, pid: process.pid }, ...services];
    log(
      `drain: ${scenario.evacuees} wishes over ${scenario.connections} connections, timeout ${scenario.timeoutMs / 1000} s`,
    );
    const [origin, store] = [exodus.url, storage]; // a closure forgets the narrowing of a `let`
    await engines.beforeLoad?.(services);
    const counts = async (): Promise<Counts> => {
      const [current, tally] = [await store.store.countCurrent(), await store.readModel.tally()];
      return { stored: current.mars + current.europa, tallied: tally.mars + tally.europa };
    };
    const [report, memory] = await watchingMemory(services, () =>
      measureDrain({ origin, requests, counts, watched, scenario }),
    );
    const restarted = restartedSince(services, dataDir);
    const messaging = await openMessaging(queueUrl, { maxAttempts: 5 });
    const queuesAtEnd: Record<string, QueueStats> = {};
    for (const name of Object.values(QUEUES)) queuesAtEnd[name] = await messaging.queue(name).stats();
    await messaging.close();
    log(
      `drain: all stored after ${report.allStoredMs ?? 'TIMEOUT'} ms, in the tally after ${report.allTalliedMs ?? 'TIMEOUT'} ms, last 202 after ${report.lastAcceptedMs} ms; ` +
        `RSS ${memory.idleMb} MB idle, ${memory.peakMb} MB peak${restarted.length > 0 ? `; restarted: ${restarted.join(', ')}` : ''}`,
    );
    return { ...report, memory, restarted, queuesAtEnd, engines: engines.name };
  } finally {
    await storage?.close();
    await exodus?.stop();
    await Promise.all([destroyNamespace(queueUrl), destroyNamespace(storeUrl)]).catch((error: unknown) =>
      log(`drain: cleanup failed: ${String(error)}`),
    );
    removeTempDir(dataDir);
  }
}

/** Wishes the system under test holds: stored (current), and counted in its read model (tally). */
export interface Counts {
  readonly stored: number;
  readonly tallied: number;
}

export interface DrainDrive {
  readonly origin: string;
  readonly requests: readonly LoadRequest[];
  /** Read straight from the system's store, never through its API. */
  readonly counts: () => Promise<Counts>;
  /** Processes whose CPU is measured; `GENERATOR` is the bench's own. */
  readonly watched: readonly Named[];
  readonly scenario: DrainScenario;
}

/** The drain itself, on any system that takes the POSTs and whose counts can be read (exodus, the peer). */
export async function measureDrain({
  origin,
  requests,
  counts,
  watched,
  scenario,
}: DrainDrive): Promise<Omit<DrainReport, 'queuesAtEnd' | 'restarted' | 'memory'>> {
  const total = requests.length;
  const pool = openPool(origin, scenario.connections);
  const latency = new LatencyRecorder();
  const failedAttempts: Record<string, number> = {};
  const attempts = new Map<LoadRequest, number>();
  const retries: LoadRequest[] = [];
  const timeline: [number, number, number, number][] = [];
  let nextIndex = 0;
  let inFlight = 0;
  let accepted = 0;
  let gaveUp = 0;
  let lastAcceptedAt = 0;
  let pollMsTotal = 0;
  let polls = 0;

  const start = performance.now();
  const deadline = start + scenario.timeoutMs;
  const ingestCpu = new CpuWindow(watched);

  const sender = async (): Promise<void> => {
    while (performance.now() < deadline) {
      const request = retries.shift() ?? requests[nextIndex++];
      if (request === undefined) {
        if (inFlight === 0) return;
        await sleep(5); // a request still in flight may fail and come back for a retry
        continue;
      }
      inFlight++;
      const sentAt = performance.now();
      const answer = await send(pool, request, { timeoutMs: REQUEST_TIMEOUT_MS });
      const outcome = { ok: answer.status === 202, key: answer.key };
      inFlight--;
      if (outcome.ok) {
        accepted++;
        lastAcceptedAt = performance.now();
        latency.record(lastAcceptedAt - sentAt);
        continue;
      }
      failedAttempts[outcome.key] = (failedAttempts[outcome.key] ?? 0) + 1;
      const tries = (attempts.get(request) ?? 1) + 1;
      attempts.set(request, tries);
      if (tries > scenario.maxAttempts) gaveUp++;
      else retries.push(request);
    }
  };

  // The poller naps long while POSTs go on; the last 202 wakes it so the end is timed finely.
  let wakePoller: (() => void) | undefined;
  const nap = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        wakePoller = undefined;
        resolve();
      }
      wakePoller = done;
    });

  // Polls until the store *and* the read model hold every wish, or the deadline.
  const poller = async (): Promise<{ allStoredMs: number | undefined; allTalliedMs: number | undefined }> => {
    let allStoredMs: number | undefined;
    let allTalliedMs: number | undefined;
    while (performance.now() < deadline) {
      const before = performance.now();
      const { stored, tallied } = await counts();
      const now = performance.now();
      pollMsTotal += now - before;
      polls++;
      const t = Math.round(now - start);
      timeline.push([t, accepted, stored, tallied]);
      if (allStoredMs === undefined && stored >= total) allStoredMs = t;
      if (allTalliedMs === undefined && tallied >= total) allTalliedMs = t;
      if (allStoredMs !== undefined && allTalliedMs !== undefined) break;
      await nap(accepted < total ? scenario.pollWhileIngestingMs : scenario.pollMs);
    }
    return { allStoredMs, allTalliedMs };
  };

  const polling = poller();
  await Promise.all(Array.from({ length: scenario.connections }, sender));
  const ingesting = ingestCpu.stop();
  wakePoller?.();
  await pool.close();
  const storedAtLastAccepted = (await counts()).stored;
  const backlogCpu = new CpuWindow(watched);
  const { allStoredMs, allTalliedMs } = await polling;
  const backlog = backlogCpu.stop();

  const lastAcceptedMs = Math.round(lastAcceptedAt - start);
  const perSec = (n: number, ms: number | undefined): number | undefined =>
    ms === undefined || ms <= 0 ? undefined : Math.round((n * 1000) / ms);
  return {
    evacuees: total,
    accepted,
    failedAttempts,
    gaveUp,
    lastAcceptedMs,
    allStoredMs,
    allTalliedMs,
    storedAtLastAccepted,
    ingestPerSec: perSec(accepted, lastAcceptedMs) ?? 0,
    drainPerSec: perSec(total, allStoredMs),
    backlogDrainPerSec:
      allStoredMs === undefined ? undefined : perSec(total - storedAtLastAccepted, allStoredMs - lastAcceptedMs),
    latency: latency.summary(),
    targetMs: scenario.targetMs,
    pass: allTalliedMs !== undefined && allTalliedMs <= scenario.targetMs,
    pollMeanMs: polls === 0 ? 0 : Math.round((pollMsTotal / polls) * 100) / 100,
    cpu: { ingesting, backlog },
    cpuUsPerWish: {
      system: cpuUsPer([ingesting, backlog], accepted, (name) => name !== GENERATOR),
      generator: cpuUsPer([ingesting, backlog], accepted, (name) => name === GENERATOR),
    },
    cpuUsPerWishByProcess: cpuUsPerByProcess([ingesting, backlog], accepted),
    timeline,
  };
}
