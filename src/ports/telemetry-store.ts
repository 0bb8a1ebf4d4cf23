/**
 * Where the ops console keeps the telemetry it receives: spans, log records and metric points,
 * bounded by age and size. Writes are synchronous batches (one OTLP request = one transaction);
 * queries return plain rows the console turns into its views.
 */

/** Attribute values as received, flattened (arrays and maps as JSON text). */
export type TelemetryAttributes = Record<string, string | number | boolean>;

export interface StoredSpan {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId: string | null;
  readonly service: string;
  readonly instance: string;
  readonly name: string;
  /** OTLP SpanKind: 0 unspecified, 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  readonly kind: number;
  /** Milliseconds since the epoch, fractional. */
  readonly startMs: number;
  readonly durationMs: number;
  /** OTLP status code: 0 unset, 1 ok, 2 error. */
  readonly statusCode: number;
  readonly statusMessage: string;
  readonly attributes: TelemetryAttributes;
  readonly events: readonly {
    readonly name: string;
    readonly timeMs: number;
    readonly attributes: TelemetryAttributes;
  }[];
  readonly links: readonly { readonly traceId: string; readonly spanId: string }[];
  /** The wish and evacuee the span is about, when it says so: what a search by id finds. */
  readonly wishId: string | null;
  readonly evacueeId: string | null;
}

export interface StoredLog {
  readonly timeMs: number;
  readonly service: string;
  readonly instance: string;
  /** OTLP severity number (1–24; 9 info, 13 warn, 17 error); 0 when the sender gave none. */
  readonly severity: number;
  readonly body: string;
  readonly traceId: string | null;
  readonly spanId: string | null;
  readonly attributes: TelemetryAttributes;
  /** `event.name`: set, the record is an event. */
  readonly eventName: string | null;
}

/** One data point of one metric series, as OTLP carries it (cumulative sums and histograms). */
export interface StoredPoint {
  readonly timeMs: number;
  readonly service: string;
  readonly instance: string;
  readonly name: string;
  readonly attributes: TelemetryAttributes;
  readonly kind: 'gauge' | 'sum' | 'histogram';
  /** Gauge or sum value; a histogram's sum. */
  readonly value: number;
  /** Histograms: observations, bucket upper bounds and per-bucket counts (one more than bounds). */
  readonly count: number;
  readonly bounds: readonly number[];
  readonly buckets: readonly number[];
}

/**
 * What a process said of itself in its resource: where it runs and what it runs. One record per
 * process and version (a process restarted as another version is a second record), with when it
 * was first and last heard from as that.
 */
export interface StoredInstance {
  readonly service: string;
  readonly instance: string;
  /** `service.version`; '' when the sender gave none. */
  readonly version: string;
  /** `host.name`, `k8s.pod.name`, `k8s.node.name`; null when not given. */
  readonly host: string | null;
  readonly pod: string | null;
  readonly node: string | null;
  readonly firstSeenMs: number;
  readonly lastSeenMs: number;
}

export interface SpanQuery {
  readonly traceIds?: readonly string[] | undefined;
  readonly wishId?: string | undefined;
  readonly evacueeId?: string | undefined;
  readonly service?: string | undefined;
  readonly statusCode?: number | undefined;
  readonly minDurationMs?: number | undefined;
  readonly limit: number;
}

export interface LogQuery {
  readonly service?: string | undefined;
  readonly instance?: string | undefined;
  readonly minSeverity?: number | undefined;
  /** Words that must all appear in the body (case-insensitive). */
  readonly words?: readonly string[] | undefined;
  readonly fromMs?: number | undefined;
  readonly toMs?: number | undefined;
  readonly traceId?: string | undefined;
  /** Only events (records with `event.name`), optionally of one kind. */
  readonly events?: { readonly kind?: string | undefined } | undefined;
  /** Newest-first when true (events), else oldest-first. */
  readonly newestFirst?: boolean | undefined;
  readonly limit: number;
}

export interface TelemetryStore {
  /** One transaction; an instance already known has its times widened, and its host, pod and node are its newest report's. */
  record(batch: {
    spans?: readonly StoredSpan[];
    logs?: readonly StoredLog[];
    points?: readonly StoredPoint[];
    instances?: readonly StoredInstance[];
  }): void;
  /** Ids of the newest traces holding a span that matches, newest first. */
  findTraceIds(query: SpanQuery): string[];
  /** Every span of these traces. */
  spansOf(traceIds: readonly string[]): StoredSpan[];
  /** Traces with a span linking to a span of these traces (a batch that carried them). */
  tracesLinkingTo(traceIds: readonly string[]): string[];
  logs(query: LogQuery): StoredLog[];
  /** Points of these metrics since a time, oldest first. */
  points(names: readonly string[], sinceMs: number): StoredPoint[];
  /** The processes heard from since a time (their last report), oldest first. */
  instances(sinceMs: number): StoredInstance[];
  /** Deletes what is older than `olderThanMs`, then the oldest until the file is under `maxBytes`. */
  prune(limits: { olderThanMs: number; maxBytes: number }): { deleted: number; bytes: number };
  close(): void;
}
