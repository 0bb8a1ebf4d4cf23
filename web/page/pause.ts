import { ApiError } from './api.js';
import { byId, show } from './dom.js';

/** Statuses that mean "the service asks you to wait", answered with Retry-After. */
export function isBackPressure(error: unknown): error is ApiError {
  return error instanceof ApiError && (error.status === 429 || error.status === 503);
}

const DEFAULT_WAIT_SECONDS = 5;
/** Up to this share is added at random to Retry-After, so 65,000 pages do not all return in the same second. */
const JITTER = 0.3;

/**
 * The "sorry" state: the service shed load (503) or rate-limited us (429). One pause for the whole
 * page: the banner counts down the server's Retry-After, the form's button waits, polls skip.
 */
export class Pause {
  #until = 0;
  #timer: ReturnType<typeof setInterval> | undefined;
  readonly #listeners: Array<(active: boolean) => void> = [];
  readonly #banner = byId('sorry', HTMLDivElement);
  readonly #title = byId('sorry-title', HTMLParagraphElement);
  readonly #detail = byId('sorry-detail', HTMLParagraphElement);
  readonly #countdown = byId('sorry-countdown', HTMLParagraphElement);

  get active(): boolean {
    return Date.now() < this.#until;
  }

  /** Runs `listener(true)` when a pause begins and `listener(false)` when it ends. */
  onChange(listener: (active: boolean) => void): void {
    this.#listeners.push(listener);
  }

  begin(error: ApiError, whileSubmitting: boolean): void {
    const seconds = (error.retryAfterSeconds ?? DEFAULT_WAIT_SECONDS) * (1 + Math.random() * JITTER);
    this.#until = Math.max(this.#until, Date.now() + Math.max(1, seconds) * 1000);
    // The deadline, for anything that needs more than the countdown's whole seconds (tests do).
    this.#banner.dataset['until'] = String(this.#until);
    if (error.status === 429) {
      this.#title.textContent = 'You are going a little fast.';
      this.#detail.textContent =
        'Exodus limits how often one person or one address can send, so that everyone gets a turn.';
    } else {
      this.#title.textContent = 'Everyone is boarding at once.';
      this.#detail.textContent = 'Exodus is turning requests away for a moment rather than risk losing a wish.';
    }
    if (whileSubmitting) this.#detail.textContent += ' Your wish was not sent yet; it is still in the form.';
    show(this.#banner, true);
    this.#tick();
    if (this.#timer === undefined) {
      this.#timer = setInterval(() => this.#tick(), 1000);
      for (const listener of this.#listeners) listener(true);
    }
  }

  #tick(): void {
    const left = Math.ceil((this.#until - Date.now()) / 1000);
    if (left > 0) {
      this.#countdown.textContent = `You can try again in ${left} s.`;
      return;
    }
    clearInterval(this.#timer);
    this.#timer = undefined;
    show(this.#banner, false);
    for (const listener of this.#listeners) listener(false);
  }
}

/**
 * Runs `task` now and then every `intervalMs` (or as long as it says each time), one run at a time,
 * skipping while the tab is hidden or the service asks us to wait. Returns a function that runs it
 * again at once (e.g. after something changed).
 */
export function every(intervalMs: number | (() => number), pause: Pause, task: () => Promise<void>): () => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let running = false;
  let again = false;
  const run = async (): Promise<void> => {
    if (running) {
      again = true;
      return;
    }
    running = true;
    clearTimeout(timer);
    try {
      if (!pause.active && !document.hidden) await task();
    } catch (error) {
      if (isBackPressure(error)) pause.begin(error, false);
      // Anything else: keep showing what we had; the next round may do better.
    } finally {
      running = false;
    }
    if (again) {
      again = false;
      void run();
      return;
    }
    timer = setTimeout(() => void run(), typeof intervalMs === 'number' ? intervalMs : intervalMs());
  };
  document.addEventListener('visibilitychange', () => {
    if (!document.hidden) void run();
  });
  pause.onChange((active) => {
    if (!active) void run();
  });
  void run();
  return () => void run();
}
