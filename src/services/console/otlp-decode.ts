import { isAbsolute, join } from 'node:path';
import protobuf from 'protobufjs';
import type { StoredInstance, StoredLog, StoredPoint, StoredSpan, TelemetryAttributes } from '../../ports/index.js';
import { ATTRIBUTE, packageRoot } from '../../runtime/index.js';
import { instanceRecord, versionAttributes } from './instance-origin.js';
import { processAttributes, seriesStartAttributes } from './point-origin.js';

/*
 * OTLP/HTTP requests in both encodings become the same plain objects (the protobuf JSON mapping:
 * camelCase fields, 64-bit integers as strings), then the rows the console stores. The one
 * difference the encodings keep is ids: bytes (base64 after toObject) in protobuf, hex in JSON.
 */

export type Signal = 'traces' | 'metrics' | 'logs';
export type Encoding = 'protobuf' | 'json';

interface AnyValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: string | number;
  doubleValue?: number;
  arrayValue?: { values?: AnyValue[] };
  kvlistValue?: { values?: KeyValue[] };
  bytesValue?: string;
}
interface KeyValue {
  key: string;
  value?: AnyValue;
}
type Nanos = string | number;
interface Resource {
  attributes?: KeyValue[];
}
interface OtlpSpan {
  traceId?: string;
  spanId?: string;
  parentSpanId?: string;
  name?: string;
  kind?: number;
  startTimeUnixNano?: Nanos;
  endTimeUnixNano?: Nanos;
  attributes?: KeyValue[];
  events?: { timeUnixNano?: Nanos; name?: string; attributes?: KeyValue[] }[];
  links?: { traceId?: string; spanId?: string }[];
  status?: { code?: number; message?: string };
}
interface OtlpLogRecord {
  timeUnixNano?: Nanos;
  observedTimeUnixNano?: Nanos;
  severityNumber?: number;
  body?: AnyValue;
  attributes?: KeyValue[];
  traceId?: string;
  spanId?: string;
  eventName?: string;
}
interface NumberPoint {
  attributes?: KeyValue[];
  startTimeUnixNano?: Nanos;
  timeUnixNano?: Nanos;
  asDouble?: number;
  asInt?: string | number;
}
interface HistogramPoint {
  attributes?: KeyValue[];
  startTimeUnixNano?: Nanos;
  timeUnixNano?: Nanos;
  count?: string | number;
  sum?: number;
  bucketCounts?: (string | number)[];
  explicitBounds?: number[];
}
interface OtlpMetric {
  name?: string;
  unit?: string;
  gauge?: { dataPoints?: NumberPoint[] };
  sum?: { dataPoints?: NumberPoint[] };
  histogram?: { dataPoints?: HistogramPoint[] };
}
interface TracesRequest {
  resourceSpans?: { resource?: Resource; scopeSpans?: { spans?: OtlpSpan[] }[] }[];
}
interface LogsRequest {
  resourceLogs?: { resource?: Resource; scopeLogs?: { logRecords?: OtlpLogRecord[] }[] }[];
}
interface MetricsRequest {
  resourceMetrics?: { resource?: Resource; scopeMetrics?: { metrics?: OtlpMetric[] }[] }[];
}

/** A request the receiver cannot read: answered 400, as OTLP/HTTP says. */
export class OtlpDecodeError extends Error {}

const REQUEST_TYPES: Record<Signal, string> = {
  traces: 'opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest',
  metrics: 'opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest',
  logs: 'opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest',
};

let protoRoot: protobuf.Root | undefined;
/** The OTLP protobuf definitions (proto/ at the package root), loaded once on first use. */
function requestType(signal: Signal): protobuf.Type {
  if (protoRoot === undefined) {
    const dir = join(packageRoot(), 'proto');
    const root = new protobuf.Root();
    root.resolvePath = (_origin, target) => (isAbsolute(target) ? target : join(dir, target));
    root.loadSync([
      'opentelemetry/proto/collector/trace/v1/trace_service.proto',
      'opentelemetry/proto/collector/metrics/v1/metrics_service.proto',
      'opentelemetry/proto/collector/logs/v1/logs_service.proto',
    ]);
    protoRoot = root;
  }
  return protoRoot.lookupType(REQUEST_TYPES[signal]);
}

