import { DESTINATION_NAMES, type Destination, type WishStatus } from '../../src/domain/browser.js';
import { getJson, type WishState } from './api.js';
import { byId, formatDay, h, show } from './dom.js';
import { every, isBackPressure, type Pause } from './pause.js';

/** What this tab remembers of a wish it sent (sessionStorage: gone with the tab, like the pass). */
interface Tracked {
  readonly id: string;
  readonly destination: Destination;
  /** When this tab sent it (ms since epoch): recent wishes are looked at more often. */
  readonly sentAt: number;
  status: WishStatus;
  reason?: string;
  arrivalDate?: string;
}

const STORAGE_KEY = 'exodus.my-wishes';
/** Look often while a wish is fresh (screening takes well under a second), then rarely. */
const FRESH_REFRESH_MS = 1500;
const FRESH_FOR_MS = 60_000;
const STALE_REFRESH_MS = 15_000;
const LABELS: Readonly<Record<WishStatus, string>> = {
  pending: 'Pending: on its way through screening',
  stored: 'Stored: this is your wish on the wall',
  rejected: 'Rejected',
  superseded: 'Superseded by a newer wish of yours',
};

/**
 * The wishes this tab sent and where each one is: pending → stored or rejected (with the reason);
 * a stored one turns superseded once a newer one is stored. Polls until nothing can change any more.
 */
export class MyWishes {
  readonly #section = byId('mine', HTMLElement);
  readonly #list = byId('mine-list', HTMLOListElement);
  readonly #wishes: Tracked[] = load();
  readonly #refresh: () => void;

  /** `onStored` runs when one of these wishes reaches the wall (e.g. to refresh the wall at once). */
  constructor(
    pause: Pause,
    private readonly onStored: () => void,
  ) {
    this.#render();
    this.#refresh = every(
      () =>
        this.#wishes.some((w) => Date.now() - (w.sentAt ?? 0) < FRESH_FOR_MS) ? FRESH_REFRESH_MS : STALE_REFRESH_MS,
      pause,
      () => this.#poll(),
    );
  }

  add(id: string, destination: Destination): void {
    if (this.#wishes.some((w) => w.id === id)) return; // an idempotent replay of one already listed
    this.#wishes.unshift({ id, destination, sentAt: Date.now(), status: 'pending' });
    this.#save();
    this.#render();
    this.#refresh();
  }

  async #poll(): Promise<void> {
    // A stored wish can still be superseded, but only once a newer one is stored: until then,
    // asking about it again tells us nothing.
    const newestStored = this.#wishes.findIndex((w) => w.status === 'stored');
    const open = this.#wishes.filter(
      (w, i) => w.status === 'pending' || (w.status === 'stored' && newestStored !== -1 && i > newestStored),
    );
    if (open.length === 0) return;
    // One failed look must not hold back the others; a 429/503 among them pauses everything.
    const answers = await Promise.allSettled(
      open.map((w) => getJson<WishState>(`/api/wishes/${encodeURIComponent(w.id)}`)),
    );
    const refused = answers.find(
      (a): a is PromiseRejectedResult => a.status === 'rejected' && isBackPressure(a.reason),
    );
    if (refused !== undefined) throw refused.reason;
    const states = answers.flatMap((a) => (a.status === 'fulfilled' ? [a.value] : []));
    let changed = false;
    for (const state of states) {
      const wish = this.#wishes.find((w) => w.id === state.id);
      if (wish === undefined || wish.status === state.status) continue;
      wish.status = state.status;
      if (state.status === 'stored') this.onStored();
      if (state.reason !== undefined) wish.reason = state.reason;
      if (state.arrivalDate !== undefined) wish.arrivalDate = state.arrivalDate;
      changed = true;
    }
    if (changed) {
      this.#save();
      this.#render();
      // A newly stored wish may have superseded an older one: look again at once.
      this.#refresh();
    }
  }

  #render(): void {
    show(this.#section, this.#wishes.length > 0);
    this.#list.replaceChildren(...this.#wishes.map(renderTracked));
  }

  #save(): void {
    sessionStorage.setItem(STORAGE_KEY, JSON.stringify(this.#wishes));
  }
}

function renderTracked(wish: Tracked): HTMLLIElement {
  return h(
    'li',
    { class: 'mine-item', attrs: { 'data-id': wish.id, 'data-status': wish.status } },
    h('p', {}, h('span', { class: `badge ${wish.status}` }, wish.status), ' ', LABELS[wish.status]),
    ...(wish.reason === undefined ? [] : [h('p', { class: 'field-error' }, 'Why: ', wish.reason)]),
    h(
      'p',
      { class: 'hint' },
      `Bound for ${DESTINATION_NAMES[wish.destination]}`,
      ...(wish.arrivalDate === undefined ? [] : [` · arrives ${formatDay(wish.arrivalDate)}`]),
      ' · id ',
      h('span', { class: 'mono' }, wish.id),
    ),
  );
}

function load(): Tracked[] {
  try {
    const saved: unknown = JSON.parse(sessionStorage.getItem(STORAGE_KEY) ?? '[]');
    return Array.isArray(saved) ? (saved as Tracked[]) : [];
  } catch {
    return [];
  }
}
