import { ApiError } from './api.js';
import { byId } from './dom.js';

/**
 * The header's two lines: when the view last refreshed (quiet: it changes every 2 s, so it is not
 * read aloud) and whether refreshing fails (polite live region: said once when it starts failing,
 * once when it recovers, and again only if the reason changes).
 */
export class Status {
  readonly #updated = byId('updated', HTMLParagraphElement);
  readonly #live = byId('status', HTMLParagraphElement);
  #failing = false;

  refreshed(what: string): void {
    this.#updated.textContent = `${what} updated ${new Date().toISOString().slice(11, 19)} UTC`;
    if (this.#failing) {
      this.#failing = false;
      this.#say('Connected again.', false);
    }
  }

  failed(what: string, error: unknown, live: boolean): void {
    const reason = error instanceof ApiError ? error.message : 'something went wrong';
    this.#failing = true;
    this.#say(`Could not load ${what}: ${reason}.${live ? ' Retrying every 2 s.' : ''}`, true);
  }

  /** A new view: its predecessor's news is no longer news. */
  clear(): void {
    this.#failing = false;
    this.#updated.textContent = '';
    this.#say('', false);
  }

  #say(text: string, failing: boolean): void {
    this.#live.classList.toggle('failing', failing);
    // Rewriting the same words would make some screen readers repeat them every 2 s.
    if (this.#live.textContent !== text) this.#live.textContent = text;
  }
}
