import type { CanaryResponse, CanaryRunView } from '../../src/services/console/api-shapes.js';
import { h, link } from './dom.js';
import { clockTime, duration } from './format.js';
import { hrefOf } from './router.js';
import { cell, dataTable, rowsOf } from './table.js';

const COLUMNS = [
  { label: 'Handed in' },
  { label: 'Result' },
  { label: 'Accepted (202)', class: 'num' },
  { label: 'Stored', class: 'num' },
  { label: 'On the read model', class: 'num' },
  { label: 'Why it failed' },
];

/** Runs listed in the table; the strip above shows every run the API gives. */
const LISTED = 8;
/**
 * The canary counts as silent when its last run began this long ago: three runs at the default
 * 10 s pace, each allowed its 10 s bound, plus the console's export delays.
 */
const SILENT_AFTER_MS = 60_000;

/**
 * The synthetic canary on the overview: its state in words (green while its last run was ok, red
 * once one failed or it went silent), a strip of its last runs, and the latest ones with the three
 * timings. Each run links to its wish's journey in Traces.
 */
export function canaryPanel(): { element: HTMLElement; draw(canary: CanaryResponse): void } {
  const state = h('p', { class: 'canary-state', attrs: { role: 'status' } });
  const strip = h('ol', { class: 'canary-strip', attrs: { 'aria-label': 'Canary runs, oldest to newest' } });
  const { table, body } = dataTable('Canary runs', COLUMNS);
  return {
    element: h('div', { class: 'canary' }, state, strip, h('div', { class: 'scroll' }, table)),
    draw: ({ runs, generatedAt }) => {
      const [last] = runs;
      const silentMs = last === undefined ? undefined : Date.parse(generatedAt) - Date.parse(last.at);
      const verdict =
        last === undefined
          ? 'silent'
          : silentMs !== undefined && silentMs > SILENT_AFTER_MS
            ? 'silent'
            : last.ok
              ? 'ok'
              : 'failed';
      state.className = `canary-state ${verdict}`;
      state.dataset['state'] = verdict;
      state.textContent =
        last === undefined
          ? 'No canary runs in the last 15 minutes (exodus up runs one unless --no-canary).'
          : verdict === 'silent'
            ? `Silent: its last run began at ${clockTime(last.at)} (${last.ok ? 'ok' : 'failed'}).`
            : last.ok
              ? `OK: a wish handed in at ${clockTime(last.at)} was accepted in ${duration(last.acceptedMs)}, stored in ${duration(last.storedMs)} and on the read model in ${duration(last.wallMs)}.`
              : `FAILING: the run at ${clockTime(last.at)} ${last.error ?? 'failed'}.`;
      strip.replaceChildren(
        ...[...runs].reverse().map((run) =>
          h('li', {
            class: run.ok ? 'ok' : 'failed',
            attrs: { title: `${clockTime(run.at)} ${run.ok ? 'ok' : `failed: ${run.error ?? ''}`}` },
          }),
        ),
      );
      body.replaceChildren(
        ...rowsOf(
          runs.slice(0, LISTED),
          row,
          COLUMNS.length,
          'No runs yet: the first comes within seconds of the start.',
        ),
      );
    },
  };
}

function row(run: CanaryRunView): HTMLTableRowElement {
  return h(
    'tr',
    { class: run.ok ? 'canary-ok' : 'canary-failed', attrs: { 'data-at': run.at } },
    h(
      'th',
      { class: 'mono', attrs: { scope: 'row' } },
      run.wishId === null
        ? clockTime(run.at)
        : link(hrefOf('traces', { wish: run.wishId }), clockTime(run.at), {
            label: `the journey of the wish handed in at ${clockTime(run.at)}`,
          }),
    ),
    cell(run.ok ? 'ok' : 'failed', run.ok ? 'status-ok' : 'error'),
    cell(duration(run.acceptedMs), 'num'),
    cell(duration(run.storedMs), 'num'),
    cell(duration(run.wallMs), 'num'),
    cell(run.error ?? ''),
  );
}
