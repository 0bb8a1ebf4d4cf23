import type { Instrument, MetricSeriesResponse, MetricsResponse } from '../../../src/services/console/api-shapes.js';
import { api } from '../api.js';
import { splitAttributeTerms } from '../attribute-terms.js';
import { Charts } from '../charts.js';
import { block, h, link, replaceKeepingFocus } from '../dom.js';
import { buttons, fillForm, onSubmit, selectField, textField } from '../form.js';
import { duration } from '../format.js';
import { poll, type Poller } from '../live.js';
import { hrefOf } from '../router.js';
import { cell, dataTable, rowsOf } from '../table.js';
import type { View, ViewContext } from './view.js';

/** A chosen instrument is asked again this often: about one step of the shortest window. */
const METRIC_REFRESH_MS = 15_000;
/** Besides an instrument's own attributes, what every point can be grouped by. */
const PROCESS_KEYS = ['service.name', 'service.instance.id'] as const;
const WINDOWS = [
  ['5m', 'last 5 minutes'],
  ['15m', 'last 15 minutes'],
  ['1h', 'last hour'],
  ['6h', 'last 6 hours'],
  ['24h', 'last 24 hours'],
] as const;
const STATS = [
  ['p95', 'p95'],
  ['p50', 'p50'],
  ['p99', 'p99'],
  ['rate', 'observations per second'],
] as const;
const AGGREGATIONS = [
  ['sum', 'sum'],
  ['max', 'max'],
  ['min', 'min'],
  ['avg', 'average'],
] as const;
/** What the API takes when a choice is left out. */
const DEFAULTS = [
  ['window', '15m'],
  ['stat', 'p95'],
  ['agg', 'sum'],
] as const;
/** The page's parameters that the API takes (`name` is in the path; `where` is split into terms). */
const QUERY = ['by', 'service', 'window', 'stat', 'agg'] as const;

/**
 * The metrics explorer: any instrument the console received, grouped by one of its attributes, as
 * a chart over a window and a table of the whole window. Everything chosen is in the hash
 * (`#/metrics?name=exodus.wishes&by=exodus.wish.outcome&window=1h`), so a view is a link.
 */
