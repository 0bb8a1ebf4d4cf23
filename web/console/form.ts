import { h } from './dom.js';

/**
 * Filter forms. Each control's `name` is its URL parameter: submitting turns the filled-in controls
 * into the view's hash (`#/logs?service=…`), so a filter is a link like any other.
 */
export interface FieldOptions {
  readonly id: string;
  readonly name: string;
  readonly label: string;
  readonly hint?: string;
  readonly mono?: boolean;
  readonly type?: 'text' | 'number' | 'search';
  readonly list?: string;
  readonly size?: 'narrow' | 'wide';
}

export function textField(options: FieldOptions): HTMLDivElement {
  const attrs: Record<string, string> = {
    id: options.id,
    name: options.name,
    type: options.type ?? 'text',
    autocomplete: 'off',
    spellcheck: 'false',
  };
  if (options.hint !== undefined) attrs['placeholder'] = options.hint;
  if (options.list !== undefined) attrs['list'] = options.list;
  if (options.type === 'number') attrs['min'] = '0';
  const classes = [options.mono === true ? 'mono' : '', options.size ?? ''].join(' ').trim();
  return h(
    'div',
    { class: 'field' },
    h('label', { attrs: { for: options.id } }, options.label),
    h('input', { class: classes, attrs }),
  );
}

/** A checkbox: checked is `name=1` in the hash, unchecked is no parameter. */
export function checkboxField(options: Pick<FieldOptions, 'id' | 'name' | 'label'>): HTMLDivElement {
  return h(
    'div',
    { class: 'field checkbox' },
    h('input', { attrs: { id: options.id, name: options.name, type: 'checkbox', value: '1' } }),
    h('label', { attrs: { for: options.id } }, options.label),
  );
}

export interface SelectOptions extends Pick<FieldOptions, 'id' | 'name' | 'label'> {
  readonly choices: readonly (readonly [value: string, text: string])[];
}

export function selectField(options: SelectOptions): HTMLDivElement {
  return h(
    'div',
    { class: 'field' },
    h('label', { attrs: { for: options.id } }, options.label),
    h(
      'select',
      { attrs: { id: options.id, name: options.name } },
      ...options.choices.map(([value, text]) => h('option', { attrs: { value } }, text)),
    ),
  );
}

/** The form's named controls, trimmed; blank ones are dropped by `hrefOf`. */
export function formValues(form: HTMLFormElement): Record<string, string> {
  const values: Record<string, string> = {};
  for (const control of form.querySelectorAll<HTMLInputElement | HTMLSelectElement>('input[name], select[name]'))
    values[control.name] = isCheckbox(control) ? (control.checked ? '1' : '') : control.value.trim();
  return values;
}

/** Puts the route's parameters back into the form (after a link or the back button brought us here). */
export function fillForm(form: HTMLFormElement, params: URLSearchParams): void {
  for (const control of form.querySelectorAll<HTMLInputElement | HTMLSelectElement>('input[name], select[name]')) {
    const value = params.get(control.name) ?? '';
    if (isCheckbox(control)) control.checked = value === '1';
    else if (control instanceof HTMLSelectElement && ![...control.options].some((option) => option.value === value))
      control.value = '';
    else control.value = value;
  }
}

const isCheckbox = (control: HTMLInputElement | HTMLSelectElement): control is HTMLInputElement =>
  control instanceof HTMLInputElement && control.type === 'checkbox';

/**
 * Submitting navigates to `href(values)`. The same hash again (searching anew for the same thing)
 * fires no `hashchange`, so `again` runs instead.
 */
export function onSubmit(
  form: HTMLFormElement,
  href: (values: Record<string, string>) => string,
  again: () => void,
): void {
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const target = href(formValues(form));
    if (target === location.hash) again();
    else location.hash = target;
  });
}

/** The form's submit button and what goes beside it (a link back to the unfiltered view). */
export function buttons(submit: string, beside: HTMLElement): HTMLDivElement {
  return h(
    'div',
    { class: 'field buttons' },
    h('button', { class: 'primary', attrs: { type: 'submit' } }, submit),
    beside,
  );
}

/** The non-empty `names` of the page's parameters, as an API query. */
export function queryOf(params: URLSearchParams, names: readonly string[]): URLSearchParams {
  const query = new URLSearchParams();
  for (const name of names) if ((params.get(name) ?? '') !== '') query.set(name, params.get(name) ?? '');
  return query;
}
