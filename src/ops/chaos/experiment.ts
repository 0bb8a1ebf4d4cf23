import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { QUEUES, type MessagingEngine } from '../../ports/index.js';
import { packageRoot, parseDurationMs } from '../../runtime/index.js';
import { InputError } from '../input-error.js';
import { parseYaml, yamlNamesIn, type Checker, type Path } from '../yaml-checker.js';
import { describeFault, runFault, type FaultContext, type FaultSpec } from './faults.js';
import {
  checkAfter,
  checkBefore,
  deadLetterIds,
  DEFAULT_HYPOTHESIS,
  watchDuring,
  type CheckResult,
  type Hypothesis,
} from './hypothesis.js';

/**
 * A chaos experiment is data: a steady-state hypothesis, faults at times, and
 * optionally a load to run them against. `exodus chaos kill|pause|…` make a one-fault experiment;
 * `exodus chaos run FILE` reads one from YAML.
 */
export interface Experiment {
  readonly name: string;
  readonly description: string;
  readonly hypothesis: Hypothesis;
  /** A load scenario (name or file) run from the start, with its rate and duration if given. */
  readonly load: { readonly scenario: string; readonly rate?: number; readonly durationMs?: number } | undefined;
  /** Each fault starts `atMs` after the experiment (and its load) started. */
  readonly faults: readonly { readonly atMs: number; readonly spec: FaultSpec }[];
}

export class ExperimentError extends InputError {}

/** A ready-made experiment by name (`scenarios/chaos/`: workers-killed, …), or an experiment file. */
export function readExperimentNamed(nameOrFile: string): Experiment {
  const dir = join(packageRoot(), 'scenarios', 'chaos');
  return readExperiment(yamlNamesIn(dir).includes(nameOrFile) ? join(dir, `${nameOrFile}.yaml`) : nameOrFile);
}

export function readExperiment(file: string): Experiment {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new ExperimentError(`cannot read the experiment ${file}`);
  }
  return parseExperiment(text, file);
}

const FAULT_KINDS = ['kill', 'pause', 'store-outage', 'broker-restart', 'poison', 'latency', 'drop', 'reset'] as const;

export function parseExperiment(text: string, source: string): Experiment {
  const { root, check } = parseYaml(text, source, (message) => new ExperimentError(message));
  const top = check.object(root, [], { required: ['name', 'faults'], optional: ['description', 'hypothesis', 'load'] });
  const duration = (value: unknown, path: Path): number => {
    const ms = parseDurationMs(String(value));
    return ms ?? check.fail(path, `a duration such as 30s or 2m, got ${JSON.stringify(value)}`);
  };
  const h =
    top['hypothesis'] === undefined
      ? {}
      : check.object(top['hypothesis'], ['hypothesis'], {
          required: [],
          optional: ['recover_within', 'drain_within', 'backlog_at_most', 'new_dead_letters'],
        });
  const hypothesis: Hypothesis = {
    recoverWithinMs:
      h['recover_within'] === undefined
        ? DEFAULT_HYPOTHESIS.recoverWithinMs
        : duration(h['recover_within'], ['hypothesis', 'recover_within']),
    drainWithinMs:
      h['drain_within'] === undefined
        ? DEFAULT_HYPOTHESIS.drainWithinMs
        : duration(h['drain_within'], ['hypothesis', 'drain_within']),
    backlogAtMost:
      h['backlog_at_most'] === undefined
        ? DEFAULT_HYPOTHESIS.backlogAtMost
        : check.number(h['backlog_at_most'], ['hypothesis', 'backlog_at_most'], { min: 0, integer: true }),
    newDeadLetters:
      h['new_dead_letters'] === undefined
        ? DEFAULT_HYPOTHESIS.newDeadLetters
        : check.number(h['new_dead_letters'], ['hypothesis', 'new_dead_letters'], { min: 0, integer: true }),
  };
  let load: Experiment['load'];
  if (top['load'] !== undefined) {
    const l = check.object(top['load'], ['load'], { required: ['scenario'], optional: ['rate', 'duration'] });
    load = {
      scenario: check.string(l['scenario'], ['load', 'scenario']),
      ...(l['rate'] === undefined ? {} : { rate: check.number(l['rate'], ['load', 'rate'], { min: 0.001 }) }),
      ...(l['duration'] === undefined ? {} : { durationMs: duration(l['duration'], ['load', 'duration']) }),
    };
  }
  const list = top['faults'];
  if (!Array.isArray(list) || list.length === 0) check.fail(['faults'], 'faults must be a list of at least one fault');
  const faults = (list as unknown[]).map((value, i) => {
    const path = ['faults', i];
    const fault = check.object(value, path, { required: ['at'], optional: [...FAULT_KINDS] });
    const kinds = FAULT_KINDS.filter((kind) => fault[kind] !== undefined);
    if (kinds.length !== 1) check.fail(path, `a fault has "at" and exactly one of ${FAULT_KINDS.join(', ')}`);
    return {
      atMs: duration(fault['at'], [...path, 'at']),
      spec: parseFault(check, kinds[0] ?? 'kill', fault[kinds[0] ?? 'kill'], [...path, kinds[0] ?? 'kill'], duration),
    };
  });
  return {
    name: check.string(top['name'], ['name']),
    description: top['description'] === undefined ? '' : check.string(top['description'], ['description']),
    hypothesis,
    load,
    faults,
  };
}