/** The request as the protobuf JSON mapping's plain object, from either encoding. */
function plainRequest(signal: Signal, body: Buffer, encoding: Encoding): unknown {
  try {
    if (encoding === 'json') return JSON.parse(body.toString('utf8'));
    const type = requestType(signal);
    return type.toObject(type.decode(body), { longs: String, enums: Number, bytes: String, arrays: true });
  } catch (error) {
    throw new OtlpDecodeError(
      `not an OTLP ${signal} request in ${encoding}: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

export interface Decoded {
  readonly spans: StoredSpan[];
  readonly logs: StoredLog[];
  readonly points: StoredPoint[];
  /** Who sent them: each resource's process, with its host and version (instance-origin.ts). */
  readonly instances: StoredInstance[];
}

/** Decodes one OTLP/HTTP request body into rows to store. */
export function decodeOtlp(signal: Signal, body: Buffer, encoding: Encoding): Decoded {
  const request = plainRequest(signal, body, encoding);
  if (typeof request !== 'object' || request === null)
    throw new OtlpDecodeError(`not an OTLP ${signal} request: the body is not an object`);
  const id = encoding === 'json' ? hexId : base64Id;
  try {
    switch (signal) {
      case 'traces': {
        const { rows, instances } = perResource(
          (request as TracesRequest).resourceSpans,
          (r) => spansOf(r, id),
          (s) => s.startMs,
        );
        return { spans: rows, logs: [], points: [], instances };
      }
      case 'logs': {
        const { rows, instances } = perResource(
          (request as LogsRequest).resourceLogs,
          (r) => logsOf(r, id),
          (l) => l.timeMs,
        );
        return { spans: [], logs: rows, points: [], instances };
      }
      case 'metrics': {
        const { rows, instances } = perResource((request as MetricsRequest).resourceMetrics, pointsOf, (p) => p.timeMs);
        return { spans: [], logs: [], points: rows, instances };
      }
    }
  } catch (error) {
    // JSON from anywhere may have any shape: a field of the wrong type is the sender's error.
    throw new OtlpDecodeError(
      `not an OTLP ${signal} request: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

/** Each resource's rows, and the record of the process that sent them (when and as what it was heard). */
function perResource<R extends { resource?: Resource }, T>(
  resources: readonly R[] | undefined,
  rowsOf: (resource: R) => T[],
  timeOf: (row: T) => number,
): { rows: T[]; instances: StoredInstance[] } {
  const rows: T[] = [];
  const instances: StoredInstance[] = [];
  for (const one of resources ?? []) {
    const found = rowsOf(one);
    for (const row of found) rows.push(row); // not push(...found): a Collector's batch may hold more rows than a call has arguments
    instances.push(...instanceRecord(origin(one.resource), flatten(one.resource?.attributes), found.map(timeOf)));
  }
  return { rows, instances };
}

type IdReader = (value: string | undefined) => string | null;

function hexId(value: string | undefined): string | null {
  return value === undefined || value === '' || /^0+$/.test(value) ? null : value.toLowerCase();
}

function base64Id(value: string | undefined): string | null {
  return hexId(value === undefined ? undefined : Buffer.from(value, 'base64').toString('hex'));
}

/** Who sent it: `service.name`, and the process (`service.instance.id`, else host:pid). */
function origin(resource: Resource | undefined): { service: string; instance: string } {
  const attributes = flatten(resource?.attributes);
  const text = (key: string): string | undefined =>
    attributes[key] === undefined ? undefined : String(attributes[key]);
  const pid = text('process.pid');
  const fallback = pid === undefined ? 'unknown' : `${text('host.name') ?? 'host'}:${pid}`;
  return { service: text('service.name') ?? 'unknown_service', instance: text('service.instance.id') ?? fallback };
}

function flatten(keyValues: readonly KeyValue[] | undefined): TelemetryAttributes {
  const out: TelemetryAttributes = {};
  for (const { key, value } of keyValues ?? []) {
    const flat = value === undefined ? undefined : scalar(value);
    if (flat !== undefined) out[key] = flat;
  }
  return out;
}

function scalar(value: AnyValue): string | number | boolean | undefined {
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.boolValue !== undefined) return value.boolValue;
  if (value.intValue !== undefined) return Number(value.intValue);
  if (value.doubleValue !== undefined) return value.doubleValue;
  if (value.arrayValue !== undefined) return JSON.stringify((value.arrayValue.values ?? []).map(scalar));
  if (value.kvlistValue !== undefined) return JSON.stringify(flatten(value.kvlistValue.values));
  if (value.bytesValue !== undefined) return value.bytesValue;
  return undefined;
}

/** Unix nanoseconds (a decimal string or a number) as fractional milliseconds. */
function millis(nanos: Nanos | undefined): number {
  if (nanos === undefined || nanos === '') return 0;
  const n = BigInt(typeof nanos === 'number' ? Math.round(nanos) : nanos);
  return Number(n / 1000n) / 1000;
}

const text = (value: AnyValue | undefined): string => {
  if (value === undefined) return '';
  const flat = scalar(value);
  return flat === undefined ? '' : String(flat);
};

type ResourceSpans = NonNullable<TracesRequest['resourceSpans']>[number];
type ResourceLogs = NonNullable<LogsRequest['resourceLogs']>[number];
type ResourceMetrics = NonNullable<MetricsRequest['resourceMetrics']>[number];

function spansOf({ resource, scopeSpans }: ResourceSpans, id: IdReader): StoredSpan[] {
  const spans: StoredSpan[] = [];
  const from = origin(resource);
  for (const scope of scopeSpans ?? []) {
    for (const span of scope.spans ?? []) {
      const traceId = id(span.traceId);
      const spanId = id(span.spanId);
      if (traceId === null || spanId === null) continue; // not a span anyone could find
      const attributes = flatten(span.attributes);
      const startMs = millis(span.startTimeUnixNano);
      const messageId = attributes['messaging.message.id'];
      spans.push({
        traceId,
        spanId,
        parentSpanId: id(span.parentSpanId),
        ...from,
        name: span.name ?? '',
        kind: span.kind ?? 0,
        startMs,
        durationMs: Math.max(0, millis(span.endTimeUnixNano) - startMs),
        statusCode: span.status?.code ?? 0,
        statusMessage: span.status?.message ?? '',
        attributes,
        events: (span.events ?? []).map((event) => ({
          name: event.name ?? '',
          timeMs: millis(event.timeUnixNano),
          attributes: flatten(event.attributes),
        })),
        links: (span.links ?? []).flatMap((link) => {
          const linkedTrace = id(link.traceId);
          const linkedSpan = id(link.spanId);
          return linkedTrace === null || linkedSpan === null ? [] : [{ traceId: linkedTrace, spanId: linkedSpan }];
        }),
        // A message's id is `<wish id>.<what happened>` (see createEnvelope's callers).
        wishId:
          stringOrNull(attributes[ATTRIBUTE.wishId]) ??
          (typeof messageId === 'string' ? (messageId.split('.')[0] ?? null) : null),
        evacueeId: stringOrNull(attributes[ATTRIBUTE.evacueeId]),
      });
    }
  }
  return spans;
}

const stringOrNull = (value: string | number | boolean | undefined): string | null =>
  typeof value === 'string' && value !== '' ? value : null;

function logsOf({ resource, scopeLogs }: ResourceLogs, id: IdReader): StoredLog[] {
  const logs: StoredLog[] = [];
  const from = origin(resource);
  for (const scope of scopeLogs ?? []) {
    for (const record of scope.logRecords ?? []) {
      const attributes = flatten(record.attributes);
      const time = millis(record.timeUnixNano);
      logs.push({
        timeMs: time > 0 ? time : millis(record.observedTimeUnixNano),
        ...from,
        severity: record.severityNumber ?? 0,
        body: text(record.body),
        traceId: id(record.traceId),
        spanId: id(record.spanId),
        attributes,
        eventName: stringOrNull(record.eventName) ?? stringOrNull(attributes[ATTRIBUTE.eventName]),
      });
    }
  }
  return logs;
}

/**
 * A metric's points with what the console needs to count them (point-origin.ts): each carries the
 * pid of the process that sent it (and its version, instance-origin.ts) and, for a sum or a histogram, when its series began. A gauge's
 * start time says nothing about its value and is not kept.
 */
function pointsOf({ resource, scopeMetrics }: ResourceMetrics): StoredPoint[] {
  const points: StoredPoint[] = [];
  const from = origin(resource);
  const resourceAttributes = flatten(resource?.attributes);
  const sender = { ...processAttributes(resourceAttributes), ...versionAttributes(resourceAttributes) };
  const attributesOf = (point: NumberPoint | HistogramPoint, cumulative: boolean): TelemetryAttributes => ({
    ...sender,
    ...(cumulative ? seriesStartAttributes(millis(point.startTimeUnixNano)) : {}),
    ...flatten(point.attributes),
  });
  for (const scope of scopeMetrics ?? []) {
    for (const metric of scope.metrics ?? []) {
      const name = metric.name ?? '';
      const unit = metric.unit ?? '';
      const numbers = (kind: 'gauge' | 'sum', dataPoints: NumberPoint[] | undefined): void => {
        for (const point of dataPoints ?? []) {
          const value = point.asDouble ?? Number(point.asInt ?? 0);
          points.push({
            ...from,
            name,
            unit,
            kind,
            timeMs: millis(point.timeUnixNano),
            attributes: attributesOf(point, kind === 'sum'),
            value,
            count: 0,
            bounds: [],
            buckets: [],
          });
        }
      };
      numbers('gauge', metric.gauge?.dataPoints);
      numbers('sum', metric.sum?.dataPoints);
      for (const point of metric.histogram?.dataPoints ?? []) {
        points.push({
          ...from,
          name,
          unit,
          kind: 'histogram',
          timeMs: millis(point.timeUnixNano),
          attributes: attributesOf(point, true),
          value: point.sum ?? 0,
          count: Number(point.count ?? 0),
          bounds: point.explicitBounds ?? [],
          buckets: (point.bucketCounts ?? []).map(Number),
        });
      }
    }
  }
  return points;
}
