import type { FailureModeView, LiveSignalView } from '../../../src/services/console/api-shapes.js';
import { api } from '../api.js';
import { h, link, replaceKeepingFocus } from '../dom.js';
import { clockTime, count } from '../format.js';
import { poll, type Poller } from '../live.js';
import { hrefOf } from '../router.js';
import { cell, dataTable, rowsOf } from '../table.js';
import type { View, ViewContext } from './view.js';

/** Whether a signal is live moves with events and alerts: often enough, and the answer is cheap. */
const RISKS_REFRESH_MS = 5000;

const COLUMNS = [
  { label: 'RRN', class: 'num' },
  { label: 'Failure' },
  { label: 'S × O × D', class: 'num' },
  { label: 'Live signal' },
  { label: 'What users see' },
  { label: 'Mitigation' },
];

/**
 * The failure-mode table (the same data as docs/failure-modes.md), highest Risk Reference Number
 * first; each live signal links to where the console shows it and says whether it is live now.
 */
export function risksView({ status }: ViewContext): View {
  const { table, body } = dataTable('Failure modes', COLUMNS);
  const scales = h('dl', { class: 'scales' });
  const root = h(
    'section',
    { class: 'view risks' },
    h('h2', { attrs: { tabindex: '-1' } }, 'Failure modes'),
    h(
      'p',
      { class: 'summary' },
      'Ranked by Risk Reference Number (RRN) = severity × occurrence × detection, each 1–10, so 1–1000: work the top first. A signal is live when its event was seen in the last 15 minutes, its SLO has a burn-rate alert firing, or its metric is past its mark.',
    ),
    scales,
    h('div', { class: 'scroll' }, table),
  );
  let poller: Poller | undefined;
  return {
    root,
    show: () => {
      poller ??= poll({
        intervalMs: RISKS_REFRESH_MS,
        task: async (signal) => {
          const answer = await api.failureModes(signal);
          scales.replaceChildren(
            h('dt', {}, 'Severity'),
            h('dd', {}, answer.scales.severity),
            h('dt', {}, 'Occurrence'),
            h('dd', {}, answer.scales.occurrence),
            h('dt', {}, 'Detection'),
            h('dd', {}, answer.scales.detection),
          );
          replaceKeepingFocus(body, ...rowsOf(answer.failureModes, row, COLUMNS.length, 'No failure modes.'));
          status.refreshed('Failure modes');
        },
        onError: (error) => status.failed('the failure modes', error, true),
      });
    },
    stop: () => poller?.stop(),
  };
}

function row(mode: FailureModeView): HTMLTableRowElement {
  const live = mode.signals.some((signal) => signal.live);
  return h(
    'tr',
    { class: live ? 'notable live' : '', attrs: { 'data-failure-mode': mode.id, 'data-rrn': String(mode.rrn) } },
    cell(h('strong', {}, count(mode.rrn)), 'num rrn'),
    cell([
      h('span', { class: 'failure' }, ...withCode(mode.failure)),
      h(
        'details',
        { class: 'more' },
        h('summary', { attrs: { 'data-focus-key': `more:${mode.id}` } }, 'detected by, proven by'),
        h('p', {}, h('strong', {}, 'Detected by: '), ...withCode(mode.detectedBy)),
        h('p', {}, h('strong', {}, 'Proven by: '), ...withCode(mode.provenBy)),
      ),
    ]),
    cell(`${mode.severity} × ${mode.occurrence} × ${mode.detection}`, 'num nowrap'),
    cell(h('ul', { class: 'signals' }, ...mode.signals.map((signal, i) => signalItem(signal, `${mode.id}:${i}`)))),
    cell(withCode(mode.usersSee)),
    cell(withCode(mode.mitigation)),
  );
}

function signalItem(signal: LiveSignalView, key: string): HTMLLIElement {
  const label = signal.kind === 'slo' ? 'SLO' : signal.kind;
  return h(
    'li',
    {
      class: signal.live ? 'signal live' : 'signal',
      attrs: { 'data-signal': signal.ref, 'data-live': String(signal.live) },
    },
    link(hrefOf(...targetOf(signal)), [`${label} `, h('span', { class: 'mono' }, signal.name)], {
      key: `signal:${key}`,
    }),
    h('span', { class: signal.live ? 'state warn' : 'state muted' }, ` · ${stateText(signal)}`),
  );
}

/** Where the console shows a signal: an event kind's events, an SLO's rows on the overview, a metric in the explorer. */
function targetOf(signal: LiveSignalView): Parameters<typeof hrefOf> {
  switch (signal.kind) {
    case 'event':
      return ['events', { kind: signal.ref }];
    case 'slo':
      return ['overview', { slo: signal.ref }];
    case 'metric':
      return ['metrics', { name: signal.ref }];
  }
}

function stateText(signal: LiveSignalView): string {
  const at = signal.at === null ? '' : clockTime(signal.at).slice(0, 8);
  if (signal.kind === 'slo') return signal.live ? `alert firing since ${at}` : 'no alert firing';
  if (signal.kind === 'event') return signal.live ? `live: seen ${at}` : `not seen in 15 min`;
  const value = signal.value === null ? 'no figure' : count(signal.value);
  return signal.live ? `live: ${value} (${signal.liveWhen})` : `quiet: ${value} (live when ${signal.liveWhen})`;
}

/** The doc's `code spans` as <code> (text inside, never markup); `**` emphasis dropped. */
function withCode(text: string): (string | HTMLElement)[] {
  return text
    .replaceAll('**', '')
    .split('`')
    .map((part, i) => (i % 2 === 1 ? h('code', {}, part) : part));
}
