import { setTimeout as sleep } from 'node:timers/promises';
import { CANARY_EVACUEE_ID, isNewer, issuePass } from '../domain/index.js';
import { reportCanaryRun, type CanaryRun, type Logger, type Secret } from '../runtime/index.js';

/**
 * The synthetic canary: every few seconds, a wish handed in through the public API as the reserved
 * canary evacuee (domain/canary.ts), with a boarding pass like anyone's, timed from the outside to
 * its 202, to `stored` (its status, `GET /api/wishes/{id}`) and onto the read model (`GET
 * /api/canary`, where the tally notes the canary's wishes instead of putting them on the wall). So it
 * proves, even while no one else sends a wish, that one handed in now goes through every hop.
 */

/**
 * A run gives up when its wish is not stored and on the read model this long after its POST: the
 * freshness objective's bound (slo/wish-freshness.yaml: on the wall within 10 s), so a run the
 * canary calls failed is one the SLO counts bad.
 */
export const CANARY_DEADLINE_MS = 10_000;
/** How often a run asks again while it waits for its wish: its timings are this fine. */
export const CANARY_POLL_MS = 100;
/** How long past the bound a read that began just before it may take to answer, in ms. */
const LAST_LOOK_MS = 1000;
/** Its passes are minted per run and short-lived: nothing long-lived to leak. */
const PASS_VALIDITY_MS = 3_600_000;

export interface CanaryRunOptions {
  /** The frontend, as a user reaches it: `http://127.0.0.1:3000`. */
  readonly url: string;
  /** A boarding pass of the canary evacuee. */
  readonly pass: string;
  readonly deadlineMs?: number;
  readonly pollMs?: number;
  /** Aborts the run (a stop): what it was waiting for is abandoned. */
  readonly signal?: AbortSignal;
  /** Injected by tests: the HTTP client, a monotonic clock in ms, and the wait between polls. */
  readonly fetch?: typeof fetch;
  readonly now?: () => number;
  readonly sleep?: (ms: number, signal: AbortSignal | undefined) => Promise<void>;
}

