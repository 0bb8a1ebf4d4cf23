/** How often a live view asks again. */
export const REFRESH_MS = 2000;

export interface Poller {
  /** Runs the task again now (after the one in flight, if any). */
  now(): void;
  /** Stops for good: aborts the request in flight, forgets the timer and the visibility listener. */
  stop(): void;
}

export interface PollOptions {
  /** Milliseconds between the end of one run and the start of the next; null: run once (and on `now()`). */
  readonly intervalMs: number | null;
  /** One refresh; `signal` aborts when the poller stops, so a late answer never draws over a newer view. */
  readonly task: (signal: AbortSignal) => Promise<void>;
  readonly onError: (error: unknown) => void;
}

/**
 * Runs a view's refresh now and then every `intervalMs`, one run at a time: the next waits for the
 * previous to finish, so a slow server never sees requests pile up. While the tab is hidden nothing
 * runs; when it shows again a run starts at once.
 */
export function poll({ intervalMs, task, onError }: PollOptions): Poller {
  const controller = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let running = false;
  let again = false;
  /** A run was wanted while the tab was hidden: it happens when the tab shows again. */
  let due = false;

  const run = async (): Promise<void> => {
    if (controller.signal.aborted) return;
    if (running) {
      again = true;
      return;
    }
    clearTimeout(timer);
    timer = undefined;
    if (document.hidden) {
      due = true;
      return;
    }
    due = false;
    running = true;
    try {
      await task(controller.signal);
    } catch (error) {
      if (!controller.signal.aborted) onError(error);
    } finally {
      running = false;
    }
    if (controller.signal.aborted) return;
    if (again) {
      again = false;
      void run();
    } else if (intervalMs !== null) {
      if (document.hidden) due = true;
      else timer = setTimeout(() => void run(), intervalMs);
    }
  };
  const onVisibility = (): void => {
    if (document.hidden) {
      if (timer !== undefined) due = true;
      clearTimeout(timer);
      timer = undefined;
    } else if (due) {
      void run();
    }
  };

  document.addEventListener('visibilitychange', onVisibility);
  void run();
  return {
    now: () => void run(),
    stop: () => {
      controller.abort();
      clearTimeout(timer);
      document.removeEventListener('visibilitychange', onVisibility);
    },
  };
}
