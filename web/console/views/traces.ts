import type { SpanView, TraceView } from '../../../src/services/console/api-shapes.js';
import { api } from '../api.js';
import { splitAttributeTerms } from '../attribute-terms.js';
import { h, link, replaceKeepingFocus } from '../dom.js';
import { buttons, checkboxField, fillForm, onSubmit, selectField, textField } from '../form.js';
import { dateTime, duration, shortId } from '../format.js';
import { poll, REFRESH_MS, type Poller } from '../live.js';
import { hrefOf } from '../router.js';
import { renderScatter } from '../scatter.js';
import { seenLists } from '../seen.js';
import { serviceLink } from '../service-link.js';
import { renderSpanDetails } from '../span-details.js';
import { cell, dataTable, rowsOf } from '../table.js';
import { renderWaterfall } from '../waterfall.js';
import type { View, ViewContext } from './view.js';

/** Searches by one id; the first present wins (the API takes one), and the filters then do not apply. */
const ID_SEARCHES = ['trace', 'wish', 'evacuee'] as const;
const FILTERS = ['service', 'status', 'httpStatus', 'minDurationMs', 'all'] as const;
/** `key=value` terms as typed (`http.response.status_code=503 messaging.destination.name=wishes`): one `where` each. */
const WHERE = 'where';
/** The trace open in the waterfall: a parameter of the page's hash only, never sent to the API. */
const OPEN = 'open';

const COLUMNS = [
  { label: 'Root' },
  { label: 'Start (UTC)' },
  { label: 'Duration', class: 'num' },
  { label: 'Spans', class: 'num' },
  { label: 'Errors', class: 'num' },
  { label: 'Trace id' },
];
const STATUSES = [
  ['', 'any'],
  ['error', 'error'],
  ['ok', 'ok'],
  ['unset', 'unset'],
] as const;

/**
 * Trace search, the list of traces, and the waterfall of the one chosen. Live (every 2 s) only for
 * the latest traces with none open: a search, or a waterfall being read, holds still until you ask
 * again ("Refresh"), so rows never move under the keyboard or the eye.
 */
