import { readdirSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { summarise, type ProfileSummary, type Share } from './cpu-profile.js';
import { runDrain } from './drain.js';
import { armWatchdog, exitWhenDone, GENERATOR, removeTempDir, tempDir } from './processes.js';
import { gitState, machine } from './provenance.js';
import { DEFAULT_SCENARIO } from './scenarios.js';

/**
 * `node dist/bench/profile.js --label before|after [--evacuees N]`: where exodus's CPU goes in the
 * embedded drain, per process. `exodus up` runs with NODE_OPTIONS importing cpu-prof-preload.ts (what
 * `--cpu-prof` does, which Node 20 refuses in NODE_OPTIONS; its processes inherit the environment);
 * each writes its profile when it exits, which it does on the SIGTERM that ends the drain (a process
 * killed with SIGKILL writes none, and is reported missing). The summary goes
 * to bench/results/profile-<label>.md: per process, the samples and the top frames by self time
 * and the top packages. The profiler itself costs CPU (~10 %), so the drain's figures here are
 * not the bench's; compare a profile only with another profile.
 */
const RESULTS_DIR = resolve(import.meta.dirname, '../../bench/results');
/** Starts the profiler in each process of `exodus up` (cpu-prof-preload.ts, compiled beside this file). */
const PRELOAD = resolve(import.meta.dirname, 'cpu-prof-preload.js');
const TOP_FRAMES = 15;
const TOP_PACKAGES = 10;
/** The profiler's default is 1000 µs; kept, so profiles of different runs compare sample for sample. */
const SAMPLE_INTERVAL_US = 1000;

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: { label: { type: 'string' }, evacuees: { type: 'string' } },
    strict: true,
  });
  const label = values.label;
  if (label === undefined || !/^[\w.-]+$/.test(label)) throw new Error('--label takes a name, e.g. before or after');
  const evacuees = Number(values.evacuees ?? DEFAULT_SCENARIO.drain.evacuees);
  if (!Number.isInteger(evacuees) || evacuees <= 0) throw new Error('--evacuees takes a positive integer');
  const disarm = armWatchdog('profile', 5 * 60_000);
  const log = (line: string): void => console.log(line);
  const dir = tempDir('exodus-bench-prof-');
  try {
    const drain = await runDrain({ ...DEFAULT_SCENARIO.drain, evacuees }, log, {
      name: 'SQLite, --cpu-prof',
      // The profile starts afresh at the first POST (cpu-prof-preload.ts): start-up is not the drain's cost.
      beforeLoad: async (processes) => {
        for (const { pid } of processes) process.kill(pid, 'SIGUSR2');
        await sleep(500);
      },
      env: {
        NODE_OPTIONS: `${process.env['NODE_OPTIONS'] ?? ''} --import=${pathToFileURL(PRELOAD).href}`.trim(),
        EXODUS_BENCH_CPU_PROF_DIR: dir,
        EXODUS_BENCH_CPU_PROF_INTERVAL_US: String(SAMPLE_INTERVAL_US),
      },
    });
    // The drain's CPU report names every process it watched by pid: the profiles are named by pid.
    const names = new Map(
      drain.cpu.ingesting.processes.filter((p) => p.name !== GENERATOR).map((p) => [p.pid, p.name] as const),
    );
    const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
    const profiles = files.map((file) => {
      const pid = Number(/^(\d+)\.cpuprofile$/.exec(file)?.[1]);
      return {
        name: names.get(pid) ?? `pid ${pid} (not a service the drain watched)`,
        summary: summarise(join(dir, file), TOP_FRAMES),
      };
    });
    const missing = [...names.values()].filter((name) => !profiles.some((p) => p.name === name));
    const out = join(RESULTS_DIR, `profile-${label}.md`);
    writeFileSync(`${out}.tmp`, render({ label, drain, profiles, missing }));
    renameSync(`${out}.tmp`, out);
    log(
      `profile: ${profiles.length} processes profiled${missing.length > 0 ? `, none from ${missing.join(', ')}` : ''} → ${out}`,
    );
    disarm();
    return 0;
  } finally {
    removeTempDir(dir);
  }
}

interface Rendered {
  readonly label: string;
  readonly drain: Awaited<ReturnType<typeof runDrain>>;
  readonly profiles: readonly { readonly name: string; readonly summary: ProfileSummary }[];
  readonly missing: readonly string[];
}

function render({ label, drain, profiles, missing }: Rendered): string {
  const m = machine();
  const git = gitState();
  const seconds = (ms: number | undefined): string =>
    ms === undefined ? 'not within the timeout' : `${(ms / 1000).toFixed(2)} s`;
  const sorted = [...profiles].sort((a, b) => b.summary.busyMs - a.summary.busyMs);
  const allBusyMs = profiles.reduce((sum, p) => sum + p.summary.busyMs, 0);
  return [
    `# CPU profile of the embedded drain — ${label}`,
    '',
    `${new Date().toISOString()}, ${m.cores} × ${m.cpuModel}, Node ${m.node}` +
      `${git === undefined ? '' : `, commit ${git.commit.slice(0, 10)}${git.dirty ? ' + uncommitted src/ changes' : ''}`}.`,
    `${drain.evacuees.toLocaleString('en-US')} wishes on \`exodus up\` (SQLite, --no-canary) with the V8 sampling profiler in every process ` +
      `(${SAMPLE_INTERVAL_US} µs sampling): all in the tally after ${seconds(drain.allTalliedMs)}, ` +
      `${drain.cpuUsPerWish.system ?? '–'} µs CPU per wish (all exodus processes, the profiler's cost included).`,
    'Made by `node dist/bench/profile.js --label ' + label + '`. Each process is profiled from the first POST until it',
    'exits (after the drain, on SIGTERM). Self time: sampled time with the function on top of the stack, as % of the',
    'process’s busy time (idle left out). Lines are in the compiled JavaScript (dist/), of the commit above.',
    '',
    '| process | samples | idle | busy ms | share of all busy |',
    '| --- | --- | --- | --- | --- |',
    ...sorted.map(
      ({ name, summary: s }) =>
        `| ${name} | ${s.samples} | ${s.idleSamples} | ${s.busyMs} | ${allBusyMs === 0 ? '–' : `${Math.round((s.busyMs / allBusyMs) * 1000) / 10} %`} |`,
    ),
    '',
    ...(missing.length > 0 ? [`No profile from: ${missing.join(', ')} (killed rather than exited?).`, ''] : []),
    ...sorted.flatMap(({ name, summary }) => [
      `## ${name}`,
      '',
      shares('frame (self)', summary.topFrames),
      '',
      shares('package', summary.topPackages.slice(0, TOP_PACKAGES)),
      '',
    ]),
  ].join('\n');
}

function shares(what: string, list: readonly Share[]): string {
  return [
    `| ${what} | self ms | % of busy |`,
    '| --- | --- | --- |',
    ...list.map((s) => `| ${s.name.replaceAll('|', '\\|')} | ${s.ms} | ${s.percent} |`),
  ].join('\n');
}

exitWhenDone(main());
