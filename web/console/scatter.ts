import type { TraceView } from '../../src/services/console/api-shapes.js';
import { h } from './dom.js';
import { dateTime, duration } from './format.js';

/*
 * The latency scatter above the trace list: one dot per trace found, at its start (x) and its
 * duration (y); a trace with an error is a red square, so it is told apart without colour too. Each
 * dot is a link to that trace, opened in the waterfall below. Inline SVG built node by node, its
 * look from styles.css (classes, no style attribute: the CSP forbids those).
 */

const SVG = 'http://www.w3.org/2000/svg';
/** The drawing's own units; the SVG scales to the width of the page. */
const WIDTH = 1000;
const HEIGHT = 180;
const MARGIN = { left: 70, right: 16, top: 12, bottom: 28 } as const;
const DOT_RADIUS = 5;

export interface ScatterDot {
  readonly traceId: string;
  readonly x: number;
  readonly y: number;
  readonly error: boolean;
  readonly label: string;
}

/** Where each trace goes: time across (earliest left), duration up from zero to the longest. */
export function layoutScatter(traces: readonly TraceView[]): {
  dots: ScatterDot[];
  fromMs: number;
  toMs: number;
  maxMs: number;
} {
  const starts = traces.map((trace) => Date.parse(trace.start));
  const fromMs = Math.min(...starts);
  const toMs = Math.max(...starts);
  const maxMs = Math.max(...traces.map((trace) => trace.durationMs), 1);
  const spanMs = toMs - fromMs || 1;
  // Inset by a dot, so none sits on an axis.
  const plotWidth = WIDTH - MARGIN.left - MARGIN.right - 2 * DOT_RADIUS;
  const plotHeight = HEIGHT - MARGIN.top - MARGIN.bottom - 2 * DOT_RADIUS;
  const dots = traces.map((trace, i) => ({
    traceId: trace.traceId,
    // A single trace (or all at one instant) sits in the middle.
    x:
      MARGIN.left +
      2 * DOT_RADIUS +
      (toMs === fromMs ? plotWidth / 2 : (((starts[i] ?? fromMs) - fromMs) / spanMs) * plotWidth),
    y: MARGIN.top + plotHeight - (trace.durationMs / maxMs) * plotHeight,
    error: trace.errorCount > 0,
    label: `${trace.rootService} ${trace.rootName}: ${duration(trace.durationMs)} at ${dateTime(trace.start)}${trace.errorCount > 0 ? `, ${trace.errorCount} error${trace.errorCount === 1 ? '' : 's'}` : ''}`,
  }));
  return { dots, fromMs, toMs, maxMs };
}

function svg<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attrs: Readonly<Record<string, string | number>>,
  ...children: (Node | string)[]
): SVGElementTagNameMap[K] {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, String(value));
  node.append(...children);
  return node;
}

/** The scatter of `traces`; `hrefOf(traceId)` is where a dot leads. */
export function renderScatter(traces: readonly TraceView[], hrefOf: (traceId: string) => string): HTMLElement {
  if (traces.length === 0) return h('p', { class: 'muted' }, 'No traces to plot.');
  const { dots, fromMs, toMs, maxMs } = layoutScatter(traces);
  const bottom = HEIGHT - MARGIN.bottom;
  const axes = [
    svg('line', { x1: MARGIN.left, y1: bottom, x2: WIDTH - MARGIN.right, y2: bottom, class: 'scatter-axis' }),
    svg('line', { x1: MARGIN.left, y1: MARGIN.top, x2: MARGIN.left, y2: bottom, class: 'scatter-axis' }),
    svg(
      'text',
      { x: MARGIN.left - 8, y: MARGIN.top + 10, 'text-anchor': 'end', class: 'scatter-label' },
      duration(maxMs),
    ),
    svg('text', { x: MARGIN.left - 8, y: bottom, 'text-anchor': 'end', class: 'scatter-label' }, '0'),
    svg('text', { x: MARGIN.left, y: HEIGHT - 6, class: 'scatter-label' }, clock(fromMs)),
    svg('text', { x: WIDTH - MARGIN.right, y: HEIGHT - 6, 'text-anchor': 'end', class: 'scatter-label' }, clock(toMs)),
  ];
  // Errors drawn last, so a red square is never hidden under a dot.
  const ordered = [...dots].sort((a, b) => Number(a.error) - Number(b.error));
  const marks = ordered.map((dot) =>
    svg(
      'a',
      { href: hrefOf(dot.traceId), class: 'scatter-dot', 'data-trace-id': dot.traceId, 'aria-label': dot.label },
      svg('title', {}, dot.label),
      dot.error
        ? svg('rect', {
            x: dot.x - DOT_RADIUS,
            y: dot.y - DOT_RADIUS,
            width: DOT_RADIUS * 2,
            height: DOT_RADIUS * 2,
            class: 'error',
          })
        : svg('circle', { cx: dot.x, cy: dot.y, r: DOT_RADIUS }),
    ),
  );
  const errors = dots.filter((dot) => dot.error).length;
  const picture = svg(
    'svg',
    {
      viewBox: `0 0 ${WIDTH} ${HEIGHT}`,
      class: 'scatter',
      role: 'group',
      'aria-label': `Latency of ${dots.length} traces (${errors} with errors): start time across, duration up`,
    },
    ...axes,
    ...marks,
  );
  return h('figure', { class: 'scatter-figure', attrs: { id: 'trace-scatter' } }, picture);
}

/** UTC clock time of an instant, as every time on the console. */
const clock = (ms: number): string => new Date(ms).toISOString().slice(11, 19);