export function tracesView({ status }: ViewContext): View {
  const seen = seenLists('traces');
  // Once per visit to the view, not on every filter: what was seen changes slowly.
  void api.services(new AbortController().signal).then(
    (services) => seen.fill(services),
    () => undefined,
  );
  const form = h(
    'form',
    { class: 'filters', attrs: { role: 'search', 'aria-label': 'Trace search' } },
    textField({ id: 'trace-wish', name: 'wish', label: 'Wish id', mono: true, size: 'wide' }),
    textField({ id: 'trace-evacuee', name: 'evacuee', label: 'Evacuee id', mono: true }),
    textField({ id: 'trace-id', name: 'trace', label: 'Trace id', mono: true, size: 'wide' }),
    textField({ id: 'trace-service', name: 'service', label: 'Service', mono: true, list: 'traces-services' }),
    selectField({ id: 'trace-status', name: 'status', label: 'Span status', choices: STATUSES }),
    textField({ id: 'trace-http-status', name: 'httpStatus', label: 'HTTP status', type: 'number', size: 'narrow' }),
    textField({
      id: 'trace-where',
      name: WHERE,
      label: 'Attributes (key=value …)',
      mono: true,
      size: 'wide',
      hint: 'messaging.destination.name=wishes',
    }),
    textField({
      id: 'trace-min-duration',
      name: 'minDurationMs',
      label: 'Min duration (ms)',
      type: 'number',
      size: 'narrow',
    }),
    checkboxField({ id: 'trace-all', name: 'all', label: 'Show one-span receive and scrape traces' }),
    buttons('Search', link(hrefOf('traces'), 'Latest traces', { class: 'button-link' })),
  );
  const scatter = h('div', { class: 'scatter-holder', attrs: { 'aria-label': 'Latency scatter' } });
  const summary = h('p', { class: 'summary', attrs: { id: 'traces-summary' } });
  const refresh = h('button', { attrs: { type: 'button', id: 'traces-refresh' } }, 'Refresh');
  const list = dataTable('Traces', COLUMNS);
  const detailTitle = h('h3', { attrs: { id: 'trace-detail-title', tabindex: '-1' } });
  const waterfallHolder = h('div', { class: 'scroll' });
  const details = h('section', { class: 'span-details', attrs: { id: 'span-details', 'aria-label': 'Span details' } });
  const detail = h(
    'section',
    { class: 'block trace-detail', attrs: { 'aria-labelledby': detailTitle.id } },
    detailTitle,
    waterfallHolder,
    details,
  );
  detail.hidden = true;
  const root = h(
    'section',
    { class: 'view traces' },
    h('h2', { attrs: { tabindex: '-1' } }, 'Traces'),
    form,
    seen.services,
    h('div', { class: 'summary-line' }, summary, refresh),
    scatter,
    h('div', { class: 'scroll' }, list.table),
    detail,
  );

  let params = new URLSearchParams();
  let poller: Poller | undefined;
  /** What the waterfall shows, so a refresh that changes nothing leaves it (and the chosen span) alone. */
  let drawnKey = '';
  /** What the scatter shows (see `draw`). */
  let drawnScatter = '';
  /** The last answer and the query it answered: opening a trace from the list redraws from it, not from a newer list. */
  let cached: { readonly query: string; readonly traces: readonly TraceView[] } | undefined;

  const draw = (traces: readonly TraceView[]): void => {
    const open = params.get(OPEN);
    // Redrawn only when the traces or the open one change, so a dot keeps the keyboard across a refresh.
    const scatterKey = JSON.stringify([
      open,
      params.toString(),
      traces.map((trace) => [trace.traceId, trace.durationMs]),
    ]);
    if (scatterKey !== drawnScatter) {
      drawnScatter = scatterKey;
      scatter.replaceChildren(renderScatter(traces, (traceId) => openHref(params, traceId)));
      if (open !== null) scatter.querySelector(`a[data-trace-id="${CSS.escape(open)}"]`)?.classList.add('open');
    }
    replaceKeepingFocus(
      list.body,
      ...rowsOf(traces, (trace) => traceRow(trace, params, trace.traceId === open), COLUMNS.length, 'No traces match.'),
    );
    const shown = shownTraces(traces, params);
    const key = JSON.stringify(shown.map((trace) => [trace.traceId, trace.spans.length]));
    if (key === drawnKey) return;
    drawnKey = key;
    detail.hidden = shown.length === 0;
    details.replaceChildren(h('p', { class: 'muted' }, 'Choose a span to see its attributes, events and links.'));
    if (shown.length === 0) return;
    detailTitle.textContent =
      shown.length === 1 ? `Trace ${shown[0]?.traceId ?? ''}` : `${shown.length} traces, joined by links`;
    waterfallHolder.replaceChildren(
      renderWaterfall(shown, (span: SpanView) => details.replaceChildren(renderSpanDetails(span))),
    );
  };

  onSubmit(
    form,
    (values) => hrefOf('traces', values),
    () => poller?.now(),
  );
  refresh.addEventListener('click', () => poller?.now());

  return {
    root,
    show: (next) => {
      const openedNow = next.get(OPEN) !== null && next.get(OPEN) !== params.get(OPEN);
      params = next;
      fillForm(form, params);
      const query = apiQuery(params);
      const live = query.size === 0 && params.get(OPEN) === null;
      summary.textContent = describe(params, live);
      refresh.hidden = live;
      // Opening or closing a trace redraws the list it was chosen from; going live fetches at once.
      let reuse = !live && cached?.query === query.toString();
      poller?.stop();
      poller = poll({
        intervalMs: live ? REFRESH_MS : null,
        task: async (signal) => {
          const traces =
            reuse && cached !== undefined ? cached.traces : await fetchTraces(query, params.get(OPEN), signal);
          reuse = false;
          cached = { query: query.toString(), traces };
          draw(traces);
          status.refreshed('Traces');
          // Opening a trace from the list takes the keyboard to its waterfall.
          if (openedNow && !detail.hidden && document.activeElement?.closest('table[aria-label="Traces"]'))
            detailTitle.focus();
        },
        onError: (error) => status.failed('traces', error, live),
      });
    },
    stop: () => poller?.stop(),
  };
}

