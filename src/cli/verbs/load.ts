import { join, resolve } from 'node:path';
import { CliError, decimal, defineVerb, duration, text, whole } from '../verb.js';

/**
 * `exodus load --target URL --roster FILE --scenario NAME|FILE [--rate N] [--duration D] [--out DIR]`:
 * an open-model load in phases, then (given the engines: `--data`, or `--queue` and `--store`) the
 * audit of every 202. Writes `results.json`, `report.html` and `ledger.ndjson` into `--out`; exit 0
 * when every threshold holds, 1 when one does not.
 */
export const loadVerb = defineVerb({
  path: ['load'],
  summary: 'open-model load in phases from a scenario; report, ledger, thresholds, and the audit given the engines',
  options: {
    target: text('--target <url>', "the frontend's origin", { required: true }),
    roster: text('--roster <file>', 'the evacuees to speak for (exodus roster generate)', { required: true }),
    scenario: text('--scenario <name|file>', 'baseline, overload, spike, soak, fault, or a scenario file', {
      required: true,
    }),
    rate: decimal(
      '--rate <n>',
      "arrivals per second that the scenario's phases scale",
      { above: 0 },
      {
        fallback: "the scenario's",
      },
    ),
    duration: duration('--duration <d>', 'stretch or shrink the phases to this', {
      positive: true,
      fallback: 'as written',
    }),
    out: text('--out <dir>', 'results.json, report.html, ledger.ndjson', {
      fallback: 'load-results/<scenario>-<time>',
    }),
    connections: whole(
      '--connections <n>',
      'sockets the generator may open',
      { min: 1 },
      {
        fallback: "the scenario's (256)",
      },
    ),
    seed: whole('--seed <n>', 'same seed, same traffic', { min: 0 }, { default: '1' }),
    auditWait: duration('--audit-wait <d>', 'how long the audit after the load waits for a draining pipeline', {
      positive: true,
      default: '120s',
    }),
  },
  settings: 'engines',
  examples: [
    'exodus load --target http://127.0.0.1:3000 --roster roster.csv --scenario baseline --data .exodus',
    'exodus load --target http://127.0.0.1:3000 --roster roster.csv --scenario soak --duration 8h --data .exodus',
  ],
  run: async ({ options, settings, config }) => {
    // The load generator loads only for this verb (and a chaos run with a load).
    const { needsAudit, readRosterFile, readScenario, runLoad, summary } = await import('../../ops/load/index.js');
    const target = options.target.replace(/\/$/, '');
    if (!/^https?:\/\/[^/]+$/.test(target))
      throw new CliError(`--target takes an origin such as http://127.0.0.1:3000, got "${target}"`);
    const scenario = readScenario(options.scenario);
    const roster = readRosterFile(options.roster);
    const engines = enginesNamed(settings) ? config() : undefined;
    if (engines === undefined && needsAudit(scenario.thresholds)) {
      throw new CliError(
        `scenario ${scenario.name} has thresholds only an audit can measure (lost, audit_wait_s): give the engines (--data DIR, or --queue URL and --store URL), or use a scenario file without them`,
      );
    }
    const out = resolve(
      options.out ?? join('load-results', `${scenario.name}-${new Date().toISOString().replace(/[:.]/g, '-')}`),
    );
    const stop = new AbortController();
    const onSignal = (): void => stop.abort();
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    try {
      const { report, files } = await runLoad({
        target,
        scenario,
        roster,
        rate: options.rate,
        durationMs: options.duration,
        connections: options.connections ?? scenario.connections,
        seed: options.seed,
        out,
        engines,
        auditWaitMs: options.auditWait,
        signal: stop.signal,
        progress: process.stderr.isTTY,
      });
      console.log(summary(report));
      console.log(`\nreport: ${files.html}\nresults: ${files.results}\nledger: ${files.ledger}`);
      if (!report.pass) process.exitCode = 1;
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  },
});

/** True when the engines were named (flag or environment), rather than the default data dir guessed. */
function enginesNamed(settings: Readonly<Record<string, string>>): boolean {
  return (
    ['data', 'queue', 'store'].some((flag) => settings[flag] !== undefined) ||
    ['EXODUS_DATA', 'EXODUS_QUEUE', 'EXODUS_STORE'].some((name) => (process.env[name] ?? '') !== '')
  );
}
