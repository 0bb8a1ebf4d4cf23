/**
 * Occurrences gathered by key and written as one summary per key per interval, instead of one log
 * line each: under a flood (refusals at the door, injection attempts in the parser) the log grows
 * by a few lines a second, not by one per request. Counters still count every occurrence; this
 * only decides what the log says and when.
 *
 * The first occurrence of a key starts the interval's clock; at its end (or on `flush`) `write` is
 * called once for each key with the summary its occurrences built, and the next occurrence starts
 * a new interval. The timer is unref'd: it never keeps a process alive; a service's shutdown
 * writes what is still gathered (`flushIntervalLogs`), so a clean stop loses no summary.
 */
/** Every interval log of this process, so a shutdown can write what each still holds. */
const LIVE = new Set<{ flush(): void }>();

/** Writes the summaries every interval log of this process still holds: a service's last step before its telemetry closes. */
export function flushIntervalLogs(): void {
  for (const log of LIVE) log.flush();
}

export class IntervalLog<Summary> {
  readonly #pending = new Map<string, Summary>();
  #timer: NodeJS.Timeout | undefined;

  constructor(
    /** How long occurrences are gathered before their summaries are written, in ms. */
    readonly intervalMs: number,
    private readonly write: (summary: Summary) => void,
  ) {
    LIVE.add(this);
  }

  /**
   * The summary that an occurrence of `key` adds to (the caller updates it): the one already
   * gathered in this interval, or a new one from `start`, then `first` is true.
   */
  gather(key: string, start: () => Summary): { summary: Summary; first: boolean } {
    const pending = this.#pending.get(key);
    if (pending !== undefined) return { summary: pending, first: false };
    const summary = start();
    this.#pending.set(key, summary);
    this.#timer ??= setTimeout(() => this.flush(), this.intervalMs).unref();
    return { summary, first: true };
  }

  /** Writes every summary gathered so far and starts afresh (also for a clean shutdown). */
  flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const summaries = [...this.#pending.values()];
    this.#pending.clear();
    for (const summary of summaries) this.write(summary);
  }
}
