import type { LogLine } from '../../../src/services/console/api-shapes.js';
import { api } from '../api.js';
import { h, link, replaceKeepingFocus, type Child } from '../dom.js';
import { folded } from '../fold.js';
import { buttons, fillForm, onSubmit, queryOf, selectField, textField } from '../form.js';
import { clockTime, compactAttributes, shortId } from '../format.js';
import { poll, REFRESH_MS, type Poller } from '../live.js';
import { hrefOf } from '../router.js';
import { seenLists } from '../seen.js';
import { serviceLink } from '../service-link.js';
import { cell, dataTable, rowsOf } from '../table.js';
import type { View, ViewContext } from './view.js';

/** The API's parameters, as the hash carries them. */
const PARAMS = ['service', 'instance', 'level', 'q', 'trace', 'around', 'window', 'limit'] as const;
const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;
const WINDOWS = ['1s', '3s', '10s', '30s', '1m', '5m'] as const;
/** The window a line's "±3 s" link opens. */
const CONTEXT_WINDOW = '3s';
/**
 * What a "±3 s" link keeps of the filters it came from: whose lines and which words. The level and
 * the trace are dropped: the context of a warning is the lines around it, whatever they say.
 */
const KEPT_AROUND = ['service', 'instance', 'q'] as const;

const COLUMNS = ['Time (UTC)', 'Service', 'Instance', 'Level', 'Message', 'Attributes', 'Go to'].map((label) => ({
  label,
}));

/**
 * Log lines, oldest first. Live (every 2 s, the latest lines) unless `around` fixes a window of time,
 * which loads once: a window in the past does not change.
 */
export function logsView({ status }: ViewContext): View {
  const seen = seenLists('logs');
  // Once per visit to the view, not on every filter: what was seen changes slowly.
  void api.services(new AbortController().signal).then(
    (services) => seen.fill(services),
    () => undefined,
  );
  const form = h(
    'form',
    { class: 'filters', attrs: { role: 'search', 'aria-label': 'Log filter' } },
    textField({ id: 'log-service', name: 'service', label: 'Service', mono: true, list: 'logs-services' }),
    textField({ id: 'log-instance', name: 'instance', label: 'Instance', mono: true, list: 'logs-instances' }),
    selectField({
      id: 'log-level',
      name: 'level',
      label: 'Minimum level',
      choices: [['', 'any'], ...LEVELS.map((l) => [l, l] as const)],
    }),
    textField({ id: 'log-q', name: 'q', label: 'Words', type: 'search', size: 'wide' }),
    textField({ id: 'log-trace', name: 'trace', label: 'Trace id', mono: true, size: 'wide' }),
    textField({
      id: 'log-around',
      name: 'around',
      label: 'Around (ISO time)',
      mono: true,
      hint: '2027-08-23T10:04:05Z',
      size: 'wide',
    }),
    selectField({
      id: 'log-window',
      name: 'window',
      label: 'Window (±)',
      choices: [['', 'default'], ...WINDOWS.map((w) => [w, w] as const)],
    }),
    buttons('Show', link(hrefOf('logs'), 'Latest lines', { class: 'button-link' })),
  );
  const summary = h('p', { class: 'summary', attrs: { id: 'logs-summary' } });
  const logs = dataTable('Logs', COLUMNS);
  const root = h(
    'section',
    { class: 'view logs' },
    h('h2', { attrs: { tabindex: '-1' } }, 'Logs'),
    form,
    seen.services,
    seen.instances,
    h('div', { class: 'summary-line' }, summary),
    h('div', { class: 'scroll' }, logs.table),
  );

  let poller: Poller | undefined;
  onSubmit(
    form,
    (values) => hrefOf('logs', values),
    () => poller?.now(),
  );

  return {
    root,
    show: (params) => {
      fillForm(form, params);
      const query = queryOf(params, PARAMS);
      const around = query.get('around');
      const live = around === null;
      const kept = KEPT_AROUND.filter((name) => query.get(name) !== null);
      summary.replaceChildren(
        live
          ? 'Latest lines, oldest first; refreshes every 2 s.'
          : `Lines within ±${query.get('window') ?? 'the default window'} of ${around}, oldest first.`,
        ...(around === null || kept.length === 0
          ? []
          : [
              ` Only ${kept.map((name) => `${name} ${query.get(name) ?? ''}`).join(', ')}: `,
              link(hrefOf('logs', { around, window: query.get('window') ?? undefined }), 'every service', {
                class: 'widen-link',
              }),
              '.',
            ]),
      );
      poller?.stop();
      poller = poll({
        intervalMs: live ? REFRESH_MS : null,
        task: async (signal) => {
          const { logs: lines } = await api.logs(query, signal);
          // The line a "±3 s" link came from: the first at that very time, marked and brought into view.
          const anchor = around === null ? -1 : lines.findIndex((line) => line.time === around);
          replaceKeepingFocus(
            logs.body,
            ...rowsOf(lines, (line, i) => logRow(line, i === anchor, query), COLUMNS.length, 'No lines match.'),
          );
          logs.body.querySelector('tr.at-anchor')?.scrollIntoView({ block: 'center' });
          status.refreshed('Logs');
        },
        onError: (error) => status.failed('logs', error, live),
      });
    },
    stop: () => poller?.stop(),
  };
}

