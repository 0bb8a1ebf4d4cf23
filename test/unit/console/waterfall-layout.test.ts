import { describe, expect, it } from 'vitest';
import type { SpanView, TraceView } from '../../../src/services/console/api-shapes.js';
import { layoutWaterfall } from '../../../web/console/waterfall-layout.js';

const span = (
  traceId: string,
  spanId: string,
  parentSpanId: string | null,
  startMs: number,
  durationMs: number,
): SpanView => ({
  traceId,
  spanId,
  parentSpanId,
  service: 's',
  instance: 'i',
  name: spanId,
  kind: 'internal',
  start: new Date(startMs).toISOString(),
  startMs,
  durationMs,
  status: 'unset',
  statusMessage: '',
  attributes: {},
  events: [],
  links: [],
});
const traceOf = (traceId: string, spans: SpanView[]): TraceView => ({
  traceId,
  rootService: 's',
  rootName: 'r',
  start: '',
  durationMs: 0,
  errorCount: 0,
  spans,
});

describe('the waterfall layout', () => {
  it('nests each span under its parent and places bars on one time axis across traces', () => {
    const { rows, durationMs } = layoutWaterfall([
      traceOf('t1', [span('t1', 'child', 'root', 10, 20), span('t1', 'root', null, 0, 50)]),
      traceOf('t2', [span('t2', 'batch', 'gone', 50, 50)]),
    ]);
    expect(durationMs).toBe(100);
    expect(rows.map((r) => [r.span.spanId, r.depth])).toEqual([
      ['root', 0],
      ['child', 1],
      ['batch', 0],
    ]);
    expect(rows.find((r) => r.span.spanId === 'child')).toMatchObject({ offsetPercent: 10, widthPercent: 20 });
    expect(rows.find((r) => r.span.spanId === 'batch')?.orphan).toBe(true);
  });

  it('shows a span listed twice once, and cuts a parent cycle instead of hanging', () => {
    const { rows } = layoutWaterfall([
      traceOf('t', [span('t', 'a', 'b', 0, 1), span('t', 'b', 'a', 1, 1), span('t', 'a', 'b', 0, 1)]),
    ]);
    expect(rows.map((r) => r.span.spanId).sort()).toEqual(['a', 'b']);
  });
});
