import Database from 'better-sqlite3';
import { mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import type {
  AttributeMatch,
  LogQuery,
  LoneSpanNames,
  PointQuery,
  SpanQuery,
  StoredInstance,
  StoredInstrument,
  StoredLog,
  StoredPoint,
  StoredSpan,
  TelemetryAttributes,
  TelemetryStore,
} from '../../ports/index.js';

/*
 * Rowids grow with arrival, so "the oldest" is the lowest rowid: pruning by size needs no index.
 * auto_vacuum must be chosen before the first table exists; INCREMENTAL lets prune() hand freed
 * pages back to the file system, so the bound is on the file, not just on the rows.
 */
const SCHEMA = `
CREATE TABLE IF NOT EXISTS spans (
  trace_id TEXT NOT NULL, span_id TEXT NOT NULL, parent_span_id TEXT, service TEXT NOT NULL, instance TEXT NOT NULL,
  name TEXT NOT NULL, kind INTEGER NOT NULL, start_ms REAL NOT NULL, duration_ms REAL NOT NULL,
  status_code INTEGER NOT NULL, status_message TEXT NOT NULL, attributes TEXT NOT NULL, events TEXT NOT NULL,
  links TEXT NOT NULL, wish_id TEXT, evacuee_id TEXT);
CREATE UNIQUE INDEX IF NOT EXISTS spans_by_id ON spans (trace_id, span_id);
CREATE INDEX IF NOT EXISTS spans_by_start ON spans (start_ms);
CREATE INDEX IF NOT EXISTS spans_by_wish ON spans (wish_id) WHERE wish_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS spans_by_evacuee ON spans (evacuee_id) WHERE evacuee_id IS NOT NULL;
CREATE TABLE IF NOT EXISTS span_links (trace_id TEXT NOT NULL, linked_trace_id TEXT NOT NULL, time_ms REAL NOT NULL);
CREATE INDEX IF NOT EXISTS span_links_by_linked ON span_links (linked_trace_id);
CREATE INDEX IF NOT EXISTS span_links_by_time ON span_links (time_ms);
CREATE TABLE IF NOT EXISTS logs (
  time_ms REAL NOT NULL, service TEXT NOT NULL, instance TEXT NOT NULL, severity INTEGER NOT NULL, body TEXT NOT NULL,
  trace_id TEXT, span_id TEXT, attributes TEXT NOT NULL, event_name TEXT);
CREATE INDEX IF NOT EXISTS logs_by_time ON logs (time_ms);
CREATE INDEX IF NOT EXISTS logs_by_trace ON logs (trace_id) WHERE trace_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS logs_by_event ON logs (event_name, time_ms) WHERE event_name IS NOT NULL;
CREATE TABLE IF NOT EXISTS points (
  time_ms REAL NOT NULL, service TEXT NOT NULL, instance TEXT NOT NULL, name TEXT NOT NULL, attributes TEXT NOT NULL,
  kind TEXT NOT NULL, value REAL NOT NULL, count REAL NOT NULL, bounds TEXT NOT NULL, buckets TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS points_by_name ON points (name, time_ms);
CREATE INDEX IF NOT EXISTS points_by_time ON points (time_ms);
CREATE TABLE IF NOT EXISTS units (name TEXT PRIMARY KEY, unit TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS instances (
  service TEXT NOT NULL, instance TEXT NOT NULL, version TEXT NOT NULL, host TEXT, pod TEXT, node TEXT,
  first_seen_ms REAL NOT NULL, last_seen_ms REAL NOT NULL, PRIMARY KEY (service, instance, version));
`;

const TABLES = [
  { table: 'spans', time: 'start_ms' },
  { table: 'span_links', time: 'time_ms' },
  { table: 'logs', time: 'time_ms' },
  { table: 'points', time: 'time_ms' },
] as const;

/** The distinct metric names by hopping along the (name, time_ms) index: one seek per metric, not a scan of its points. */
const METRIC_NAMES = `
WITH RECURSIVE names(name) AS (
  SELECT MIN(name) FROM points
  UNION ALL SELECT (SELECT MIN(name) FROM points WHERE name > names.name) FROM names WHERE names.name IS NOT NULL)
SELECT name FROM names WHERE name IS NOT NULL`;
/*
 * The instances table is not among these: it holds a row per process and version (a few dozen), so
 * it is pruned by age alone (its last report), never by size.
 */

/** A scan for "the newest traces that match" stops after this many spans, so a rare filter stays cheap. */
const MAX_SCANNED_SPANS = 200_000;

interface SpanRow {
  trace_id: string;
  span_id: string;
  parent_span_id: string | null;
  service: string;
  instance: string;
  name: string;
  kind: number;
  start_ms: number;
  duration_ms: number;
  status_code: number;
  status_message: string;
  attributes: string;
  events: string;
  links: string;
  wish_id: string | null;
  evacuee_id: string | null;
}

interface LogRow {
  time_ms: number;
  service: string;
  instance: string;
  severity: number;
  body: string;
  trace_id: string | null;
  span_id: string | null;
  attributes: string;
  event_name: string | null;
}

interface InstanceRow {
  service: string;
  instance: string;
  version: string;
  host: string | null;
  pod: string | null;
  node: string | null;
  first_seen_ms: number;
  last_seen_ms: number;
}

interface PointRow {
  time_ms: number;
  service: string;
  instance: string;
  name: string;
  attributes: string;
  kind: StoredPoint['kind'];
  value: number;
  count: number;
  bounds: string;
  buckets: string;
}

/** The ops console's telemetry in one SQLite file (see TelemetryStore). */
export function openSqliteTelemetryStore(file: string): TelemetryStore {
  mkdirSync(dirname(file), { recursive: true });
  const db = new Database(file);
  db.pragma('auto_vacuum = INCREMENTAL');
  db.pragma('journal_mode = WAL');
  // Telemetry, not promises: a power cut may cost the last commits, never the file.
  db.pragma('synchronous = NORMAL');
  db.exec(SCHEMA);

  const insertSpan = db.prepare(
    `INSERT OR IGNORE INTO spans VALUES (@traceId, @spanId, @parentSpanId, @service, @instance, @name, @kind, @startMs, @durationMs,
     @statusCode, @statusMessage, @attributes, @events, @links, @wishId, @evacueeId)`,
  );
  const insertLink = db.prepare('INSERT INTO span_links VALUES (?, ?, ?)');
  // Reads a page of a table (not only the open connection), and throws once the store is closed.
  const readProbe = db.prepare('SELECT 1 FROM instances LIMIT 1');
  const insertLog = db.prepare(
    'INSERT INTO logs VALUES (@timeMs, @service, @instance, @severity, @body, @traceId, @spanId, @attributes, @eventName)',
  );
  const insertPoint = db.prepare(
    'INSERT INTO points VALUES (@timeMs, @service, @instance, @name, @attributes, @kind, @value, @count, @bounds, @buckets)',
  );
  // A metric's unit is the same on every point: written when first seen or changed, so a point costs a map lookup.
  const upsertUnit = db.prepare('INSERT OR REPLACE INTO units VALUES (?, ?)');
  const units = new Map(
    (db.prepare('SELECT name, unit FROM units').all() as { name: string; unit: string }[]).map((row) => [
      row.name,
      row.unit,
    ]),
  );
  // A process already known: its times widen; where it runs is what its newest report said (an export arriving late says nothing new).
  const upsertInstance = db.prepare(
    `INSERT INTO instances VALUES (@service, @instance, @version, @host, @pod, @node, @firstSeenMs, @lastSeenMs)
     ON CONFLICT (service, instance, version) DO UPDATE SET
       host = CASE WHEN excluded.last_seen_ms >= last_seen_ms THEN excluded.host ELSE host END,
       pod = CASE WHEN excluded.last_seen_ms >= last_seen_ms THEN excluded.pod ELSE pod END,
       node = CASE WHEN excluded.last_seen_ms >= last_seen_ms THEN excluded.node ELSE node END,
       first_seen_ms = MIN(first_seen_ms, excluded.first_seen_ms), last_seen_ms = MAX(last_seen_ms, excluded.last_seen_ms)`,
  );

  const record = db.transaction((batch: Parameters<TelemetryStore['record']>[0]) => {
    for (const span of batch.spans ?? []) {
      const inserted = insertSpan.run({
        ...span,
        attributes: JSON.stringify(span.attributes),
        events: JSON.stringify(span.events),
        links: JSON.stringify(span.links),
      });
      if (inserted.changes === 0) continue; // an exporter's retry: already here
      for (const link of span.links)
        if (link.traceId !== span.traceId) insertLink.run(span.traceId, link.traceId, span.startMs);
    }
    for (const log of batch.logs ?? []) insertLog.run({ ...log, attributes: JSON.stringify(log.attributes) });
    for (const point of batch.points ?? []) {
      if (point.unit !== undefined && point.unit !== '' && units.get(point.name) !== point.unit) {
        upsertUnit.run(point.name, point.unit);
        units.set(point.name, point.unit);
      }
      insertPoint.run({
        ...point,
        attributes: canonicalJson(point.attributes),
        bounds: JSON.stringify(point.bounds),
        buckets: JSON.stringify(point.buckets),
      });
    }
    for (const instance of batch.instances ?? []) upsertInstance.run(instance);
  });

  const fileBytes = (): number => {
    const size = (path: string): number => {
      try {
        return statSync(path).size;
      } catch {
        return 0;
      }
    };
    return size(file) + size(`${file}-wal`);
  };

  return {
    record,

    findTraceIds(query: SpanQuery): string[] {
      if (query.traceIds?.length === 0) return [];
      const { where, params, add } = conditions();
      if (query.traceIds !== undefined) add(`trace_id IN (${placeholders(query.traceIds)})`, ...query.traceIds);
      add('wish_id = ?', query.wishId);
      add('evacuee_id = ?', query.evacueeId);
      add('service = ?', query.service);
      add('status_code = ?', query.statusCode);
      add('duration_ms >= ?', query.minDurationMs);
      for (const match of query.attributes ?? []) add(...attributeClause(match));
      if (query.hideLone !== undefined) add(...loneNoiseExcluded(query.hideLone));
      const sql = `SELECT trace_id FROM spans ${where()} ORDER BY start_ms DESC LIMIT ${MAX_SCANNED_SPANS}`;
      const found = new Set<string>();
      for (const row of db
        .prepare(sql)
        .pluck()
        .iterate(...params) as IterableIterator<string>) {
        found.add(row);
        if (found.size >= query.limit) break;
      }
      return [...found];
    },

    spansOf(traceIds: readonly string[]): StoredSpan[] {
      if (traceIds.length === 0) return [];
      const rows = db
        .prepare(`SELECT * FROM spans WHERE trace_id IN (${placeholders(traceIds)}) ORDER BY start_ms`)
        .all(...traceIds) as SpanRow[];
      return rows.map(spanFromRow);
    },

    tracesLinkingTo(traceIds: readonly string[]): string[] {
      if (traceIds.length === 0) return [];
      const sql = `SELECT DISTINCT trace_id FROM span_links WHERE linked_trace_id IN (${placeholders(traceIds)}) LIMIT 100`;
      return db
        .prepare(sql)
        .pluck()
        .all(...traceIds) as string[];
    },

    logs(query: LogQuery): StoredLog[] {
      const { where, params, add } = conditions();
      add('service = ?', query.service);
      add('instance = ?', query.instance);
      add('severity >= ?', query.minSeverity);
      add('time_ms >= ?', query.fromMs);
      add('time_ms <= ?', query.toMs);
      add('trace_id = ?', query.traceId);
      for (const word of query.words ?? [])
        add(`(body || ' ' || attributes) LIKE ? ESCAPE '\\'`, `%${word.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
      if (query.events !== undefined) {
        add('event_name IS NOT NULL');
        if (query.events.kind !== undefined) add('event_name = ?', query.events.kind);
      }
      const order = query.newestFirst === true ? 'DESC' : 'ASC';
      const sql = `SELECT * FROM logs ${where()} ORDER BY time_ms ${order} LIMIT ?`;
      return (db.prepare(sql).all(...params, query.limit) as LogRow[]).map(logFromRow);
    },

    points(names: readonly string[], sinceMs: number): StoredPoint[] {
      if (names.length === 0) return [];
      const sql = `SELECT * FROM points WHERE name IN (${placeholders(names)}) AND time_ms >= ? ORDER BY time_ms`;
      return (db.prepare(sql).all(...names, sinceMs) as PointRow[]).map(pointFromRow);
    },

    pointsWhere(query: PointQuery): StoredPoint[] {
      const { where, params, add } = conditions();
      add('name = ?', query.name);
      add('time_ms >= ?', query.sinceMs);
      add('service = ?', query.service);
      for (const match of query.attributes ?? []) add(...attributeClause(match));
      const step = query.newestPerStep;
      // SQLite takes a bare column's value from the row holding the MAX(): the newest of each group.
      const sql =
        step === undefined
          ? `SELECT * FROM points ${where()} ORDER BY time_ms`
          : `SELECT *, MAX(time_ms) FROM points ${where()}
             GROUP BY service, instance, attributes, CAST((time_ms - ?) / ? AS INTEGER) ORDER BY time_ms`;
      const stepParams = step === undefined ? [] : [step.originMs, step.stepMs];
      return (db.prepare(sql).all(...params, ...stepParams) as PointRow[]).map(pointFromRow);
    },

    instruments({ sinceMs, recentMs, name: only }): StoredInstrument[] {
      const names = only !== undefined ? [only] : (db.prepare(METRIC_NAMES).pluck().all() as string[]);
      const newest = db.prepare('SELECT time_ms, kind FROM points WHERE name = ? ORDER BY time_ms DESC LIMIT 1');
      const recent = db.prepare('SELECT DISTINCT service, attributes FROM points WHERE name = ? AND time_ms >= ?');
      const out: StoredInstrument[] = [];
      for (const name of names) {
        const last = newest.get(name) as { time_ms: number; kind: StoredPoint['kind'] } | undefined;
        if (last === undefined || last.time_ms < sinceMs) continue;
        const services = new Set<string>();
        const keys = new Set<string>();
        for (const row of recent.all(name, last.time_ms - recentMs) as { service: string; attributes: string }[]) {
          services.add(row.service);
          for (const key of Object.keys(JSON.parse(row.attributes) as TelemetryAttributes)) keys.add(key);
        }
        out.push({
          name,
          kind: last.kind,
          unit: units.get(name) ?? null,
          services: [...services].sort(),
          attributeKeys: [...keys].sort(),
          lastMs: last.time_ms,
        });
      }
      return out;
    },

    instances(sinceMs: number): StoredInstance[] {
      const sql = 'SELECT * FROM instances WHERE last_seen_ms >= ? ORDER BY last_seen_ms';
      return (db.prepare(sql).all(sinceMs) as InstanceRow[]).map(instanceFromRow);
    },

    prune({ olderThanMs, maxBytes }): { deleted: number; bytes: number } {
      let deleted = db.prepare('DELETE FROM instances WHERE last_seen_ms < ?').run(olderThanMs).changes;
      for (const { table, time } of TABLES)
        deleted += db.prepare(`DELETE FROM ${table} WHERE ${time} < ?`).run(olderThanMs).changes;
      // Over the size bound: drop the oldest tenth of every table until under it (a few rounds at most).
      for (let round = 0; round < 20 && fileBytes() > maxBytes; round++) {
        for (const { table } of TABLES) {
          deleted += db
            .prepare(
              `DELETE FROM ${table} WHERE rowid <= (SELECT MIN(rowid) + (MAX(rowid) - MIN(rowid)) / 10 FROM ${table})`,
            )
            .run().changes;
        }
        shrink(db);
      }
      if (deleted > 0) shrink(db);
      return { deleted, bytes: fileBytes() };
    },

    assertReadable: () => {
      readProbe.get();
    },

    close: () => db.close(),
  };
}

/**
 * A query's WHERE clause, built from optional filters: `add(clause, value)` is skipped when the value
 * is undefined (the filter was not asked for); `add(clause)` alone always applies.
 */
function conditions(): {
  where: () => string;
  params: (string | number)[];
  add: (clause: string, ...values: (string | number | undefined)[]) => void;
} {
  const clauses: string[] = [];
  const params: (string | number)[] = [];
  return {
    where: () => (clauses.length > 0 ? `WHERE ${clauses.join(' AND ')}` : ''),
    params,
    add: (clause, ...values) => {
      if (values.some((value) => value === undefined)) return;
      clauses.push(clause);
      params.push(...(values as (string | number)[]));
    },
  };
}

/**
 * A clause for `attributes` holding `key` = `value` (see AttributeMatch): the text matches a string
 * attribute; a number's or a boolean's spelling matches those (a string "503" is not the number 503
 * to SQLite, so each type is asked for on its own).
 */
function attributeClause({ key, value }: AttributeMatch): [string, ...(string | number)[]] {
  if (/["\\]/.test(key)) throw new RangeError(`an attribute key with a quote or a backslash: ${key}`);
  const path = `$."${key}"`;
  const alternatives: [string, ...(string | number)[]][] = [
    [`json_type(attributes, ?) = 'text' AND json_extract(attributes, ?) = ?`, path, path, value],
  ];
  const number = Number(value);
  if (value.trim() !== '' && Number.isFinite(number))
    alternatives.push([
      `json_type(attributes, ?) IN ('integer', 'real') AND json_extract(attributes, ?) = ?`,
      path,
      path,
      number,
    ]);
  if (value === 'true' || value === 'false') alternatives.push([`json_type(attributes, ?) = ?`, path, value]);
  return [
    `(${alternatives.map(([clause]) => `(${clause})`).join(' OR ')})`,
    ...alternatives.flatMap(([, ...values]) => values),
  ];
}

/** A clause leaving out the spans that are alone in their trace, named as `noise` says, and not failed. */
function loneNoiseExcluded(noise: LoneSpanNames): [string, ...string[]] {
  const named = [...noise.names.map(() => 'name = ?'), ...noise.prefixes.map(() => 'substr(name, 1, length(?)) = ?')];
  if (named.length === 0) return ['1'];
  return [
    `NOT ((${named.join(' OR ')}) AND status_code != 2
       AND NOT EXISTS (SELECT 1 FROM spans other WHERE other.trace_id = spans.trace_id AND other.span_id != spans.span_id))`,
    ...noise.names,
    ...noise.prefixes.flatMap((prefix) => [prefix, prefix]),
  ];
}

const placeholders = (values: readonly unknown[]): string => values.map(() => '?').join(',');

function shrink(db: Database.Database): void {
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.pragma('incremental_vacuum');
  db.pragma('wal_checkpoint(TRUNCATE)');
}

/** Attributes with sorted keys, so one series always has one text. */
function canonicalJson(attributes: TelemetryAttributes): string {
  return JSON.stringify(
    Object.fromEntries(Object.entries(attributes).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
  );
}

function spanFromRow(row: SpanRow): StoredSpan {
  return {
    traceId: row.trace_id,
    spanId: row.span_id,
    parentSpanId: row.parent_span_id,
    service: row.service,
    instance: row.instance,
    name: row.name,
    kind: row.kind,
    startMs: row.start_ms,
    durationMs: row.duration_ms,
    statusCode: row.status_code,
    statusMessage: row.status_message,
    attributes: JSON.parse(row.attributes) as TelemetryAttributes,
    events: JSON.parse(row.events) as StoredSpan['events'],
    links: JSON.parse(row.links) as StoredSpan['links'],
    wishId: row.wish_id,
    evacueeId: row.evacuee_id,
  };
}

function logFromRow(row: LogRow): StoredLog {
  return {
    timeMs: row.time_ms,
    service: row.service,
    instance: row.instance,
    severity: row.severity,
    body: row.body,
    traceId: row.trace_id,
    spanId: row.span_id,
    attributes: JSON.parse(row.attributes) as TelemetryAttributes,
    eventName: row.event_name,
  };
}

function pointFromRow(row: PointRow): StoredPoint {
  return {
    timeMs: row.time_ms,
    service: row.service,
    instance: row.instance,
    name: row.name,
    attributes: JSON.parse(row.attributes) as TelemetryAttributes,
    kind: row.kind,
    value: row.value,
    count: row.count,
    bounds: JSON.parse(row.bounds) as number[],
    buckets: JSON.parse(row.buckets) as number[],
  };
}

function instanceFromRow(row: InstanceRow): StoredInstance {
  return {
    service: row.service,
    instance: row.instance,
    version: row.version,
    host: row.host,
    pod: row.pod,
    node: row.node,
    firstSeenMs: row.first_seen_ms,
    lastSeenMs: row.last_seen_ms,
  };
}
