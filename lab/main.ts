import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { parseDurationMs } from '../src/runtime/index.js';
import type { Experiment, ExperimentResult } from './experiment.js';
import { EXPERIMENTS } from './experiments.js';
import { writeResults } from './report.js';

/**
 * `npm run lab -- list` and `npm run lab -- run <experiment>… [--out DIR] [--rate N] [--duration D]`:
 * each experiment in a lab of its own; exit 1 when any lost an accepted wish or failed a check.
 */
const USAGE = 'usage: npm run lab -- list | run <experiment>… [--out DIR] [--rate N] [--duration 90s] [--seed N]';

async function main(argv: readonly string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      out: { type: 'string', default: 'lab-results' },
      rate: { type: 'string', default: '100' },
      duration: { type: 'string', default: '90s' },
      seed: { type: 'string', default: '1' },
    },
  });
  const [verb, ...names] = positionals;
  if (verb === 'list') {
    for (const experiment of EXPERIMENTS) console.log(`${experiment.name.padEnd(24)}${experiment.summary}`);
    return 0;
  }
  if (verb !== 'run' || names.length === 0) return fail(USAGE);
  const chosen: Experiment[] = [];
  for (const name of names) {
    const experiment = EXPERIMENTS.find((candidate) => candidate.name === name);
    if (experiment === undefined) return fail(`no experiment "${name}" (npm run lab -- list)`);
    chosen.push(experiment);
  }
  const rate = Number(values.rate);
  if (!Number.isFinite(rate) || rate <= 0) return fail(`--rate must be a positive number, got "${values.rate}"`);
  const durationMs = parseDurationMs(values.duration);
  if (durationMs === undefined || durationMs < 30_000)
    return fail(`--duration must be at least 30s, got "${values.duration}"`);
  const seed = Number(values.seed);
  if (!Number.isInteger(seed)) return fail(`--seed must be an integer, got "${values.seed}"`);
  const missing = missingPrerequisites();
  if (missing !== undefined) return fail(missing);

  const out = resolve(values.out);
  const results: ExperimentResult[] = [];
  let failed = false;
  for (const experiment of chosen) {
    const outDir = join(out, experiment.name);
    mkdirSync(outDir, { recursive: true });
    console.log(`lab: ${experiment.name}: ${experiment.summary} (${rate}/s for ${durationMs / 1000} s)`);
    let result: ExperimentResult;
    try {
      result = await experiment.run({ outDir, rate, durationMs, seed, log: (line) => console.log(line) });
    } catch (error) {
      // A lab that could not be built or driven proves nothing: a failure, and on to the next.
      console.log(`lab: ${experiment.name}: FAILED to run: ${error instanceof Error ? error.message : String(error)}`);
      failed = true;
      continue;
    }
    const files = writeResults(outDir, result);
    results.push(result);
    console.log(
      `lab: ${experiment.name}: ${result.ok ? 'held' : 'FAILED'}: accepted ${result.accepted}, refused ${result.refused}, lost ${result.lost}, on their way ${result.onTheirWay}, recovery ${result.recoveryS?.toFixed(1) ?? '—'} s; ${files.report}`,
    );
    for (const check of result.checks.filter((c) => !c.ok)) console.log(`  ✘ ${check.name}: ${check.detail}`);
  }
  return !failed && results.every((result) => result.ok) ? 0 : 1;
}

function fail(message: string): number {
  console.error(`lab: ${message}`);
  return 2;
}

/** The lab makes network namespaces and iptables rules: root, and the tools and servers it drives. */
function missingPrerequisites(): string | undefined {
  if (process.getuid?.() !== 0) return 'the lab makes network namespaces: run it as root';
  const tools = ['ip', 'iptables', 'nats-server', 'etcd', 'patroni', 'haproxy', 'curl', 'setpriv'];
  const absent = tools.filter((tool) => spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0);
  return absent.length === 0
    ? undefined
    : `missing ${absent.join(', ')} (Debian: iproute2 iptables nats-server etcd-server patroni haproxy curl util-linux)`;
}

// Ctrl-C or a kill ends the run; each lab's teardown runs from its own finally, and a lab that could
// not tear down is swept by the next run (hosts.ts).
process.exitCode = await main(process.argv.slice(2));