/** The folds (stacks, multi-line messages) the reader opened, kept across the live tail's refreshes. */
const opened = new Set<string>();

function logRow(line: LogLine, isAnchor: boolean, query: URLSearchParams): HTMLTableRowElement {
  const notable = line.level === 'warn' || line.level === 'error' || line.level === 'fatal';
  const severity = line.level === 'warn' ? 'level-warn' : notable ? 'level-error' : '';
  // The same line keeps its focus key across refreshes, though older lines scroll out of the tail.
  const key = `${line.time}|${line.service}|${line.instance}|${line.message.slice(0, 40)}`;
  return h(
    'tr',
    {
      class: [severity, isAnchor ? 'at-anchor' : ''].join(' ').trim(),
      attrs: {
        'data-level': line.level,
        'data-service': line.service,
        ...(isAnchor ? { 'aria-current': 'true' } : {}),
      },
    },
    cell(h('time', { attrs: { datetime: line.time, title: line.time } }, clockTime(line.time)), 'mono nowrap'),
    cell(serviceLink(line.service, { key: `service:${key}` }), 'mono nowrap'),
    cell(serviceLink(line.service, { instance: line.instance, key: `process:${key}` }), 'mono nowrap'),
    cell(line.level, `level ${severity}`),
    cell(folded(line.message, `message:${key}`, opened), 'message'),
    cell(attributesOf(line, key), 'mono attributes-compact'),
    cell(
      [
        line.traceId === null ? null : traceLink(line.traceId, `trace:${key}`),
        line.traceId !== null && notable ? ' ' : null,
        notable ? aroundLink(line.time, `around:${key}`, query) : null,
      ],
      'nowrap',
    ),
  );
}

/** One-line attributes compact on one line; a multi-line one (`err.stack`) folded below them. */
function attributesOf(line: LogLine, key: string): Child[] {
  const multiLine = Object.entries(line.attributes).filter(
    (entry): entry is [string, string] => typeof entry[1] === 'string' && entry[1].includes('\n'),
  );
  const oneLine = Object.fromEntries(
    Object.entries(line.attributes).filter(([name]) => !multiLine.some(([m]) => m === name)),
  );
  return [
    compactAttributes(oneLine),
    ...multiLine.map(([name, value]) => folded(value, `${name}:${key}`, opened, name)),
  ];
}

function traceLink(traceId: string, key: string): HTMLAnchorElement {
  return link(hrefOf('traces', { trace: traceId }), `trace ${shortId(traceId)}`, {
    key,
    class: 'trace-link',
    label: `Trace ${traceId}`,
  });
}

/** The lines around `time`, with the filters it came from kept (whose lines, which words); the summary widens to every service. */
function aroundLink(time: string, key: string, query: URLSearchParams): HTMLAnchorElement {
  const kept = Object.fromEntries(KEPT_AROUND.map((name) => [name, query.get(name) ?? undefined]));
  const href = hrefOf('logs', { ...kept, around: time, window: CONTEXT_WINDOW });
  return link(href, '±3 s', { key, class: 'around-link', label: `Lines within 3 s of ${time}` });
}
