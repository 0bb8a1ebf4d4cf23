import { DESTINATION_NAMES, type Destination, type WallItem } from '../../src/domain/browser.js';
import { getJson, type WallPage } from './api.js';
import { byId, formatDay, formatTime, h, show } from './dom.js';
import { every, isBackPressure, type Pause } from './pause.js';

const PAGE_SIZE = 20;
/** The first page follows new wishes by itself; older pages hold still while you read them. */
const REFRESH_MS = 5000;

type Filter = Destination | 'all';

/** Which page of the wall is showing: the filter, and the cursors that lead to it. */
interface Position {
  readonly filter: Filter;
  /** Cursors of the pages before this one; empty on the first page. */
  readonly behind: readonly (string | null)[];
  readonly cursor: string | null;
}

/**
 * The public wall: current wishes newest first, filtered by destination, paged by cursor. Returns a
 * function that refreshes it now (when on the first page). Only the latest request may draw: a slow
 * refresh cannot paint over the page or filter chosen since.
 */
export function startWall(pause: Pause): () => void {
  const list = byId('wall-list', HTMLOListElement);
  const empty = byId('wall-empty', HTMLParagraphElement);
  const updated = byId('wall-updated', HTMLParagraphElement);
  const newer = byId('wall-newer', HTMLButtonElement);
  const older = byId('wall-older', HTMLButtonElement);
  const title = byId('wall-title', HTMLHeadingElement);
  let shown: Position = { filter: 'all', behind: [], cursor: null };
  let next: string | null = null;
  let latest = 0;

  /** Loads `position` and draws it, unless a newer request started meanwhile. */
  const draw = async (position: Position): Promise<void> => {
    const ticket = ++latest;
    const query = new URLSearchParams({ limit: String(PAGE_SIZE) });
    if (position.filter !== 'all') query.set('destination', position.filter);
    if (position.cursor !== null) query.set('cursor', position.cursor);
    const page = await getJson<WallPage>(`/api/wall?${query.toString()}`);
    if (ticket !== latest) return;
    shown = position;
    next = page.next;
    list.replaceChildren(...page.items.map(renderWish));
    show(empty, page.items.length === 0);
    for (const [button, disabled] of [
      [older, next === null],
      [newer, position.behind.length === 0],
    ] as const) {
      // A button that goes away under the keyboard's focus hands it to the wall's heading.
      if (disabled && document.activeElement === button) title.focus();
      button.disabled = disabled;
    }
    updated.textContent = `Updated ${formatTime(new Date())}${position.behind.length === 0 ? ', refreshes by itself' : ''}`;
  };
  const go = (position: Position): void =>
    void draw(position).catch((error: unknown) => {
      if (isBackPressure(error)) pause.begin(error, false);
    });

  const refresh = every(REFRESH_MS, pause, async () => {
    if (shown.behind.length === 0) await draw(shown);
  });
  for (const radio of document.querySelectorAll<HTMLInputElement>('input[name="wall-filter"]')) {
    radio.addEventListener('change', () => go({ filter: radio.value as Filter, behind: [], cursor: null }));
  }
  older.addEventListener('click', () => {
    if (next !== null) go({ filter: shown.filter, behind: [...shown.behind, shown.cursor], cursor: next });
  });
  newer.addEventListener('click', () => {
    if (shown.behind.length > 0)
      go({ filter: shown.filter, behind: shown.behind.slice(0, -1), cursor: shown.behind.at(-1) ?? null });
  });
  return refresh;
}

function renderWish(item: WallItem): HTMLLIElement {
  return h(
    'li',
    { class: `wish ${item.destination}`, attrs: { 'data-id': item.id } },
    // Each evacuee's words sit in an element of their own with dir="auto": right-to-left text reads
    // right, and a bidi isolate left open ends with the wish instead of reordering the page around it.
    ...(item.to === undefined ? [] : [h('p', { class: 'wish-to' }, 'To ', h('bdi', {}, item.to))]),
    h('p', { class: 'wish-message', attrs: { dir: 'auto' } }, item.message),
    h(
      'p',
      { class: 'wish-meta' },
      `${item.evacueeId} · bound for ${DESTINATION_NAMES[item.destination] ?? item.destination} · arrives `,
      h('time', { attrs: { datetime: item.arrivalDate } }, formatDay(item.arrivalDate)),
    ),
  );
}