function parseFault(
  check: Checker,
  kind: (typeof FAULT_KINDS)[number],
  value: unknown,
  path: Path,
  duration: (value: unknown, path: Path) => number,
): FaultSpec {
  switch (kind) {
    case 'kill': {
      const f = check.object(value, path, { required: ['service'], optional: ['every', 'for'] });
      if ((f['every'] === undefined) !== (f['for'] === undefined))
        check.fail(path, 'kill takes "every" and "for" together (or neither: once)');
      return {
        kind,
        service: check.string(f['service'], [...path, 'service']),
        ...(f['every'] === undefined
          ? {}
          : { everyMs: duration(f['every'], [...path, 'every']), forMs: duration(f['for'], [...path, 'for']) }),
      };
    }
    case 'pause': {
      const f = check.object(value, path, { required: ['service', 'for'], optional: [] });
      return {
        kind,
        service: check.string(f['service'], [...path, 'service']),
        forMs: duration(f['for'], [...path, 'for']),
      };
    }
    case 'store-outage': {
      const f = check.object(value, path, { required: ['for'], optional: [] });
      return { kind, forMs: duration(f['for'], [...path, 'for']) };
    }
    case 'broker-restart': {
      const f = check.object(value, path, { required: [], optional: ['abrupt', 'down'] });
      if (f['abrupt'] !== undefined && typeof f['abrupt'] !== 'boolean')
        check.fail([...path, 'abrupt'], 'abrupt is true or false');
      return {
        kind,
        abrupt: f['abrupt'] === true,
        downMs: f['down'] === undefined ? 0 : duration(f['down'], [...path, 'down']),
      };
    }
    case 'poison': {
      const f = check.object(value, path, { required: ['count'], optional: [] });
      return { kind, count: check.number(f['count'], [...path, 'count'], { min: 1, integer: true }) };
    }
    case 'latency': {
      const f = check.object(value, path, { required: ['to', 'ms', 'for'], optional: [] });
      return {
        kind: 'network',
        to: check.string(f['to'], [...path, 'to']),
        fault: { kind: 'latency', ms: check.number(f['ms'], [...path, 'ms'], { min: 1, integer: true }) },
        forMs: duration(f['for'], [...path, 'for']),
      };
    }
    case 'drop':
    case 'reset': {
      const f = check.object(value, path, { required: ['to', 'for'], optional: [] });
      return {
        kind: 'network',
        to: check.string(f['to'], [...path, 'to']),
        fault: { kind },
        forMs: duration(f['for'], [...path, 'for']),
      };
    }
  }
}

/** One step of a run, for the journal: what was done or seen, when (ms from the start). */
export interface JournalStep {
  readonly atMs: number;
  readonly action: string;
  readonly detail: Readonly<Record<string, unknown>>;
}

export interface Journal {
  readonly experiment: Experiment;
  readonly startedAt: string;
  readonly steps: JournalStep[];
  readonly checks: CheckResult[];
  /** What the load and the audit after it concluded, when the experiment had a load. */
  load: { readonly pass: boolean; readonly summary: string; readonly report: string } | undefined;
  verdict: 'hypothesis held' | 'hypothesis disproved' | 'not run: steady state not met before' | 'aborted';
}