export function metricsView({ status }: ViewContext): View {
  let instruments: readonly Instrument[] = [];
  const nameSelect = h(
    'select',
    { attrs: { id: 'metric-name', name: 'name' } },
    h('option', { attrs: { value: '' } }, 'No instrument received yet'),
  );
  const bySelect = h('select', { attrs: { id: 'metric-by', name: 'by' } });
  const statField = selectField({ id: 'metric-stat', name: 'stat', label: 'Histogram shows', choices: STATS });
  const aggField = selectField({ id: 'metric-agg', name: 'agg', label: 'Series combine by', choices: AGGREGATIONS });
  const servicesList = h('datalist', { attrs: { id: 'metric-services' } });
  const form = h(
    'form',
    { class: 'filters', attrs: { role: 'search', 'aria-label': 'Metric' } },
    h('div', { class: 'field' }, h('label', { attrs: { for: nameSelect.id } }, 'Instrument'), nameSelect),
    h('div', { class: 'field' }, h('label', { attrs: { for: bySelect.id } }, 'By attribute'), bySelect),
    textField({ id: 'metric-service', name: 'service', label: 'Service', mono: true, list: servicesList.id }),
    textField({
      id: 'metric-where',
      name: 'where',
      label: 'Where (key=value …)',
      mono: true,
      size: 'wide',
      hint: 'exodus.wish.outcome=stored',
    }),
    selectField({ id: 'metric-window', name: 'window', label: 'Window', choices: WINDOWS }),
    statField,
    aggField,
    buttons('Show', link(hrefOf('metrics'), 'Clear', { class: 'button-link' })),
  );
  const summary = h('p', { class: 'summary', attrs: { id: 'metric-summary' } });
  const charts = new Charts({ perRow: 1 });
  const tableHolder = h('div', { class: 'scroll' });
  const root = h(
    'section',
    { class: 'view metrics' },
    h('h2', { attrs: { tabindex: '-1' } }, 'Metrics'),
    form,
    servicesList,
    summary,
    block('metric-chart-title', 'Chart', charts.element),
    block('metric-table-title', 'Table', tableHolder),
  );

  /** The choices that depend on the instrument: its attributes, and the fields of its kind. */
  const fitToInstrument = (name: string, by: string): void => {
    const chosen = instruments.find((instrument) => instrument.name === name);
    const keys = [...PROCESS_KEYS, ...(chosen?.attributeKeys ?? [])];
    bySelect.replaceChildren(
      h('option', { attrs: { value: '' } }, '(all together)'),
      ...keys.map((key) => h('option', { attrs: { value: key } }, key)),
    );
    bySelect.value = keys.includes(by) ? by : '';
    statField.hidden = chosen?.kind !== 'histogram';
    aggField.hidden = chosen?.kind !== 'gauge';
    servicesList.replaceChildren(
      ...(chosen?.services ?? []).map((service) => h('option', { attrs: { value: service } })),
    );
  };
  nameSelect.addEventListener('change', () => fitToInstrument(nameSelect.value, bySelect.value));

  let params = new URLSearchParams();
  let poller: Poller | undefined;
  /** The pick list, asked again now and then: a process that just started exports its instruments within seconds. */
  const list = (answer: MetricsResponse): void => {
    const same =
      JSON.stringify(answer.instruments.map(describeInstrument)) ===
      JSON.stringify(instruments.map(describeInstrument));
    instruments = answer.instruments;
    if (same) return; // an open pick list is not rebuilt under the pointer
    // What is picked but not yet shown stays picked.
    const picked = nameSelect.value !== '' ? nameSelect.value : (params.get('name') ?? '');
    const by = bySelect.value !== '' ? bySelect.value : (params.get('by') ?? '');
    nameSelect.replaceChildren(
      h('option', { attrs: { value: '' } }, 'Choose an instrument'),
      ...instruments.map((instrument) =>
        h('option', { attrs: { value: instrument.name } }, `${instrument.name} (${describeKind(instrument)})`),
      ),
    );
    nameSelect.value = picked;
    fitToInstrument(nameSelect.value, by);
  };
  const lister = poll({
    intervalMs: METRIC_REFRESH_MS,
    task: async (signal) => list(await api.metrics(signal)),
    onError: (error) => status.failed('the instruments', error, true),
  });

  onSubmit(
    form,
    (values) => hrefOf('metrics', values),
    () => poller?.now(),
  );

  const draw = (answer: MetricSeriesResponse): void => {
    const by = answer.by === null ? '' : ` by ${answer.by}`;
    const omitted = answer.groupsOmitted > 0 ? `; ${answer.groupsOmitted} smaller groups left out` : '';
    summary.textContent = `${answer.name} (${answer.kind}${answer.unit === null ? '' : `, ${answer.unit}`}): ${answer.statistic}${by}, ${answer.window} in steps of ${answer.stepSeconds} s${omitted}.`;
    charts.update([{ ...answer.chart, title: `${answer.name}${by}` }]);
    const columns = [{ label: answer.by ?? 'Group' }, ...answer.columns.map(columnOf)];
    const table = dataTable('Metric table', columns);
    replaceKeepingFocus(
      table.body,
      ...rowsOf(
        answer.rows,
        (row) =>
          h(
            'tr',
            {},
            h('th', { class: 'mono', attrs: { scope: 'row' } }, row.group),
            ...row.values.map((value, i) => cell(figure(value, answer.columns[i]?.unit ?? null), 'num')),
          ),
        columns.length,
        'No points in this window.',
      ),
    );
    tableHolder.replaceChildren(table.table);
  };

  return {
    root,
    show: (next) => {
      params = next;
      fillForm(form, params);
      // A choice the link leaves out shows the API's default, not a blank.
      for (const [name, fallback] of DEFAULTS) {
        const select = form.querySelector<HTMLSelectElement>(`select[name="${name}"]`);
        if (select !== null && select.value === '') select.value = fallback;
      }
      nameSelect.value = params.get('name') ?? '';
      fitToInstrument(nameSelect.value, params.get('by') ?? '');
      poller?.stop();
      const name = params.get('name') ?? '';
      if (name === '') {
        summary.textContent = 'Choose an instrument, and an attribute to group it by.';
        charts.update([]);
        tableHolder.replaceChildren();
        return;
      }
      const query = new URLSearchParams();
      for (const key of QUERY) if ((params.get(key) ?? '') !== '') query.set(key, params.get(key) ?? '');
      for (const term of splitAttributeTerms(params.get('where') ?? '')) query.append('where', term);
      poller = poll({
        intervalMs: METRIC_REFRESH_MS,
        task: async (signal) => {
          draw(await api.metric(name, query, signal));
          status.refreshed('Metrics');
        },
        onError: (error) => status.failed(`metric ${name}`, error, false),
      });
    },
    stop: () => {
      lister.stop();
      poller?.stop();
      charts.destroy();
    },
  };
}

const describeInstrument = (instrument: Instrument): string =>
  `${instrument.name} ${describeKind(instrument)} ${instrument.attributeKeys.join(',')}`;

function describeKind(instrument: Instrument): string {
  return instrument.unit === null ? instrument.kind : `${instrument.kind}, ${instrument.unit}`;
}

function columnOf(column: MetricSeriesResponse['columns'][number]): { label: string; class: string } {
  // Seconds and bytes are written with their unit in each cell (`12.3 ms`, `84.0 MB`).
  const inCells = column.unit === null || column.unit === 's' || column.unit === 'By';
  return { label: inCells ? column.label : `${column.label} (${column.unit})`, class: 'num' };
}

/** A figure in its unit: seconds as a duration, bytes in MB, the rest with a few significant digits. */
function figure(value: number | null, unit: string | null): string {
  if (value === null) return '–';
  if (unit === 's') return duration(value * 1000);
  if (unit === 'By') return `${(value / 1e6).toFixed(1)} MB`;
  return Math.abs(value) >= 100 || Number.isInteger(value)
    ? Math.round(value).toLocaleString('en-US')
    : value.toPrecision(3);
}
