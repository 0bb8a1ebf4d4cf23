import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDurationMs } from '../../runtime/index.js';
import { InputError } from '../input-error.js';
import { parseYaml, yamlNamesIn, type Checker, type Path } from '../yaml-checker.js';
import type { Segment } from './profile.js';

/**
 * A load scenario is data: a YAML file of phases, a mix of what users do, and the
 * thresholds that decide the exit code. The ready-made ones are `scenarios/*.yaml`; a user's file has
 * the same shape. Every mistake is reported with its line, and an unknown key (a mistyped threshold,
 * say) is a mistake, never silently ignored.
 */

/** What one arrival does, as evacuees and watchers do: submit a wish, poll its status, read the wall, read the tally. */
export const ACTIONS = ['post', 'status', 'wall', 'tally'] as const;
export type Action = (typeof ACTIONS)[number];

/**
 * What a threshold can bound, and what each means. Latencies are of answers, measured from the moment
 * the request was due (open model); "errors" are answers that are neither the expected one nor a
 * deliberate 429/503, plus transport failures.
 */
export const THRESHOLD_METRICS = {
  'post.accepted.p50_ms': 'median latency of POSTs answered 202',
  'post.accepted.p99_ms': 'p99 latency of POSTs answered 202',
  'post.accepted.max_ms': 'slowest POST answered 202',
  'reads.p99_ms': 'p99 latency of status, wall and tally reads answered 200',
  accepted: 'wishes answered 202',
  errors: 'answers other than the expected one or 429/503, and transport failures',
  error_ratio: 'errors ÷ answers',
  unexpected_5xx: '5xx answers other than 503',
  shed_ratio: '429 and 503 answers ÷ answers',
  shed_without_retry_after: '429 and 503 answers without a Retry-After header',
  skipped: 'arrivals not started in time (the generator held too many open requests)',
  gave_up: 'wishes still refused (429/503) after every retry',
  lost: 'accepted wishes the audit cannot find (needs the engines: --data, or --queue and --store)',
  audit_wait_s: 'seconds after the load until the audit found every accepted wish (needs the engines)',
} as const;
export type ThresholdMetric = keyof typeof THRESHOLD_METRICS;
/** Metrics only an audit of the engines can measure. */
export const AUDIT_METRICS: readonly ThresholdMetric[] = ['lost', 'audit_wait_s'];

export interface Threshold {
  readonly metric: ThresholdMetric;
  readonly max?: number;
  readonly min?: number;
}

export type PhaseKind = 'constant' | 'ramp' | 'spike' | 'pause';

export interface Scenario {
  readonly name: string;
  readonly description: string;
  /** Arrivals/s that phases written as `2x` multiply; `--rate` replaces it. */
  readonly rate: number;
  readonly phases: readonly PhaseSpec[];
  readonly mix: Readonly<Record<Action, number>>;
  /** A POST answered 429/503 is sent again after its Retry-After (plus up to 30 %), this many times at most. */
  readonly retries: number;
  /**
   * Connections the generator may open (each a user's socket). Past them, requests wait in the
   * generator, not the server: an overload needs more connections than the door's write gate
   * (`--max-in-flight-writes`, 2000) lets in at once.
   */
  readonly connections: number;
  readonly thresholds: readonly Threshold[];
}

/** A phase as written; rates are absolute (arrivals/s) or relative to the scenario's rate. */
export interface PhaseSpec {
  readonly name: string;
  readonly kind: PhaseKind;
  readonly from: Rate;
  readonly to: Rate;
  readonly durationMs: number;
}

export type Rate = { readonly perSecond: number } | { readonly times: number };

/** A scenario file that cannot be used: names the file and line. */
export class ScenarioError extends InputError {}

/** A spike reaches its peak within this long, then holds it. */
export const SPIKE_RISE_MS = 1000;

/** The phases as rate segments, with `rate` (arrivals/s) for relative rates and durations scaled to `durationMs` if given. */
export function segmentsOf(scenario: Scenario, options: { rate?: number; durationMs?: number } = {}): Segment[] {
  const base = options.rate ?? scenario.rate;
  const written = scenario.phases.reduce((sum, phase) => sum + phase.durationMs, 0);
  const scale = options.durationMs === undefined ? 1 : options.durationMs / written;
  const perSecond = (rate: Rate): number => ('times' in rate ? rate.times * base : rate.perSecond);
  const segments: Segment[] = [];
  let startMs = 0;
  const add = (name: string, kind: string, durationMs: number, from: number, to: number): void => {
    if (durationMs <= 0) return;
    segments.push({ name, kind, startMs, durationMs, from, to });
    startMs += durationMs;
  };
  for (const phase of scenario.phases) {
    const durationMs = Math.round(phase.durationMs * scale);
    if (phase.kind === 'spike') {
      const rise = Math.min(SPIKE_RISE_MS, durationMs);
      add(phase.name, 'spike', rise, 0, perSecond(phase.to));
      add(phase.name, 'spike', durationMs - rise, perSecond(phase.to), perSecond(phase.to));
    } else {
      add(phase.name, phase.kind, durationMs, perSecond(phase.from), perSecond(phase.to));
    }
  }
  return segments;
}

