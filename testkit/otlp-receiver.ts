import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** An OTLP/JSON attribute value (ints may come as numbers or strings). */
interface JsonValue {
  readonly stringValue?: string;
  readonly intValue?: number | string;
  readonly doubleValue?: number;
  readonly boolValue?: boolean;
}
type JsonAttributes = readonly { readonly key: string; readonly value: JsonValue }[];
type Flat = Record<string, string | number | boolean>;

interface Body {
  readonly resourceSpans?: readonly {
    resource: { attributes: JsonAttributes };
    scopeSpans: readonly {
      spans: readonly { traceId: string; spanId: string; name: string; attributes?: JsonAttributes }[];
    }[];
  }[];
  readonly resourceLogs?: readonly {
    resource: { attributes: JsonAttributes };
    scopeLogs: readonly {
      logRecords: readonly {
        severityNumber?: number;
        severityText?: string;
        body?: JsonValue;
        attributes?: JsonAttributes;
        traceId?: string;
        spanId?: string;
        eventName?: string;
      }[];
    }[];
  }[];
  readonly resourceMetrics?: readonly {
    resource: { attributes: JsonAttributes };
    scopeMetrics: readonly {
      metrics: readonly {
        name: string;
        gauge?: { dataPoints: readonly JsonPoint[] };
        sum?: { dataPoints: readonly JsonPoint[] };
      }[];
    }[];
  }[];
}
interface JsonPoint {
  readonly attributes?: JsonAttributes;
  readonly asInt?: number | string;
  readonly asDouble?: number;
}

/** One OTLP/HTTP request a receiver got: its path, headers and JSON body. */
export interface Received {
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Body;
  /** The body as sent, to look for what must never be in it. */
  readonly raw: string;
}

export interface SpanSeen {
  readonly service: string;
  readonly traceId: string;
  readonly name: string;
  readonly attributes: Flat;
}
export interface LogSeen {
  readonly resource: Flat;
  readonly severityNumber: number;
  readonly severityText: string;
  readonly body: string;
  readonly attributes: Flat;
  readonly traceId: string;
  readonly spanId: string;
  readonly eventName: string | undefined;
}
export interface PointSeen {
  readonly service: string;
  readonly metric: string;
  readonly attributes: Flat;
  readonly value: number;
}

/**
 * A stand-in for a vendor's OTLP/HTTP JSON intake (send it `OTEL_EXPORTER_OTLP_PROTOCOL=http/json`),
 * keeping everything it receives and reading it back flattened: spans, log records, metric points,
 * each with its resource's `service.name`.
 */
export class OtlpReceiver {
  private constructor(
    private readonly server: Server,
    readonly url: string,
    readonly received: Received[],
  ) {}

  static async start(): Promise<OtlpReceiver> {
    const received: Received[] = [];
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const raw = Buffer.concat(chunks).toString();
        received.push({ path: req.url ?? '', headers: req.headers, body: JSON.parse(raw || '{}') as Body, raw });
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    return new OtlpReceiver(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received);
  }

  close(): void {
    this.server.close();
  }

  spans(): SpanSeen[] {
    return this.bodies('/v1/traces').flatMap((body) =>
      (body.resourceSpans ?? []).flatMap(({ resource, scopeSpans }) =>
        scopeSpans.flatMap((scope) =>
          scope.spans.map((span) => ({
            service: serviceOf(resource.attributes),
            traceId: span.traceId,
            name: span.name,
            attributes: flat(span.attributes),
          })),
        ),
      ),
    );
  }

  logs(): LogSeen[] {
    return this.bodies('/v1/logs').flatMap((body) =>
      (body.resourceLogs ?? []).flatMap(({ resource, scopeLogs }) =>
        scopeLogs.flatMap((scope) =>
          scope.logRecords.map((record) => ({
            resource: flat(resource.attributes),
            severityNumber: record.severityNumber ?? 0,
            severityText: record.severityText ?? '',
            body: String(valueOf(record.body ?? {}) ?? ''),
            attributes: flat(record.attributes),
            traceId: record.traceId ?? '',
            spanId: record.spanId ?? '',
            eventName: record.eventName,
          })),
        ),
      ),
    );
  }

  /** Log records that are events (`event.name`), of one kind. */
  events(kind: string): LogSeen[] {
    return this.logs().filter((record) => record.attributes['event.name'] === kind);
  }

  points(): PointSeen[] {
    return this.bodies('/v1/metrics').flatMap((body) =>
      (body.resourceMetrics ?? []).flatMap(({ resource, scopeMetrics }) =>
        scopeMetrics.flatMap((scope) =>
          scope.metrics.flatMap((metric) =>
            [...(metric.gauge?.dataPoints ?? []), ...(metric.sum?.dataPoints ?? [])].map((point) => ({
              service: serviceOf(resource.attributes),
              metric: metric.name,
              attributes: flat(point.attributes),
              value: Number(point.asInt ?? point.asDouble ?? Number.NaN),
            })),
          ),
        ),
      ),
    );
  }

  private bodies(path: string): Body[] {
    return this.received.filter((r) => r.path === path).map((r) => r.body);
  }
}

function valueOf(value: JsonValue): string | number | boolean | undefined {
  if (value.intValue !== undefined) return Number(value.intValue);
  return value.stringValue ?? value.doubleValue ?? value.boolValue;
}

function flat(attributes: JsonAttributes | undefined): Flat {
  const out: Flat = {};
  for (const { key, value } of attributes ?? []) {
    const v = valueOf(value);
    if (v !== undefined) out[key] = v;
  }
  return out;
}

function serviceOf(attributes: JsonAttributes): string {
  return String(flat(attributes)['service.name'] ?? '?');
}
