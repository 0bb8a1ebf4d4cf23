/** Building DOM: see web/shared/element.ts (shared with the public page). */
import { h, type Child } from '../shared/element.js';

export { byId, h, type Child, type Props } from '../shared/element.js';

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
  return h(
    'a',
    { class: props.class ?? '', attrs },
    ...(Array.isArray(content) ? (content as readonly Child[]) : [content as Child]),
  );
}

/** A titled part of a view: a section labelled by its h3 (`id` names the heading). */
export function block(id: string, title: string, ...children: Child[]): HTMLElement {
  return h(
    'section',
    { class: 'block', attrs: { 'aria-labelledby': id } },
    h('h3', { attrs: { id } }, title),
    ...children,
  );
}