/** One run: hands in a wish and follows it until it is stored and on the read model, or the deadline passes. */
export async function canaryRun(options: CanaryRunOptions): Promise<CanaryRun> {
  const http = options.fetch ?? fetch;
  const now = options.now ?? (() => performance.now());
  const wait = options.sleep ?? ((ms: number, signal: AbortSignal | undefined) => sleep(ms, undefined, { signal }));
  const deadlineMs = options.deadlineMs ?? CANARY_DEADLINE_MS;
  const at = new Date().toISOString();
  const start = now();
  const elapsed = (): number => now() - start;
  const seen: { acceptedMs?: number; storedMs?: number; wallMs?: number; wishId?: string } = {};
  const failed = (error: string): CanaryRun => ({ at, ok: false, ...seen, tookMs: elapsed(), error });
  /** Ends a request at `ms` from now, or when the run is stopped. */
  const within = (ms: number): AbortSignal => {
    const timeout = AbortSignal.timeout(Math.max(0, Math.ceil(ms)));
    return options.signal === undefined ? timeout : AbortSignal.any([options.signal, timeout]);
  };

  // As a well-behaved client: a 429 or 503 with Retry-After (the door turning people away for now,
  // which the availability SLO counts good) is sent again after it, within the bound; any other answer is final.
  let accepted: { id: string; submittedAt: string } | undefined;
  let refusals = 0;
  while (accepted === undefined) {
    try {
      const response = await http(`${options.url}/api/wishes`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${options.pass}` },
        body: JSON.stringify({ destination: 'mars', message: `synthetic canary, handed in at ${at}` }),
        signal: within(deadlineMs - elapsed()),
      });
      if (response.status === 202) {
        accepted = (await response.json()) as { id: string; submittedAt: string };
        break;
      }
      const line = await statusLine(response);
      const retryAfterMs = Number(response.headers.get('retry-after') ?? Number.NaN) * 1000;
      const comeBack = (response.status === 429 || response.status === 503) && Number.isFinite(retryAfterMs);
      if (!comeBack || elapsed() + retryAfterMs > deadlineMs)
        return failed(
          `not accepted: POST /api/wishes answered ${line}${refusals > 0 ? ` (turned away ${refusals + 1} times)` : ''}`,
        );
      refusals++;
      await wait(retryAfterMs, options.signal);
    } catch (error) {
      if (options.signal?.aborted === true) throw error;
      return failed(`not accepted: POST /api/wishes ${reasonOf(error, `within ${deadlineMs / 1000} s`)}`);
    }
  }
  seen.acceptedMs = elapsed();
  seen.wishId = accepted.id;

  // Stored and on the read model are two branches after the topic (worker, tally): followed together.
  let lastTrouble: string | undefined;
  const ask = async <T>(path: string): Promise<T | undefined> => {
    try {
      // The last look may start at the bound itself: it gets a moment past it to answer.
      const response = await http(`${options.url}${path}`, { signal: within(deadlineMs - elapsed() + LAST_LOOK_MS) });
      if (response.status === 200) return (await response.json()) as T;
      lastTrouble = `GET ${path} answered ${await statusLine(response)}`;
    } catch (error) {
      if (options.signal?.aborted === true) throw error;
      lastTrouble = `GET ${path} ${reasonOf(error, 'in time')}`;
    }
    return undefined;
  };
  for (;;) {
    const [status, canary] = await Promise.all([
      seen.storedMs === undefined ? ask<{ status: string; reason?: string }>(`/api/wishes/${accepted.id}`) : undefined,
      seen.wallMs === undefined ? ask<{ last: { id: string; submittedAt: string } | null }>('/api/canary') : undefined,
    ]);
    if (status?.status === 'rejected') return failed(`rejected by the parser: ${status.reason ?? 'no reason given'}`);
    // Superseded: the store took it, and a newer canary wish since (another canary on the same store).
    if (status?.status === 'stored' || status?.status === 'superseded') seen.storedMs = elapsed();
    const last = canary?.last ?? undefined;
    if (last !== undefined && (last.id === accepted.id || isNewer(last, accepted))) seen.wallMs = elapsed();
    // Both seen within the bound: ok, and the run took until the later of the two.
    const lastSeenMs = Math.max(seen.storedMs ?? Infinity, seen.wallMs ?? Infinity);
    if (lastSeenMs <= deadlineMs) return { at, ok: true, ...seen, tookMs: lastSeenMs };
    // Past the bound, strictly, with a stage unseen or seen too late: failed. So a failed run took
    // longer than the bound, and the SLO's `le` bucket never counts it good.
    if (Number.isFinite(lastSeenMs) || elapsed() > deadlineMs) {
      const late = (
        [
          ['stored', seen.storedMs],
          ['on the read model', seen.wallMs],
        ] as const
      )
        .filter(([, ms]) => ms === undefined || ms > deadlineMs)
        .map(([stage]) => stage);
      return failed(
        `${late.length > 1 ? 'neither ' : 'not '}${late.join(' nor ')} within ${deadlineMs / 1000} s of its POST${lastTrouble === undefined ? '' : ` (last: ${lastTrouble})`}`,
      );
    }
    await wait(Math.min(options.pollMs ?? CANARY_POLL_MS, Math.max(0, deadlineMs - elapsed())), options.signal);
  }
}

export interface CanaryOptions {
  readonly url: string;
  /** The deployment's boarding-pass secret: the canary mints its own passes, as a roster would. */
  readonly passSecret: Secret;
  /** From the start of one run to the start of the next (a slow run delays the next, never overlaps it). */
  readonly intervalMs: number;
  readonly logger: Logger;
  /** Called after each run is reported (tests). */
  readonly onRun?: (run: CanaryRun) => void;
}

export interface RunningCanary {
  /** Abandons the run in flight (it is not reported) and stops; resolves once it has. */
  stop(): Promise<void>;
}

/** Runs the canary every `intervalMs` until stopped, reporting each run (runtime/canary-telemetry.ts). */
export function startCanary(options: CanaryOptions): RunningCanary {
  const stopped = new AbortController();
  const loop = (async () => {
    // The first run waits one interval: a system just started may still shed its first requests.
    await sleep(options.intervalMs, undefined, { signal: stopped.signal }).catch(() => undefined);
    while (!stopped.signal.aborted) {
      const began = performance.now();
      const pass = issuePass(options.passSecret.reveal(), CANARY_EVACUEE_ID, new Date(Date.now() + PASS_VALIDITY_MS));
      try {
        const run = await canaryRun({ url: options.url, pass, signal: stopped.signal });
        reportCanaryRun(options.logger, run);
        options.onRun?.(run);
        await sleep(Math.max(0, options.intervalMs - (performance.now() - began)), undefined, {
          signal: stopped.signal,
        });
      } catch (error) {
        if (stopped.signal.aborted) return;
        // A bug, not an outage (those are failed runs): told once, and the canary goes on.
        options.logger.error({ err: error }, 'the canary could not run');
        await sleep(options.intervalMs, undefined, { signal: stopped.signal }).catch(() => undefined);
      }
    }
  })();
  return {
    stop: async () => {
      stopped.abort();
      await loop;
    },
  };
}

/** `503 (the wish could not be queued durably; please retry)`: the status and the problem's detail, if any. */
async function statusLine(response: Response): Promise<string> {
  const text = await response.text().catch(() => '');
  try {
    const detail = (JSON.parse(text) as { detail?: unknown }).detail;
    if (typeof detail === 'string') return `${response.status} (${detail})`;
  } catch {
    // not problem+json
  }
  return String(response.status);
}

function reasonOf(error: unknown, when: string): string {
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError'))
    return `had no answer ${when}`;
  const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : '';
  return `failed: ${error instanceof Error ? error.message : String(error)}${cause}`;
}
