import { h, type Child } from './dom.js';

/**
 * Multi-line text (a stack trace, a multi-line message) folded to its first line, the rest one click
 * away: a log of errors stays one row per line. `opened` remembers which folds the reader opened, by
 * `key`, so a live view's refresh every 2 s does not close them again.
 */
export function folded(text: string, key: string, opened: Set<string>, label?: string): Child {
  const newline = text.indexOf('\n');
  if (newline < 0) return label === undefined ? text : `${label}=${text}`;
  const rest = text.slice(newline + 1);
  const lines = rest.split('\n').length;
  const details = h(
    'details',
    { class: 'fold' },
    h(
      'summary',
      { attrs: { 'data-focus-key': `fold:${key}` } },
      label === undefined ? '' : `${label}: `,
      text.slice(0, newline),
      h('span', { class: 'fold-count' }, ` (+${lines} line${lines === 1 ? '' : 's'})`),
    ),
    h('pre', {}, rest),
  );
  details.open = opened.has(key);
  details.addEventListener('toggle', () => {
    if (details.open) opened.add(key);
    else opened.delete(key);
  });
  return details;
}
