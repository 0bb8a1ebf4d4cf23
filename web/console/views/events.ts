import type { EventView } from '../../../src/services/console/api-shapes.js';
import { api } from '../api.js';
import { h, link, replaceKeepingFocus } from '../dom.js';
import { buttons, fillForm, onSubmit, queryOf, textField } from '../form.js';
import { attributeText, compactAttributes, dateTime, shortId } from '../format.js';
import { poll, REFRESH_MS, type Poller } from '../live.js';
import { hrefOf } from '../router.js';
import { serviceLink } from '../service-link.js';
import { cell, dataTable, emptyRow } from '../table.js';
import type { View, ViewContext } from './view.js';

/** The kinds the producers emit (runtime/telemetry-names.ts EVENT), offered as suggestions. */
const KNOWN_KINDS = [
  'service.deployed',
  'process.started',
  'process.exited',
  'process.restarted',
  'process.crash_loop',
  'process.crash_loop_ended',
  'process.stopped',
  'message.dead_lettered',
  'dependency.unavailable',
  'dependency.available',
  'load_shedding.on',
  'load_shedding.off',
  'wish.injection_attempt',
  'alert.firing',
  'alert.resolved',
];
/** Kinds an operator must not miss: highlighted. */
const NOTABLE = new Set([
  'process.exited',
  'process.crash_loop',
  'message.dead_lettered',
  'wish.injection_attempt',
  'dependency.unavailable',
  'alert.firing',
]);
/** Events that end a process: they link to its logs in the seconds before. */
const ENDINGS = new Set(['process.exited', 'process.crash_loop']);
/** How far back from an exit its logs link looks. */
const BEFORE_EXIT_MS = 10_000;
const INJECTION = 'wish.injection_attempt';
/** Detail keys that name the evacuee (the log line's field, or the attribute's name). */
const EVACUEE_KEY = /^(exodus\.)?evacuee(\.id|Id)$/;
const WISH_KEY = /^(exodus\.)?wish(\.id|Id)$/;
const PARAMS = ['kind', 'since', 'limit'] as const;

export const EVENT_COLUMNS = [
  { label: 'Time (UTC)' },
  { label: 'Kind' },
  { label: 'Service' },
  { label: 'Process' },
  { label: 'Detail' },
  { label: 'Go to' },
];

/** What happened to the system, newest first; refreshes every 2 s. Details are attacker-controlled text. */
export function eventsView({ status }: ViewContext): View {
  const form = h(
    'form',
    { class: 'filters', attrs: { role: 'search', 'aria-label': 'Event filter' } },
    textField({ id: 'event-kind', name: 'kind', label: 'Kind', mono: true, list: 'event-kinds', size: 'wide' }),
    h(
      'datalist',
      { attrs: { id: 'event-kinds' } },
      ...KNOWN_KINDS.map((kind) => h('option', { attrs: { value: kind } })),
    ),
    buttons('Filter', link(hrefOf('events'), 'All events', { class: 'button-link' })),
  );
  const events = dataTable('Events', EVENT_COLUMNS);
  const root = h(
    'section',
    { class: 'view events' },
    h('h2', { attrs: { tabindex: '-1' } }, 'Events'),
    form,
    h('p', { class: 'summary' }, 'Newest first; refreshes every 2 s.'),
    h('div', { class: 'scroll' }, events.table),
  );

  let poller: Poller | undefined;
  onSubmit(
    form,
    (values) => hrefOf('events', values),
    () => poller?.now(),
  );

  return {
    root,
    show: (params) => {
      fillForm(form, params);
      const query = queryOf(params, PARAMS);
      poller?.stop();
      poller = poll({
        intervalMs: REFRESH_MS,
        task: async (signal) => {
          const { events: list } = await api.events(query, signal);
          const rows = list.length === 0 ? [emptyRow(EVENT_COLUMNS.length, 'No events match.')] : list.map(eventRow);
          replaceKeepingFocus(events.body, ...rows);
          status.refreshed('Events');
        },
        onError: (error) => status.failed('events', error, true),
      });
    },
    stop: () => poller?.stop(),
  };
}

/** One event: its kind highlighted when notable, its service and process leading to their page. */
export function eventRow(event: EventView): HTMLTableRowElement {
  const notable = NOTABLE.has(event.kind);
  const entries = Object.entries(event.detail);
  const evacuee = entries.find(([key]) => EVACUEE_KEY.test(key));
  const wish = entries.find(([key]) => WISH_KEY.test(key));
  const key = `${event.time}|${event.kind}|${event.process}`;
  const injection = event.kind === INJECTION && evacuee !== undefined;
  const ended = ENDINGS.has(event.kind) ? event.detail['exodus.process'] : undefined;
  return h(
    'tr',
    {
      class: notable ? `notable kind-${event.kind.replace(/[^a-z0-9]+/gi, '-')}` : '',
      attrs: { 'data-kind': event.kind },
    },
    cell(h('time', { attrs: { datetime: event.time, title: event.time } }, dateTime(event.time)), 'mono nowrap'),
    cell(event.kind, 'mono kind'),
    cell(serviceLink(event.service, { key: `service:${key}` }), 'mono nowrap'),
    cell(
      event.process === '' ? '' : serviceLink(event.service, { instance: event.process, key: `process:${key}` }),
      'mono nowrap',
    ),
    cell(
      [
        // An injection attempt leads with who: the evacuee id, apart from the rest.
        injection ? h('strong', { class: 'evacuee mono' }, `evacuee ${attributeText(evacuee[1])} `) : null,
        compactAttributes(Object.fromEntries(injection ? entries.filter((entry) => entry !== evacuee) : entries)),
      ],
      'mono detail',
    ),
    cell(
      [
        event.traceId === null ? null : traceLink(event.traceId, `trace:${key}`),
        event.traceId !== null && wish !== undefined ? ' ' : null,
        wish === undefined ? null : wishLink(attributeText(wish[1]), `wish:${key}`),
        ended === undefined ? null : logsBeforeLink(attributeText(ended), event.time, `logs:${key}`),
      ],
      'nowrap',
    ),
  );
}

function traceLink(traceId: string, key: string): HTMLAnchorElement {
  return link(hrefOf('traces', { trace: traceId }), `trace ${shortId(traceId)}`, { key, label: `Trace ${traceId}` });
}

/** The process's own log lines in the seconds before it ended: why it exited is usually there. */
function logsBeforeLink(process: string, time: string, key: string): HTMLAnchorElement {
  const half = BEFORE_EXIT_MS / 2;
  const around = new Date(Date.parse(time) - half).toISOString();
  return link(hrefOf('logs', { instance: process, around, window: `${half / 1000}s` }), 'logs before', {
    key,
    label: `Logs of ${process} in the ${BEFORE_EXIT_MS / 1000} s before`,
  });
}

function wishLink(wishId: string, key: string): HTMLAnchorElement {
  return link(hrefOf('traces', { wish: wishId }), 'wish', { key, label: `Traces of wish ${wishId}` });
}
