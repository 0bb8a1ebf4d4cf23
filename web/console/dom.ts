/**
 * The console's only way to build DOM. Children are appended as nodes, so strings become Text nodes and
 * are never parsed as HTML; the CSP's Trusted Types rule (no policy) makes the browser refuse any other
 * route. Much of what this page shows (log lines, span attributes, event details) is attacker-controlled.
 */
export type Child = Node | string | null | undefined | false;

export interface Props {
  readonly class?: string;
  /** Attributes; values may be data (an id, a title) since setAttribute never parses markup. */
  readonly attrs?: Readonly<Record<string, string>>;
  readonly on?: { readonly [K in keyof HTMLElementEventMap]?: (event: HTMLElementEventMap[K]) => void };
}

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, props: Props = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (props.class !== undefined && props.class !== '') node.className = props.class;
  for (const [name, value] of Object.entries(props.attrs ?? {})) node.setAttribute(name, value);
  for (const [type, listener] of Object.entries(props.on ?? {})) node.addEventListener(type, listener as EventListener);
  for (const child of children) if (child !== null && child !== undefined && child !== false) node.append(child);
  return node;
}

/** An element the page's HTML must hold: a missing one fails loudly at start. */
export function byId<T extends HTMLElement>(id: string, kind: new () => T): T {
  const node = document.getElementById(id);
  if (!(node instanceof kind)) throw new Error(`page is missing #${id} (${kind.name})`);
  return node;
}

/**
 * Replaces `parent`'s children, keeping the keyboard where it was: the focused element's
 * `data-focus-key` is looked up in the new children and focused again. A refresh every 2 s must not
 * throw a keyboard user back to the top of the page.
 */
export function replaceKeepingFocus(parent: Element, ...children: Node[]): void {
  const focused = document.activeElement;
  const key = focused instanceof HTMLElement && parent.contains(focused) ? focused.dataset['focusKey'] : undefined;
  parent.replaceChildren(...children);
  if (key === undefined) return;
  const candidates = parent.querySelectorAll<HTMLElement>('[data-focus-key]');
  const again = [...candidates].find((node) => node.dataset['focusKey'] === key);
  again?.focus({ preventScroll: true });
}

/** A link to a console route; `key` lets `replaceKeepingFocus` find it again after a refresh. */
export interface LinkProps {
  readonly class?: string;
  /** `data-focus-key`, see `replaceKeepingFocus`. */
  readonly key?: string;
  /** `aria-label`, when the visible text is short (`±3 s`, `trace 4bf92f35`). */
  readonly label?: string;
}

export function link(href: string, content: Child | readonly Child[], props: LinkProps = {}): HTMLAnchorElement {
  const attrs: Record<string, string> = { href };
  if (props.key !== undefined) attrs['data-focus-key'] = props.key;
  if (props.label !== undefined) attrs['aria-label'] = props.label;
  return h('a', { class: props.class ?? '', attrs }, ...(Array.isArray(content) ? (content as readonly Child[]) : [content as Child]));
}

/** A titled part of a view: a section labelled by its h3 (`id` names the heading). */
export function block(id: string, title: string, ...children: Child[]): HTMLElement {
  return h('section', { class: 'block', attrs: { 'aria-labelledby': id } }, h('h3', { attrs: { id } }, title), ...children);
}