/** The traces `query` finds, and the open one too should it be no longer among them (the latest moved on). */
async function fetchTraces(
  query: URLSearchParams,
  open: string | null,
  signal: AbortSignal,
): Promise<readonly TraceView[]> {
  const { traces } = await api.traces(query, signal);
  if (open === null || traces.some((trace) => trace.traceId === open)) return traces;
  const extra = await api.traces(new URLSearchParams({ trace: open }), signal);
  return [...traces, ...extra.traces.filter((trace) => !traces.some((t) => t.traceId === trace.traceId))];
}

/** The API's query: one id search, else the filters; never `open`. */
function apiQuery(params: URLSearchParams): URLSearchParams {
  const query = new URLSearchParams();
  const id = ID_SEARCHES.find((name) => (params.get(name) ?? '') !== '');
  if (id !== undefined) query.set(id, params.get(id) ?? '');
  else {
    for (const name of FILTERS) if ((params.get(name) ?? '') !== '') query.set(name, params.get(name) ?? '');
    for (const term of splitAttributeTerms(params.get(WHERE) ?? '')) query.append(WHERE, term);
  }
  const limit = params.get('limit');
  if (limit !== null && limit !== '') query.set('limit', limit);
  return query;
}

function describe(params: URLSearchParams, live: boolean): string {
  const id = ID_SEARCHES.find((name) => (params.get(name) ?? '') !== '');
  if (id !== undefined)
    return `Traces of ${id} ${params.get(id) ?? ''}${id === 'wish' ? ', with the traces linked to it' : ''}.`;
  const filters = [
    ...FILTERS.filter((name) => name !== 'all' && (params.get(name) ?? '') !== '').map(
      (name) => `${name}=${params.get(name) ?? ''}`,
    ),
    ...splitAttributeTerms(params.get(WHERE) ?? ''),
  ];
  const noise = params.get('all') === '1' ? '' : ' One-span receive and scrape traces are left out.';
  if (filters.length > 0) return `Traces with ${filters.join(', ')}, newest first.${noise}`;
  return live
    ? `Latest traces, newest first; refreshes every 2 s.${noise}`
    : `Latest traces, newest first; held while a trace is open.${noise}`;
}

/**
 * What the waterfall shows: the open trace with the listed traces it links to or that link to it;
 * with none open, a wish's or a trace's search shows everything found (the whole journey).
 */
function shownTraces(traces: readonly TraceView[], params: URLSearchParams): readonly TraceView[] {
  const open = params.get(OPEN);
  if (open === null) return (params.get('wish') ?? params.get('trace') ?? '') === '' ? [] : traces;
  const chosen = traces.find((trace) => trace.traceId === open);
  if (chosen === undefined) return [];
  const linksOf = (trace: TraceView): Set<string> =>
    new Set(trace.spans.flatMap((span) => span.links.map((l) => l.traceId)));
  const outgoing = linksOf(chosen);
  return traces.filter((trace) => trace === chosen || outgoing.has(trace.traceId) || linksOf(trace).has(open));
}

/** The same search, with this trace open. */
function openHref(params: URLSearchParams, traceId: string): string {
  return hrefOf(
    'traces',
    new URLSearchParams([...params.entries()].filter(([name]) => name !== OPEN).concat([[OPEN, traceId]])),
  );
}

function traceRow(trace: TraceView, params: URLSearchParams, open: boolean): HTMLTableRowElement {
  const href = openHref(params, trace.traceId);
  const root = link(href, trace.rootName === '' ? '(unnamed)' : trace.rootName, {
    key: `trace:${trace.traceId}`,
    class: 'trace-link',
  });
  return h(
    'tr',
    {
      class: open ? 'selected' : '',
      attrs: { 'data-trace-id': trace.traceId, ...(open ? { 'aria-current': 'true' } : {}) },
    },
    h('th', { attrs: { scope: 'row' } }, serviceLink(trace.rootService, { class: 'service-link mono' }), ' ', root),
    cell(dateTime(trace.start), 'mono'),
    cell(duration(trace.durationMs), 'num'),
    cell(String(trace.spans.length), 'num'),
    cell(
      trace.errorCount > 0 ? `${trace.errorCount} error${trace.errorCount === 1 ? '' : 's'}` : '0',
      trace.errorCount > 0 ? 'num error' : 'num',
    ),
    cell(shortId(trace.traceId), 'mono'),
  );
}