/** A scenario by name (one of `dir`'s) or by path to a file. */
export function loadScenario(nameOrFile: string, dir: string): Scenario {
  const builtIn = yamlNamesIn(dir);
  const file = builtIn.includes(nameOrFile) ? join(dir, `${nameOrFile}.yaml`) : nameOrFile;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new ScenarioError(`no scenario "${nameOrFile}": not one of ${builtIn.join(', ')}, and no such file`);
  }
  return parseScenario(text, file);
}

/** Parses and checks a scenario file's text; `source` names it in errors. */
export function parseScenario(text: string, source: string): Scenario {
  const { root, check } = parseYaml(text, source, (message) => new ScenarioError(message));
  const top = check.object(root, [], {
    required: ['name', 'rate', 'phases', 'mix'],
    optional: ['description', 'retries', 'connections', 'thresholds'],
  });
  const phasesValue = top['phases'];
  if (!Array.isArray(phasesValue) || phasesValue.length === 0)
    check.fail(['phases'], 'phases must be a list of at least one phase');
  const phases = (phasesValue as unknown[]).map((value, i) => parsePhase(check, value, ['phases', i]));
  const mixObject = check.object(top['mix'], ['mix'], { required: [], optional: [...ACTIONS] });
  const mix = Object.fromEntries(
    ACTIONS.map((action) => [
      action,
      mixObject[action] === undefined ? 0 : check.number(mixObject[action], ['mix', action], { min: 0 }),
    ]),
  ) as Record<Action, number>;
  if (ACTIONS.every((action) => mix[action] === 0))
    check.fail(['mix'], 'mix must give at least one action a weight above 0');
  const thresholdsObject =
    top['thresholds'] === undefined
      ? {}
      : check.object(top['thresholds'], ['thresholds'], { required: [], optional: Object.keys(THRESHOLD_METRICS) });
  const thresholds = Object.entries(thresholdsObject).map(([metric, bound]) => {
    const path = ['thresholds', metric];
    const given = check.object(bound, path, { required: [], optional: ['max', 'min'] });
    if (given['max'] === undefined && given['min'] === undefined)
      check.fail(path, `threshold ${metric} needs max or min`);
    return {
      metric: metric as ThresholdMetric,
      ...(given['max'] === undefined ? {} : { max: check.number(given['max'], [...path, 'max'], { min: 0 }) }),
      ...(given['min'] === undefined ? {} : { min: check.number(given['min'], [...path, 'min'], { min: 0 }) }),
    };
  });
  return {
    name: check.string(top['name'], ['name']),
    description: top['description'] === undefined ? '' : check.string(top['description'], ['description']),
    rate: check.number(top['rate'], ['rate'], { min: 0.001 }),
    phases,
    mix,
    retries: top['retries'] === undefined ? 3 : check.number(top['retries'], ['retries'], { min: 0, integer: true }),
    connections:
      top['connections'] === undefined
        ? 256
        : check.number(top['connections'], ['connections'], { min: 1, integer: true }),
    thresholds,
  };
}

const PHASE_KINDS: readonly PhaseKind[] = ['constant', 'ramp', 'spike', 'pause'];

function parsePhase(check: Checker, value: unknown, path: Path): PhaseSpec {
  const phase = check.object(value, path, { required: ['for'], optional: ['name', ...PHASE_KINDS] });
  const kinds = PHASE_KINDS.filter((kind) => phase[kind] !== undefined);
  if (kinds.length !== 1) check.fail(path, `a phase has exactly one of ${PHASE_KINDS.join(', ')}, and "for"`);
  const kind = kinds[0] as PhaseKind;
  const durationMs = parseDurationMs(String(phase['for']));
  if (durationMs === undefined || durationMs <= 0)
    check.fail([...path, 'for'], `"for" takes a duration such as 30s or 10m, got "${String(phase['for'])}"`);
  const name =
    phase['name'] === undefined
      ? `${kind} ${path.at(-1) ?? ''}`.trim()
      : check.string(phase['name'], [...path, 'name']);
  const rate = (v: unknown, at: Path): Rate => parseRate(check, v, at);
  switch (kind) {
    case 'constant':
      return {
        name,
        kind,
        from: rate(phase['constant'], [...path, 'constant']),
        to: rate(phase['constant'], [...path, 'constant']),
        durationMs: durationMs,
      };
    case 'spike':
      return {
        name,
        kind,
        from: { perSecond: 0 },
        to: rate(phase['spike'], [...path, 'spike']),
        durationMs: durationMs,
      };
    case 'pause':
      return { name, kind, from: { perSecond: 0 }, to: { perSecond: 0 }, durationMs: durationMs };
    case 'ramp': {
      const ramp = check.object(phase['ramp'], [...path, 'ramp'], { required: ['from', 'to'], optional: [] });
      return {
        name,
        kind,
        from: rate(ramp['from'], [...path, 'ramp', 'from']),
        to: rate(ramp['to'], [...path, 'ramp', 'to']),
        durationMs: durationMs,
      };
    }
  }
}

/** `120` (arrivals/s) or `2x` (times the scenario's rate). */
function parseRate(check: Checker, value: unknown, path: Path): Rate {
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return { perSecond: value };
  const match = typeof value === 'string' ? /^(\d+(?:\.\d+)?)x$/.exec(value.trim()) : null;
  if (match !== null) return { times: Number(match[1]) };
  return check.fail(
    path,
    `a rate is arrivals per second (like 120) or a multiple of the scenario's rate (like 2x), got ${JSON.stringify(value)}`,
  );
}
