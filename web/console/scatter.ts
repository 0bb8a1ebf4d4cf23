import type { TraceView } from '../../src/services/console/api-shapes.js';
import { h } from './dom.js';
import { duration } from './format.js';
import { DOT_RADIUS, HEIGHT, layoutScatter, MARGIN, WIDTH } from './scatter-layout.js';

/*
 * The latency scatter above the trace list: one dot per trace found, at its start (x) and its
 * duration (y); a trace with an error is a red square, so it is told apart without colour too. Each
 * dot is a link to that trace, opened in the waterfall below. Inline SVG built node by node, its
 * look from styles.css (classes, no style attribute: the CSP forbids those).
 */

const SVG = 'http://www.w3.org/2000/svg';

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
