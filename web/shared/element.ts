/**
 * The only way the public page and the console build DOM. Children are appended as nodes, so strings
 * become Text nodes and are never parsed as HTML; the CSP's Trusted Types rule (no policy) makes the
 * browser refuse any other route. Much of what both show is attacker-controlled text.
 */
export type Child = Node | string | null | undefined | false;

export interface Props {
  readonly class?: string;
  /** Attributes; values may be data (an id, a title) since setAttribute never parses markup. */
  readonly attrs?: Readonly<Record<string, string>>;
  readonly on?: { readonly [K in keyof HTMLElementEventMap]?: (event: HTMLElementEventMap[K]) => void };
}

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Props = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (props.class !== undefined && props.class !== '') node.className = props.class;
  for (const [name, value] of Object.entries(props.attrs ?? {})) node.setAttribute(name, value);
  for (const [type, listener] of Object.entries(props.on ?? {})) node.addEventListener(type, listener as EventListener);
  for (const child of children) if (child !== null && child !== undefined && child !== false) node.append(child);
  return node;
}

/** An element the page's HTML must hold, checked to be of the expected kind: a missing one fails loudly at start. */
export function byId<T extends HTMLElement>(id: string, kind: new () => T): T {
  const node = document.getElementById(id);
  if (!(node instanceof kind)) throw new Error(`page is missing #${id} (${kind.name})`);
  return node;
}
