import type { SpanView, TraceView } from '../../src/services/console/api-shapes.js';

/** One line of the waterfall. Offsets are percentages of the whole time shown (all traces together). */
export interface WaterfallRow {
  readonly span: SpanView;
  /** 0 for a trace's top level: its root, a span whose parent is not here, or one started by a link. */
  readonly depth: number;
  /** Its parent is named but was not received (not yet exported, or dropped). */
  readonly orphan: boolean;
  readonly offsetPercent: number;
  readonly widthPercent: number;
}

export interface Waterfall {
  readonly rows: readonly WaterfallRow[];
  readonly startMs: number;
  readonly durationMs: number;
}

/**
 * Lays out the spans of `traces` on one time axis: traces in order of their first span, and within a
 * trace each span under its parent, siblings by start. Pure (no DOM), so it can be tested alone.
 * Bad data cannot hang it: a span listed twice is shown once, and a parent cycle is cut.
 */
export function layoutWaterfall(traces: readonly TraceView[]): Waterfall {
  const seen = new Set<string>();
  const groups = traces
    .map((trace) =>
      trace.spans.filter((span) => {
        const key = `${span.traceId}/${span.spanId}`;
        if (seen.has(key)) return false;
        seen.add(key);
        return true;
      }),
    )
    .filter((spans) => spans.length > 0);
  const all = groups.flat();
  if (all.length === 0) return { rows: [], startMs: 0, durationMs: 0 };
  const startMs = Math.min(...all.map((span) => span.startMs));
  const endMs = Math.max(...all.map((span) => span.startMs + Math.max(0, span.durationMs)));
  // A single instant (every span 0 ms) still needs a width to divide by.
  const durationMs = Math.max(endMs - startMs, 0.001);

  const byStart = (a: SpanView, b: SpanView): number => a.startMs - b.startMs || a.spanId.localeCompare(b.spanId);
  const rows: WaterfallRow[] = [];
  const firstStart = (spans: readonly SpanView[]): number => Math.min(...spans.map((span) => span.startMs));
  for (const spans of [...groups].sort((a, b) => firstStart(a) - firstStart(b))) {
    const ids = new Set(spans.map((span) => span.spanId));
    const children = new Map<string, SpanView[]>();
    const roots: SpanView[] = [];
    for (const span of spans) {
      if (span.parentSpanId === null || !ids.has(span.parentSpanId) || span.parentSpanId === span.spanId)
        roots.push(span);
      else children.set(span.parentSpanId, [...(children.get(span.parentSpanId) ?? []), span]);
    }
    const placed = new Set<string>();
    const visit = (span: SpanView, depth: number): void => {
      if (placed.has(span.spanId)) return;
      placed.add(span.spanId);
      rows.push({
        span,
        depth,
        orphan: depth === 0 && span.parentSpanId !== null,
        offsetPercent: ((span.startMs - startMs) / durationMs) * 100,
        widthPercent: (Math.max(0, span.durationMs) / durationMs) * 100,
      });
      for (const child of (children.get(span.spanId) ?? []).sort(byStart)) visit(child, depth + 1);
    };
    for (const root of roots.sort(byStart)) visit(root, 0);
    // Spans only reachable through a parent cycle: shown at the top level rather than lost.
    for (const span of [...spans].sort(byStart)) visit(span, 0);
  }
  return { rows, startMs, durationMs };
}
