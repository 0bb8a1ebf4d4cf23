/**
 * The page's only way to build DOM. Children are appended as nodes, so strings become Text nodes and
 * are never parsed as HTML; the CSP's Trusted Types rule makes the browser refuse any other route.
 */
type Child = Node | string;

interface Props {
  readonly class?: string;
  /** Attributes from our own values only (ids, dates), never from user text. */
  readonly attrs?: Readonly<Record<string, string>>;
}

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, props: Props = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (props.class !== undefined) node.className = props.class;
  for (const [name, value] of Object.entries(props.attrs ?? {})) node.setAttribute(name, value);
  node.append(...children);
  return node;
}

/** The element with `id`, checked to be of the expected kind: a missing element fails loudly at start. */
export function byId<T extends HTMLElement>(id: string, kind: new () => T): T {
  const node = document.getElementById(id);
  if (!(node instanceof kind)) throw new Error(`page is missing #${id} (${kind.name})`);
  return node;
}

export function show(node: HTMLElement, visible: boolean): void {
  node.hidden = !visible;
}

const dateFormat = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' });
const timeFormat = new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', second: '2-digit' });

/** `2027-08-23` or an ISO instant → "23 Aug 2027" (UTC: arrival days are UTC days); anything else as given. */
export function formatDay(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : dateFormat.format(date);
}

export function formatTime(date: Date): string {
  return timeFormat.format(date);
}
