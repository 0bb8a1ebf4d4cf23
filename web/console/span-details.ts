import type { Attributes, SpanEvent, SpanLink, SpanView } from '../../src/services/console/api-shapes.js';
import { h, link } from './dom.js';
import { attributeText, duration } from './format.js';
import { hrefOf } from './router.js';

/** Logs this far either side of a span's start. */
const LOG_WINDOW = '3s';
/** Attributes whose value is a wish id: shown as a link to the wish's journey. */
const WISH_ID_ATTRIBUTE = 'exodus.wish.id';

/**
 * One span in full: where it ran, its attributes, its events (an exception with its stack trace),
 * its links to other traces, and the logs around it. Every value is text: spans carry what
 * evacuees typed.
 */
export function renderSpanDetails(span: SpanView): HTMLElement {
  return h(
    'div',
    { class: 'span-details-body' },
    h(
      'h4',
      {},
      span.name,
      ' ',
      h('span', { class: `status-${span.status}` }, span.status === 'error' ? '(error)' : ''),
    ),
    h(
      'dl',
      { class: 'facts' },
      ...fact('Service', span.service),
      ...fact('Instance', span.instance),
      ...fact('Kind', span.kind),
      ...fact('Status', span.statusMessage === '' ? span.status : `${span.status}: ${span.statusMessage}`),
      ...fact('Start', span.start),
      ...fact('Duration', duration(span.durationMs)),
      ...fact('Trace id', span.traceId, true),
      ...fact('Span id', span.spanId, true),
      ...(span.parentSpanId === null ? [] : fact('Parent span id', span.parentSpanId, true)),
    ),
    h(
      'p',
      { class: 'actions' },
      link(
        hrefOf('logs', { around: span.start, window: LOG_WINDOW, service: span.service }),
        `Logs of ${span.service} ±3 s`,
        { class: 'logs-around' },
      ),
      ' ',
      link(hrefOf('logs', { trace: span.traceId }), 'Logs of this trace', { class: 'logs-of-trace' }),
    ),
    h('h5', {}, 'Attributes'),
    attributeTable(span.attributes, 'Span attributes'),
    h('h5', {}, 'Events'),
    span.events.length === 0
      ? none()
      : h('ol', { class: 'span-events' }, ...span.events.map((event) => eventItem(event, span))),
    h('h5', {}, 'Links'),
    span.links.length === 0 ? none() : h('ul', { class: 'span-links' }, ...span.links.map(linkItem)),
  );
}

function none(): HTMLParagraphElement {
  return h('p', { class: 'muted' }, 'None.');
}

/** A link to another trace (the batch that carried this message, the request that sent it). */
function linkItem(spanLink: SpanLink): HTMLLIElement {
  const target = link(
    hrefOf('traces', { trace: spanLink.traceId }),
    h('span', { class: 'mono' }, `trace ${spanLink.traceId}`),
  );
  return h('li', {}, target, h('span', { class: 'mono muted' }, ` span ${spanLink.spanId}`));
}

function fact(term: string, value: string, mono = false): HTMLElement[] {
  return [h('dt', {}, term), h('dd', { class: mono ? 'mono' : '' }, value)];
}

function attributeTable(attributes: Attributes, label: string): HTMLElement {
  const entries = Object.entries(attributes);
  if (entries.length === 0) return none();
  return h(
    'table',
    { class: 'data attributes', attrs: { 'aria-label': label } },
    h(
      'tbody',
      {},
      ...entries.map(([key, value]) => {
        const text = attributeText(value);
        const shown = key === WISH_ID_ATTRIBUTE ? link(hrefOf('traces', { wish: text }), text) : text;
        return h(
          'tr',
          {},
          h('th', { class: 'mono', attrs: { scope: 'row' } }, key),
          h('td', { class: 'mono value' }, shown),
        );
      }),
    ),
  );
}

function eventItem(event: SpanEvent, span: SpanView): HTMLLIElement {
  const offset = Date.parse(event.time) - span.startMs;
  const when = Number.isFinite(offset) ? `+${duration(Math.max(0, offset))}` : event.time;
  const heading = [h('span', { class: 'event-name' }, event.name), h('span', { class: 'muted' }, ` ${when}`)];
  if (event.name !== 'exception') {
    return h(
      'li',
      { attrs: { 'data-event': event.name } },
      ...heading,
      attributeTable(event.attributes, `Attributes of ${event.name}`),
    );
  }
  const {
    'exception.type': type,
    'exception.message': message,
    'exception.stacktrace': stack,
    ...rest
  } = event.attributes;
  return h(
    'li',
    { class: 'exception', attrs: { 'data-event': 'exception' } },
    ...heading,
    h(
      'p',
      { class: 'exception-line' },
      h('strong', { class: 'exception-type' }, type === undefined ? 'Error' : attributeText(type)),
      ': ',
      h('span', { class: 'exception-message' }, message === undefined ? '' : attributeText(message)),
    ),
    stack === undefined ? null : h('pre', { class: 'stacktrace' }, attributeText(stack)),
    Object.keys(rest).length === 0 ? null : attributeTable(rest, 'Other attributes of the exception'),
  );
}
