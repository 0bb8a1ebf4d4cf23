import type { TelemetryAttributes, TelemetryStore } from '../../ports/index.js';
import { METRIC } from '../../runtime/index.js';
import type { SloBudget } from './api-shapes.js';
import { distribution, total } from './metric-math.js';
import { readings, type Readings } from './readings.js';

/**
 * What the console needs of an SLO (`slo/*.yaml`, read by the CLI): its target and its indicator as
 * the two Prometheus counter selectors that `exodus slo rules` turns into alerts.
 */
export interface SloDefinition {
  readonly name: string;
  readonly displayName: string;
  readonly target: number;
  readonly good: string;
  readonly total: string;
}

/**
 * Each SLO's indicator and error budget over the telemetry the console keeps (its retention, 24 h
 * by default), from the same selectors Prometheus evaluates, applied to the OTLP points the console
 * stored: `x_count` is a histogram's count, `x_bucket{le="b"}` its observations ≤ b, any other name a
 * counter; the metric and label names are the OpenTelemetry ones with dots as underscores, as the
 * Prometheus exporter writes them. Budget left = 1 − (bad ÷ total) ÷ (1 − target): 1 untouched, 0
 * spent, below 0 overspent. The alerts over 30 days stay Prometheus's job (deploy/prometheus).
 */
export function sloBudgets(
  store: TelemetryStore,
  slos: readonly SloDefinition[],
  nowMs: number,
  windowMs: number,
): SloBudget[] {
  const fromMs = nowMs - windowMs;
  // A day of one metric's points is read once, however many selectors name it (most name the request
  // duration); from a minute before the window, so a long-running series has its base point.
  const read = readings(store, fromMs - 60_000);
  return slos.map((slo) => {
    const good = eventsOf(read, slo.good, fromMs, nowMs);
    const all = eventsOf(read, slo.total, fromMs, nowMs);
    const problem = good.problem ?? all.problem;
    const sli = problem === undefined && all.events > 0 ? Math.min(1, good.events / all.events) : null;
    const budgetLeft = sli === null ? null : 1 - (1 - sli) / (1 - slo.target);
    return {
      name: slo.name,
      displayName: slo.displayName,
      target: slo.target,
      windowMs,
      good: good.events,
      total: all.events,
      sli,
      budgetLeft,
      ...(problem === undefined ? {} : { problem }),
    };
  });
}

/** Known metrics by the name the Prometheus exporter gives them (dots → underscores). */
const BY_PROMETHEUS_NAME = new Map(Object.values(METRIC).map((name) => [prometheusName(name), name]));

function prometheusName(name: string): string {
  return name.replace(/[^a-zA-Z0-9_]/g, '_');
}

interface Matcher {
  readonly label: string;
  readonly op: '=' | '!=' | '=~' | '!~';
  readonly value: string;
}

/** `name{label="v",label=~"a|b"}` → its parts; undefined when it is not a plain selector. */
export function parseSelector(selector: string): { metric: string; matchers: Matcher[] } | undefined {
  const match = /^\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(?:\{(.*)\})?\s*$/.exec(selector);
  if (match === null) return undefined;
  const matchers: Matcher[] = [];
  const body = match[2] ?? '';
  const one = /\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"\s*,?/y;
  let at = 0;
  // PromQL allows a comma after the last matcher (`m{a="1", }`): only blanks may follow it.
  while (/\S/.test(body.slice(at))) {
    one.lastIndex = at;
    const m = one.exec(body);
    if (m === null) return undefined;
    matchers.push({
      label: m[1] ?? '',
      op: (m[2] ?? '=') as Matcher['op'],
      value: (m[3] ?? '').replace(/\\(.)/g, '$1'),
    });
    at = one.lastIndex;
  }
  return { metric: match[1] ?? '', matchers };
}

/** How many events a selector counted in [fromMs, toMs), or why it cannot be counted here. */
export function eventsOf(
  read: Readings,
  selector: string,
  fromMs: number,
  toMs: number,
): { events: number; problem?: string } {
  const parsed = parseSelector(selector);
  if (parsed === undefined) return { events: 0, problem: `not a selector the console can read: ${selector}` };
  const [base, part] = splitSuffix(parsed.metric);
  const name = BY_PROMETHEUS_NAME.get(base);
  if (name === undefined) return { events: 0, problem: `no metric the console knows as ${base}` };
  const le = parsed.matchers.find((m) => m.label === 'le');
  const grown = read
    .increments(name)
    .filter((increment) => parsed.matchers.every((m) => m.label === 'le' || matches(increment.attributes, m)));
  if (part === 'bucket') {
    const bound = Number(le?.value);
    if (le === undefined || !Number.isFinite(bound))
      return { events: 0, problem: `a _bucket selector needs le="<bound>": ${selector}` };
    const { bounds, buckets } = distribution(grown, fromMs, toMs);
    return { events: buckets.reduce((sum, n, i) => ((bounds[i] ?? Infinity) <= bound ? sum + n : sum), 0) };
  }
  if (part === 'count') return { events: distribution(grown, fromMs, toMs).count };
  return { events: total(grown, fromMs, toMs) };
}

function splitSuffix(metric: string): [string, 'bucket' | 'count' | 'counter'] {
  if (metric.endsWith('_bucket')) return [metric.slice(0, -'_bucket'.length), 'bucket'];
  if (metric.endsWith('_count')) return [metric.slice(0, -'_count'.length), 'count'];
  return [metric.replace(/_total$/, ''), 'counter'];
}

/** A label matcher against a point's attributes, names compared as Prometheus spells them; regexes anchored, as PromQL's are. */
function matches(attributes: TelemetryAttributes, matcher: Matcher): boolean {
  const entry = Object.entries(attributes).find(([key]) => prometheusName(key) === matcher.label);
  const value = entry === undefined ? '' : String(entry[1]);
  switch (matcher.op) {
    case '=':
      return value === matcher.value;
    case '!=':
      return value !== matcher.value;
    case '=~':
      return anchored(matcher.value).test(value);
    case '!~':
      return !anchored(matcher.value).test(value);
  }
}

/** Each matcher's regex compiled once: a selector is matched against every increment of a day (the alerts' ledger and this view). */
const compiled = new Map<string, RegExp>();
function anchored(pattern: string): RegExp {
  let regex = compiled.get(pattern);
  if (regex === undefined) compiled.set(pattern, (regex = new RegExp(`^(?:${pattern})$`)));
  return regex;
}
