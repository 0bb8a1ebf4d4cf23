import { h, type Child } from './dom.js';

export interface Column {
  readonly label: string;
  /** `num` right-aligns figures. */
  readonly class?: string;
}

/** A table named for tests and screen readers by `aria-label`, with a header row and an empty body. */
export function dataTable(
  label: string,
  columns: readonly Column[],
): { table: HTMLTableElement; body: HTMLTableSectionElement } {
  const body = h('tbody');
  const table = h(
    'table',
    { class: 'data', attrs: { 'aria-label': label } },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        ...columns.map((column) => h('th', { class: column.class ?? '', attrs: { scope: 'col' } }, column.label)),
      ),
    ),
    body,
  );
  return { table, body };
}

export function cell(content: Child | readonly Child[], className = ''): HTMLTableCellElement {
  return h(
    'td',
    { class: className },
    ...(Array.isArray(content) ? (content as readonly Child[]) : [content as Child]),
  );
}

/** The one row of an empty table, saying why it is empty. */
export function emptyRow(columns: number, text: string): HTMLTableRowElement {
  return h('tr', { class: 'empty' }, h('td', { attrs: { colspan: String(columns) } }, text));
}

/** The table body's rows: one per item, or the one row that says there are none. */
export function rowsOf<T>(
  items: readonly T[],
  render: (item: T, index: number) => HTMLTableRowElement,
  columns: number,
  emptyText: string,
): HTMLTableRowElement[] {
  return items.length === 0 ? [emptyRow(columns, emptyText)] : items.map((item, i) => render(item, i));
}
