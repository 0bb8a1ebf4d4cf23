import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';

/**
 * When a watch on the queue's directory cannot be made (inotify's limit reached, a file system
 * without change events), a waiting receive looks again this often, in ms: polling, as a fallback.
 */
const FALLBACK_LOOK_MS = 250;

/**
 * Tells a waiting receive that its queue's file may hold something new: at once when this process
 * sent to it, and through the kernel's change events (inotify, by `fs.watch` on the directory) when
 * another process wrote to its write-ahead log — a frontend's send, another consumer's retry. A
 * change is only a reason to look: the receive reads the table to see what is deliverable.
 *
 * The directory is watched only while someone waits (a busy consumer never does), so a queue under
 * load pays nothing for the change events of its own commits.
 */
export class Arrivals {
  /** Bumped by every change: a receive compares it across its look to know it missed nothing. */
  #generation = 0;
  readonly #waiters = new Set<() => void>();
  #watcher: FSWatcher | undefined;
  #watching = 0;
  #watchFailed = false;
  readonly #dir: string;
  readonly #wal: string;

  /** `file`: the queue's database file; its log is `<file>-wal` beside it. */
  constructor(file: string) {
    this.#dir = dirname(file);
    this.#wal = `${basename(file)}-wal`;
  }

  get generation(): number {
    return this.#generation;
  }

  /** A send from this process committed. */
  changed(): void {
    this.#generation++;
    for (const wake of this.#waiters) wake();
  }

  /** Starts watching for other processes' writes (counted: the last `unwatch` stops it). */
  watch(): void {
    this.#watching++;
    if (this.#watcher !== undefined || this.#watchFailed) return;
    try {
      this.#watcher = watch(this.#dir, { persistent: false }, (_event, name) => {
        if (name === this.#wal) this.changed();
      });
      // Waiters then fall back to looking every FALLBACK_LOOK_MS: woken now, they wait again that way.
      this.#watcher.on('error', () => {
        this.#stopWatching(true);
        this.changed();
      });
    } catch {
      this.#watchFailed = true;
    }
  }

  unwatch(): void {
    this.#watching = Math.max(0, this.#watching - 1);
    if (this.#watching === 0) this.#stopWatching(false);
  }

  /**
   * Resolves on the next change, after `ms`, or when `signal` aborts, whichever comes first. Without
   * a working watch, after at most `FALLBACK_LOOK_MS`.
   */
  next(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted === true) return Promise.resolve();
    const waitMs = this.#watcher === undefined ? Math.min(ms, FALLBACK_LOOK_MS) : ms;
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.#waiters.delete(done);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, waitMs));
      this.#waiters.add(done);
      signal?.addEventListener('abort', done, { once: true });
    });
  }

  #stopWatching(failed: boolean): void {
    this.#watcher?.close();
    this.#watcher = undefined;
    if (failed) this.#watchFailed = true;
  }
}
