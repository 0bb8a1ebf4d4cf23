import { ROOT_CONTEXT, trace, TraceFlags, type Context } from '@opentelemetry/api';
import {
  SeverityNumber,
  type LogAttributes,
  type LogRecord,
  type Logger as RecordLogger,
} from '@opentelemetry/api-logs';
import pino from 'pino';
import { ATTRIBUTE } from './telemetry-names.js';

/**
 * A pino destination that writes each line to stdout (as pino does by default; tests give their own
 * stream) and hands it to an OpenTelemetry logger as a log record, which a BatchLogRecordProcessor
 * exports later, off the caller's path. The record is made from the line as written, so the
 * logger's redaction has already censored what must never leave the process.
 */
export function stdoutAndRecords(
  records: RecordLogger,
  stdout: pino.DestinationStream = pino.destination(1),
): pino.DestinationStream {
  return {
    write(line: string): void {
      stdout.write(line);
      records.emit(logRecordOf(line));
    },
  };
}

/** Fields every line has that the record carries elsewhere: its time, severity, body, resource or context. */
const NOT_ATTRIBUTES: ReadonlySet<string> = new Set([
  'time',
  'level',
  'msg',
  'pid',
  'service',
  'hostname',
  'trace_id',
  'span_id',
  'trace_flags',
  'event',
]);

/** pino's levels (10 trace … 60 fatal) as OpenTelemetry severity numbers. */
const SEVERITY: Readonly<Record<number, SeverityNumber>> = {
  10: SeverityNumber.TRACE,
  20: SeverityNumber.DEBUG,
  30: SeverityNumber.INFO,
  40: SeverityNumber.WARN,
  50: SeverityNumber.ERROR,
  60: SeverityNumber.FATAL,
};

/** Nested fields deeper than this go out as one JSON string rather than more dotted keys. */
const MAX_DEPTH = 4;

/**
 * One pino JSON line as an OTLP log record: severity from `level` (text: pino's label), body =
 * `msg`, the record's trace context from `trace_id`/`span_id`, `event: kind` as `event.name` (the
 * attribute and the record's event name), every other field an attribute, nested ones flattened
 * with dots (`err.message`).
 */
export function logRecordOf(line: string): LogRecord {
  const fields = JSON.parse(line) as Record<string, unknown>;
  const level = typeof fields['level'] === 'number' ? fields['level'] : 30;
  const attributes: LogAttributes = {};
  for (const [key, value] of Object.entries(fields)) if (!NOT_ATTRIBUTES.has(key)) flatten(attributes, key, value, 1);
  const event = fields['event'];
  if (typeof event === 'string') attributes[ATTRIBUTE.eventName] = event;
  return {
    timestamp: typeof fields['time'] === 'string' ? new Date(fields['time']) : new Date(),
    severityNumber: SEVERITY[level] ?? SeverityNumber.UNSPECIFIED,
    severityText: pino.levels.labels[level] ?? String(level),
    body: typeof fields['msg'] === 'string' ? fields['msg'] : '',
    attributes,
    context: traceContextOf(fields),
    ...(typeof event === 'string' ? { eventName: event } : {}),
  };
}

function flatten(into: LogAttributes, key: string, value: unknown, depth: number): void {
  if (value === null || value === undefined) return;
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') into[key] = value;
  else if (Array.isArray(value)) into[key] = value.every(isScalar) ? value : JSON.stringify(value);
  else if (typeof value === 'object' && depth < MAX_DEPTH)
    for (const [inner, v] of Object.entries(value)) flatten(into, `${key}.${inner}`, v, depth + 1);
  else into[key] = JSON.stringify(value);
}

function isScalar(value: unknown): value is string | number | boolean {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
}

/** The line's span (the logger's mixin wrote its ids), so the record leads to its trace; ROOT when none. */
function traceContextOf(fields: Record<string, unknown>): Context {
  const { trace_id: traceId, span_id: spanId, trace_flags: flags } = fields;
  if (typeof traceId !== 'string' || typeof spanId !== 'string') return ROOT_CONTEXT;
  const traceFlags = typeof flags === 'string' ? Number.parseInt(flags, 16) : TraceFlags.SAMPLED;
  return trace.setSpanContext(ROOT_CONTEXT, { traceId, spanId, traceFlags, isRemote: false });
}
