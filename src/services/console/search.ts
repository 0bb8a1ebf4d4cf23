import type { StoredLog, StoredSpan, TelemetryStore } from '../../ports/index.js';
import { ATTRIBUTE, serviceNameOf } from '../../runtime/index.js';
import { SERVICES } from '../names.js';
import {
  LOG_LEVELS,
  type EventView,
  type LogLevel,
  type LogLine,
  type SpanView,
  type TraceView,
} from './api-shapes.js';
import { parseAttributeMatches } from './attribute-query.js';
import { groupBy } from './metric-math.js';
import { hidesLoneNoise, LONE_NOISE } from './trace-noise.js';

export interface TraceSearch {
  readonly wish?: string | undefined;
  readonly trace?: string | undefined;
  readonly evacuee?: string | undefined;
  readonly service?: string | undefined;
  readonly status?: 'unset' | 'ok' | 'error' | undefined;
  /** The HTTP status code a span answered with (`http.response.status_code`). */
  readonly httpStatus?: number | undefined;
  /** `key=value` terms, all on one span. */
  readonly where?: readonly string[] | undefined;
  readonly minDurationMs?: number | undefined;
  /** `1` or `true`: also the lone receive and scrape spans (see trace-noise.ts). */
  readonly all?: '1' | 'true' | '0' | 'false' | undefined;
  readonly limit: number;
}

/** The attribute that carries a span's HTTP status code (OpenTelemetry's HTTP conventions). */
const HTTP_STATUS_CODE = 'http.response.status_code';

const STATUS = ['unset', 'ok', 'error'] as const;
const KINDS = ['internal', 'internal', 'server', 'client', 'producer', 'consumer'] as const;

/**
 * Traces matching the search, newest first; lone receive and scrape spans are left out unless
 * asked for (trace-noise.ts). A search for a wish or an evacuee also brings the
 * traces its spans are linked with, both ways (a batch that carried the wish links to it; a span
 * may link to the batch it came in), so the whole journey is in the answer.
 */
export function searchTraces(store: TelemetryStore, search: TraceSearch): TraceView[] {
  const found =
    search.trace !== undefined
      ? [search.trace.toLowerCase()]
      : store.findTraceIds({
          wishId: search.wish,
          evacueeId: search.evacuee,
          service: otelServiceName(search.service),
          statusCode: search.status === undefined ? undefined : STATUS.indexOf(search.status),
          minDurationMs: search.minDurationMs,
          attributes: [
            ...parseAttributeMatches(search.where),
            ...(search.httpStatus === undefined ? [] : [{ key: HTTP_STATUS_CODE, value: String(search.httpStatus) }]),
          ],
          hideLone: hidesLoneNoise({ ...search, all: search.all === '1' || search.all === 'true' })
            ? LONE_NOISE
            : undefined,
          limit: search.limit,
        });
  let spans = store.spansOf(found);
  if (search.wish !== undefined || search.evacuee !== undefined || search.trace !== undefined) {
    const known = new Set(found);
    const linked = new Set(
      [...store.tracesLinkingTo(found), ...spans.flatMap((span) => span.links.map((link) => link.traceId))].filter(
        (id) => !known.has(id),
      ),
    );
    spans = [...spans, ...store.spansOf([...linked])];
  }
  return [...groupBy(spans, (span) => span.traceId).entries()]
    .map(([traceId, list]) => traceView(traceId, list))
    .sort((a, b) => b.start.localeCompare(a.start));
}

function traceView(traceId: string, spans: readonly StoredSpan[]): TraceView {
  const ids = new Set(spans.map((span) => span.spanId));
  const root = spans.find((span) => span.parentSpanId === null || !ids.has(span.parentSpanId)) ?? spans[0];
  const start = Math.min(...spans.map((span) => span.startMs));
  const end = Math.max(...spans.map((span) => span.startMs + span.durationMs));
  return {
    traceId,
    rootService: root?.service ?? '',
    rootName: root?.name ?? '',
    start: new Date(start).toISOString(),
    durationMs: end - start,
    errorCount: spans.filter((span) => span.statusCode === 2).length,
    spans: spans.map(spanView),
  };
}

