import type { Status } from '../status.js';

/** One screen of the console, created when the route enters it and stopped when it leaves. */
export interface View {
  readonly root: HTMLElement;
  /** Shows the route's parameters: on entering, and whenever the hash changes within the view. */
  show(params: URLSearchParams): void;
  /** Stops refreshing and drops what it holds (timers, charts, requests in flight). */
  stop(): void;
}

export interface ViewContext {
  readonly status: Status;
}
