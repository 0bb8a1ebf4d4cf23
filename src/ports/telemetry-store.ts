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
  /** The instrument's unit as its sender declared it (UCUM: `s`, `By`, `{wish}`); absent if it said none. */
  readonly unit?: string | undefined;
}

/**
 * An attribute that must equal a value, given as text (`http.response.status_code` = `503`): a
 * string attribute matches that text; a number matches its decimal spelling, a boolean `true` or
 * `false`. Keys hold no `"` or a backslash (an engine may refuse them).
 */
export interface AttributeMatch {
  readonly key: string;
  readonly value: string;
}

/** Span names that, alone in a trace, make it noise (a consumer's receive, a Prometheus scrape). */
export interface LoneSpanNames {
  readonly names: readonly string[];
  readonly prefixes: readonly string[];
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
  /** Every one must hold on the same span. */
  readonly attributes?: readonly AttributeMatch[] | undefined;
  /**
   * Traces made of one span only, named one of these and not failed, are not found: a trace with a
   * second span, or whose lone span is an error, always is.
   */
  readonly hideLone?: LoneSpanNames | undefined;
  readonly limit: number;
}

/** One metric's points, narrowed in the store (not after loading them). */
export interface PointQuery {
  readonly name: string;
  readonly sinceMs: number;
  readonly service?: string | undefined;
  /** Every one must hold on the point. */
  readonly attributes?: readonly AttributeMatch[] | undefined;
  /**
   * At most one point per series (service, instance, attributes) per step of `stepMs` counted from
   * `originMs` (at or before `sinceMs`): its newest. What a cumulative series counted in a step is
   * then the growth between these points, and a gauge's step shows its newest value: a day of
   * exports is read as a few dozen points per series. (A reset inside a step, of a series whose
   * sender gives no start time, is seen only if the value ends the step lower.)
   */
  readonly newestPerStep?: { readonly originMs: number; readonly stepMs: number } | undefined;
}

/** A metric the store holds points of, as its most recent points describe it. */
export interface StoredInstrument {
  readonly name: string;
  readonly kind: StoredPoint['kind'];
  /** As its sender declared it; null if none ever did. */
  readonly unit: string | null;
  /** The services and attribute keys of its points in the last `recentMs` before its newest one. */
  readonly services: readonly string[];
  readonly attributeKeys: readonly string[];
  readonly lastMs: number;
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
  /** One metric's points that match, oldest first. */
  pointsWhere(query: PointQuery): StoredPoint[];
  /**
   * Every metric with a point since `sinceMs`, by name; what each is made of (services, attribute
   * keys) is read from its points of the last `recentMs` before its newest, so the list stays cheap
   * over a day of points.
   */
  instruments(options: {
    readonly sinceMs: number;
    readonly recentMs: number;
    /** Only this one (none: every metric). */
    readonly name?: string | undefined;
  }): StoredInstrument[];
  /** The processes heard from since a time (their last report), oldest first. */
  instances(sinceMs: number): StoredInstance[];
  /** Deletes what is older than `olderThanMs`, then the oldest until the file is under `maxBytes`. */
  prune(limits: { olderThanMs: number; maxBytes: number }): { deleted: number; bytes: number };
  /** Throws, saying why, unless the store can be read now (closed, its file unreadable): the console's `/readyz`. */
  assertReadable(): void;
  close(): void;
}