function spanView(span: StoredSpan): SpanView {
  return {
    traceId: span.traceId,
    spanId: span.spanId,
    parentSpanId: span.parentSpanId,
    service: span.service,
    instance: span.instance,
    name: span.name,
    kind: KINDS[span.kind] ?? 'internal',
    start: new Date(span.startMs).toISOString(),
    startMs: span.startMs,
    durationMs: span.durationMs,
    status: STATUS[span.statusCode] ?? 'unset',
    statusMessage: span.statusMessage,
    attributes: span.attributes,
    events: span.events.map((event) => ({
      name: event.name,
      time: new Date(event.timeMs).toISOString(),
      attributes: event.attributes,
    })),
    links: span.links,
  };
}

/** OTLP severity numbers: each level is a band of four, starting at these. */
const SEVERITY_FLOOR: Readonly<Record<LogLevel, number>> = {
  trace: 1,
  debug: 5,
  info: 9,
  warn: 13,
  error: 17,
  fatal: 21,
};

function levelOf(severity: number): LogLevel {
  let level: LogLevel = 'info'; // a sender that gave no severity: treat as information
  for (const name of LOG_LEVELS) if (severity >= SEVERITY_FLOOR[name]) level = name;
  return level;
}

export interface LogSearch {
  readonly service?: string | undefined;
  readonly instance?: string | undefined;
  readonly level?: LogLevel | undefined;
  readonly q?: string | undefined;
  /** Lines within `windowMs` either side of this time. */
  readonly aroundMs?: number | undefined;
  readonly windowMs: number;
  readonly trace?: string | undefined;
  readonly limit: number;
}

export function searchLogs(store: TelemetryStore, search: LogSearch): LogLine[] {
  return store
    .logs({
      service: otelServiceName(search.service),
      instance: search.instance,
      minSeverity: search.level === undefined ? undefined : SEVERITY_FLOOR[search.level],
      words: search.q?.split(/\s+/).filter((word) => word !== ''),
      fromMs: search.aroundMs === undefined ? undefined : search.aroundMs - search.windowMs,
      toMs: search.aroundMs === undefined ? undefined : search.aroundMs + search.windowMs,
      traceId: search.trace?.toLowerCase(),
      // Without a time window, the newest lines (shown oldest first, like a terminal).
      newestFirst: search.aroundMs === undefined,
      limit: search.limit,
    })
    .map(logLine)
    .sort((a, b) => a.time.localeCompare(b.time));
}

function logLine(log: StoredLog): LogLine {
  return {
    time: new Date(log.timeMs).toISOString(),
    service: log.service,
    instance: log.instance,
    level: log.severity === 0 ? 'info' : levelOf(log.severity),
    message: log.body,
    traceId: log.traceId,
    spanId: log.spanId,
    attributes: log.attributes,
  };
}

export function searchEvents(
  store: TelemetryStore,
  search: { sinceMs?: number | undefined; kind?: string | undefined; limit: number },
): EventView[] {
  return store
    .logs({ events: { kind: search.kind }, fromMs: search.sinceMs, newestFirst: true, limit: search.limit })
    .map((log) => {
      const { [ATTRIBUTE.eventName]: _kind, ...detail } = log.attributes;
      return {
        time: new Date(log.timeMs).toISOString(),
        kind: log.eventName ?? '',
        service: String(log.attributes[ATTRIBUTE.service] ?? log.service),
        process: String(log.attributes[ATTRIBUTE.process] ?? log.instance),
        detail,
        traceId: log.traceId,
      };
    });
}

/**
 * A service as the telemetry names it: `worker` (as every CLI verb and the supervisor say it) is
 * `exodus-worker`; a name given whole (or another sender's) is kept.
 */
export function otelServiceName(service: string | undefined): string | undefined {
  return service !== undefined && (SERVICES as readonly string[]).includes(service) ? serviceNameOf(service) : service;
}
