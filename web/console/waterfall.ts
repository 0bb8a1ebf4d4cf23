import type { SpanView, TraceView } from '../../src/services/console/api-shapes.js';
import { h } from './dom.js';
import { duration, shortId } from './format.js';
import { serviceLink } from './service-link.js';
import { layoutWaterfall, type WaterfallRow } from './waterfall-layout.js';

/**
 * The waterfall: a table, one row per span, nested by parent and placed on a time axis shared by all
 * the traces shown. Each span's name is a button (Enter or click shows its details); ↑/↓ move between
 * spans. Bars are placed with `style.left/width` (CSSOM, which the CSP allows; a style attribute it
 * would not).
 */
export function renderWaterfall(traces: readonly TraceView[], onSelect: (span: SpanView) => void): HTMLTableElement {
  const { rows, durationMs } = layoutWaterfall(traces);
  const table = h(
    'table',
    { class: 'data waterfall', attrs: { 'aria-label': 'Waterfall' } },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        h('th', { attrs: { scope: 'col' } }, 'Span'),
        h('th', { attrs: { scope: 'col' } }, 'Service'),
        h('th', { class: 'num', attrs: { scope: 'col' } }, 'Duration'),
        h('th', { attrs: { scope: 'col' } }, 'Status'),
        h('th', { class: 'timeline', attrs: { scope: 'col' } }, `Timeline (0 – ${duration(durationMs)})`),
      ),
    ),
    h('tbody', {}, ...rows.map((row, i) => spanRow(row, row.span.traceId !== rows[i - 1]?.span.traceId))),
  );
  table.addEventListener('click', (event) => {
    const button =
      event.target instanceof Element ? event.target.closest<HTMLButtonElement>('button.span-button') : null;
    if (button === null) return;
    const row = rows.find(
      (r) => r.span.spanId === button.dataset['spanId'] && r.span.traceId === button.dataset['traceId'],
    );
    if (row === undefined) return;
    for (const other of table.querySelectorAll('button.span-button[aria-pressed="true"]'))
      other.setAttribute('aria-pressed', 'false');
    button.setAttribute('aria-pressed', 'true');
    onSelect(row.span);
  });
  table.addEventListener('keydown', (event) => {
    if (event.key !== 'ArrowDown' && event.key !== 'ArrowUp') return;
    const buttons = [...table.querySelectorAll<HTMLButtonElement>('button.span-button')];
    const at = buttons.indexOf(document.activeElement as HTMLButtonElement);
    if (at === -1) return;
    event.preventDefault();
    buttons[Math.min(buttons.length - 1, Math.max(0, at + (event.key === 'ArrowDown' ? 1 : -1)))]?.focus();
  });
  return table;
}

/** `firstOfTrace`: the row opens a trace's group (a rule above it separates the traces). */
function spanRow(
  { span, depth, orphan, offsetPercent, widthPercent }: WaterfallRow,
  firstOfTrace: boolean,
): HTMLTableRowElement {
  const error = span.status === 'error';
  const name = h(
    'button',
    {
      class: 'span-button',
      attrs: {
        type: 'button',
        'aria-pressed': 'false',
        'aria-controls': 'span-details',
        'data-span-id': span.spanId,
        'data-trace-id': span.traceId,
        'data-focus-key': `span:${span.traceId}/${span.spanId}`,
      },
    },
    span.name,
  );
  const nameCell = h(
    'td',
    { class: 'span-name' },
    name,
    depth === 0
      ? h('span', { class: 'trace-chip mono', attrs: { title: span.traceId } }, `trace ${shortId(span.traceId)}`)
      : null,
    orphan ? h('span', { class: 'note' }, ' parent not received') : null,
    depth === 0 && span.links.length > 0 ? h('span', { class: 'note' }, ` linked to ${linkedTraces(span)}`) : null,
  );
  // Nesting by a custom property the stylesheet turns into indentation.
  nameCell.style.setProperty('--depth', String(depth));
  const bar = h('div', { class: error ? 'bar error' : 'bar' });
  bar.style.left = `${offsetPercent.toFixed(3)}%`;
  bar.style.width = `${widthPercent.toFixed(3)}%`;
  const attrs = {
    'data-span-id': span.spanId,
    'data-trace-id': span.traceId,
    'data-service': span.service,
    'data-status': span.status,
    'data-depth': String(depth),
  };
  return h(
    'tr',
    { class: ['span-row', error ? 'error' : '', firstOfTrace ? 'trace-start' : ''].join(' ').trim(), attrs },
    nameCell,
    h('td', { class: 'mono nowrap' }, serviceLink(span.service, { instance: span.instance, text: span.service })),
    h('td', { class: 'num' }, duration(span.durationMs)),
    h('td', { class: `status-${span.status}` }, span.status === 'unset' ? '' : span.status),
    h('td', { class: 'timeline' }, h('div', { class: 'track' }, bar)),
  );
}

function linkedTraces(span: SpanView): string {
  return [...new Set(span.links.map((l) => shortId(l.traceId)))].join(', ');
}