/** A load started beside the faults: marks go on its report's time axis. */
export interface RunningLoad {
  mark(label: string): void;
  readonly done: Promise<{ pass: boolean; summary: string; report: string }>;
}

export interface ExperimentDeps {
  readonly doorUrl: string;
  readonly messaging: MessagingEngine;
  readonly faults: Omit<FaultContext, 'signal' | 'note' | 'poisoned'>;
  /** Ctrl-C: stop the faults (each undoes itself), skip what is left, keep the journal. */
  readonly signal: AbortSignal;
  /** Starts the experiment's load, when it has one. */
  readonly startLoad?: () => RunningLoad;
  /** Each step as it happens (the terminal, the console's events). */
  readonly onStep: (step: JournalStep) => void;
}

/**
 * Runs an experiment: the hypothesis checked before (not steady: nothing is injected), the faults at
 * their times while the door is probed every second, the load to its end, then the hypothesis after;
 * the experiment's own poison is purged from the dead letters at the end.
 */
export async function runExperiment(experiment: Experiment, deps: ExperimentDeps): Promise<Journal> {
  const started = Date.now();
  const journal: Journal = {
    experiment,
    startedAt: new Date(started).toISOString(),
    steps: [],
    checks: [],
    load: undefined,
    verdict: 'aborted',
  };
  const note = (action: string, detail: Readonly<Record<string, unknown>> = {}): void => {
    const step = { atMs: Date.now() - started, action, detail };
    journal.steps.push(step);
    deps.onStep(step);
  };
  const probe = { doorUrl: deps.doorUrl, dataDir: deps.faults.dataDir, messaging: deps.messaging };
  const before = await checkBefore(probe);
  journal.checks.push(...before);
  if (!before.every((check) => check.ok)) {
    journal.verdict = 'not run: steady state not met before';
    note('not started', {
      why: before
        .filter((c) => !c.ok)
        .map((c) => `${c.name}: ${c.detail}`)
        .join('; '),
    });
    return journal;
  }
  const deadBefore = await deadLetterIds(deps.messaging);
  const poisoned = new Set<string>();
  const ctx: FaultContext = { ...deps.faults, signal: deps.signal, note, poisoned };
  const load = deps.startLoad?.();
  if (load !== undefined) note('load started', { scenario: experiment.load?.scenario });
  const watching = new AbortController();
  const during = watchDuring(probe, watching.signal);
  let faultFailed = false;
  await Promise.all(
    experiment.faults.map(async ({ atMs, spec }) => {
      await sleep(Math.max(0, atMs - (Date.now() - started)), undefined, { signal: deps.signal }).catch(
        () => undefined,
      );
      if (deps.signal.aborted) return;
      const label = describeFault(spec);
      load?.mark(label);
      note('fault started', { fault: spec.kind, what: label });
      try {
        await runFault(spec, ctx);
        note('fault ended', { fault: spec.kind, what: label });
      } catch (error) {
        faultFailed = true;
        note('fault failed', {
          fault: spec.kind,
          what: label,
          error: error instanceof Error ? error.message : String(error),
        });
      }
    }),
  );
  watching.abort();
  journal.checks.push(await during);
  if (load !== undefined) {
    journal.load = await load.done;
    note('load ended', { pass: journal.load.pass, summary: journal.load.summary });
  }
  if (!deps.signal.aborted)
    journal.checks.push(...(await checkAfter(probe, experiment.hypothesis, deadBefore, poisoned)));
  if (poisoned.size > 0) {
    const purged = await purgePoison(deps.messaging, poisoned);
    note('poison purged', { count: purged });
  }
  if (deps.signal.aborted) journal.verdict = 'aborted';
  else
    journal.verdict =
      !faultFailed && journal.checks.every((c) => c.ok) && (journal.load?.pass ?? true)
        ? 'hypothesis held'
        : 'hypothesis disproved';
  note('verdict', { verdict: journal.verdict });
  return journal;
}

async function purgePoison(messaging: MessagingEngine, ids: ReadonlySet<string>): Promise<number> {
  let purged = 0;
  for (const name of Object.values(QUEUES)) purged += await messaging.queue(name).deadLetters.purge([...ids]);
  return purged;
}
