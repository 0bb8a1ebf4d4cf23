import type { TraceView } from '../../src/services/console/api-shapes.js';
import { dateTime, duration } from './format.js';

/* Where the latency scatter (scatter.ts) puts each trace: no DOM here, so unit tests run it as is. */

/** The drawing's own units; the SVG scales to the width of the page. */
export const WIDTH = 1000;
export const HEIGHT = 180;
export const MARGIN = { left: 70, right: 16, top: 12, bottom: 28 } as const;
export const DOT_RADIUS = 5;

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
